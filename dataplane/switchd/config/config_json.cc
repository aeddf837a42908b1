#include "dataplane/switchd/config/config_json.h"

#include "absl/time/time.h"

namespace podswitch::switchd::config {

nlohmann::json ToJson(const Bridge& bridge) {
  return {{"name", bridge.name}, {"other_config", bridge.other_config}};
}

nlohmann::json ToJson(const Port& port) {
  nlohmann::json json = {{"bridge", port.bridge},       {"name", port.name},
                         {"type", port.type},           {"ofport", port.ofport},
                         {"options", port.options},     {"trunks", port.trunks},
                         {"vlan_mode", port.vlan_mode}, {"admin_up", port.admin_up}};
  json["tag"] = port.tag.has_value() ? nlohmann::json(*port.tag) : nlohmann::json(nullptr);
  return json;
}

nlohmann::json ToJson(const Flow& flow) {
  return {{"bridge", flow.bridge}, {"id", flow.id}, {"text", flow.text}};
}

nlohmann::json ToJson(const ChangeLogEntry& entry) {
  nlohmann::json details = nlohmann::json::parse(entry.details_json, nullptr, false);
  return {{"seq", entry.seq},
          {"time", absl::FormatTime(absl::RFC3339_full, entry.time, absl::UTCTimeZone())},
          {"client", entry.client},
          {"summary", entry.summary},
          {"details", details.is_discarded() ? nlohmann::json(entry.details_json) : details}};
}

}  // namespace podswitch::switchd::config
