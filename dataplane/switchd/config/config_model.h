// The configuration podswitchd keeps on disk and restores on start: bridges, their ports and
// their flows, plus the change log of who changed what. Plain values, no behaviour: the
// database validates them (port_validation.h) and the switch applies them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace podswitch::switchd::config {

// A bridge (a switch instance with its own ports, flow tables and MAC table), like an OVS
// Bridge row; other_config carries free-form settings such as a datapath id or mac-aging.
struct Bridge {
  std::string name;
  std::map<std::string, std::string> other_config;

  bool operator==(const Bridge&) const = default;
};

// A port of a bridge and its interface in one row (OVS splits Port and Interface; a
// Podswitch port has exactly one interface). Port names are unique across all bridges.
struct Port {
  std::string bridge;
  std::string name;
  // afxdp, afpacket, vhostuser, vhostuserclient, tap, ring, null, vxlan or internal.
  std::string type;
  // OpenFlow port number; 0 asks the database for the smallest free number >= 1 on the bridge.
  uint32_t ofport = 0;
  // Type-specific settings (vhost-user socket path, vxlan remote_ip, ...).
  std::map<std::string, std::string> options;
  // Access VLAN (0..4095); unset means the port is not an access port.
  std::optional<uint16_t> tag;
  // VLANs a trunk port carries (0..4095, kept sorted without duplicates); empty means all.
  std::vector<uint16_t> trunks;
  // "" (OVS default: access when tagged, else trunk), access, trunk, native-tagged or
  // native-untagged.
  std::string vlan_mode;
  bool admin_up = true;

  bool operator==(const Port&) const = default;
};

// One OpenFlow rule of a bridge, kept as canonical ovs-ofctl text; the core's flow parser
// owns its meaning. The id is assigned by the database and never reused.
struct Flow {
  std::string bridge;
  std::string text;
  uint64_t id = 0;

  bool operator==(const Flow&) const = default;
};

// One committed transaction: when, by whom, a one-line summary for `db show-log`, and the
// list of changes as JSON for monitors.
struct ChangeLogEntry {
  int64_t seq = 0;
  absl::Time time;
  std::string client;
  std::string summary;  // e.g. "add-port br0 p1 type=afxdp tag=10"
  std::string details_json;
};

}  // namespace podswitch::switchd::config
