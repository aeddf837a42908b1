// The options of a `vxlan` port, as an operator sets them on the port (Open vSwitch's names):
//   options:local_ip=A.B.C.D   this node's VTEP address (required); its interface is the uplink
//   options:remote_ip=A.B.C.D  the one remote VTEP, or "flow": set_field:...->tun_dst decides
//   options:key=N              the VNI (0..16777215), or "flow": set_field:...->tun_id decides
//   options:dst_port=N         the UDP port (default 4789)
//   options:df_default=true    DF on the outer IPv4 header (default true)
// One parser, used by the config database's validation and by the port itself.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace podswitch::core {

struct VxlanPortOptions {
  uint32_t local_ip = 0;              // host order
  std::optional<uint32_t> remote_ip;  // nullopt: remote_ip=flow
  std::optional<uint32_t> key;        // nullopt: key=flow
  uint16_t dst_port = 4789;
  bool dont_fragment = true;
};

// Parses and checks the options of port `port_name`; INVALID_ARGUMENT names the option and
// what it must be. Options other than these are refused too, so a typo is not ignored.
absl::StatusOr<VxlanPortOptions> ParseVxlanPortOptions(
    const std::string& port_name, const std::map<std::string, std::string>& options);

}  // namespace podswitch::core
