// JSON forms of the config model: how the database stores maps and lists in a column, how
// the change log describes a change, and what `podswitchctl db dump` prints.
#pragma once

#include "dataplane/switchd/config/config_model.h"
#include "nlohmann/json.hpp"

namespace podswitch::switchd::config {

// Each returns one JSON object with the struct's fields under their C++ names.
nlohmann::json ToJson(const Bridge& bridge);
nlohmann::json ToJson(const Port& port);
nlohmann::json ToJson(const Flow& flow);
nlohmann::json ToJson(const ChangeLogEntry& entry);

}  // namespace podswitch::switchd::config
