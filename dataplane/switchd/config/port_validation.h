// The rules a bridge or port must satisfy before the database stores it, so every client
// (gRPC, podswitchctl, the agent) gets the same INVALID_ARGUMENT naming the bad field.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "dataplane/switchd/config/config_model.h"

namespace podswitch::switchd::config {

// Highest OpenFlow port number a port may take (OFPP_MAX; above it are reserved ports).
inline constexpr uint32_t kMaxOfport = 0xff00;
// Highest VLAN id a tag or trunk may name.
inline constexpr uint16_t kMaxVlan = 4095;
// Port and bridge names become kernel interface names, which hold 15 bytes (IFNAMSIZ - 1).
inline constexpr size_t kMaxNameLength = 15;

// Checks a bridge or port name the way the kernel checks interface names; `field` names
// the field in the error ("name", "bridge").
absl::Status ValidateName(std::string_view field, std::string_view name);

// Checks a bridge before it is stored: its name and its other_config keys.
absl::Status ValidateBridge(const Bridge& bridge);

// Checks every field of a port (ofport 0 is allowed: the database assigns one) and puts it
// in canonical form (trunks sorted, duplicates removed).
absl::Status ValidateAndCanonicalizePort(Port& port);

}  // namespace podswitch::switchd::config
