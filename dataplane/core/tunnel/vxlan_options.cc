#include "dataplane/core/tunnel/vxlan_options.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "dataplane/core/packet/addr.h"

namespace podswitch::core {
namespace {

constexpr uint32_t kMaxVni = (1u << 24) - 1;

}  // namespace

absl::StatusOr<VxlanPortOptions> ParseVxlanPortOptions(
    const std::string& port_name, const std::map<std::string, std::string>& options) {
  auto bad = [&](const std::string& key, const std::string& value, const char* want) {
    return absl::InvalidArgumentError(
        absl::StrCat("options:", key, "=\"", value, "\" of vxlan port ", port_name, ": ", want));
  };
  VxlanPortOptions out;
  bool have_local = false;
  for (const auto& [key, value] : options) {
    if (key == "local_ip") {
      std::optional<uint32_t> ip = Ipv4FromString(value);
      if (!ip || *ip == 0) return bad(key, value, "must be this node's IPv4 address");
      out.local_ip = *ip;
      have_local = true;
    } else if (key == "remote_ip") {
      if (value == "flow") continue;
      std::optional<uint32_t> ip = Ipv4FromString(value);
      if (!ip || *ip == 0) return bad(key, value, "must be an IPv4 address or \"flow\"");
      out.remote_ip = *ip;
    } else if (key == "key") {
      if (value == "flow") continue;
      uint32_t vni = 0;
      if (!absl::SimpleAtoi(value, &vni) || vni > kMaxVni) {
        return bad(key, value, "must be a VNI from 0 to 16777215 or \"flow\"");
      }
      out.key = vni;
    } else if (key == "dst_port") {
      uint32_t port = 0;
      if (!absl::SimpleAtoi(value, &port) || port == 0 || port > 65535) {
        return bad(key, value, "must be a UDP port from 1 to 65535");
      }
      out.dst_port = static_cast<uint16_t>(port);
    } else if (key == "df_default") {
      if (value != "true" && value != "false") return bad(key, value, "must be true or false");
      out.dont_fragment = value == "true";
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("options:", key, " of vxlan port ", port_name,
                       ": unknown option (valid: local_ip, remote_ip, key, dst_port, df_default)"));
    }
  }
  if (!have_local) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vxlan port ", port_name,
        ": options:local_ip is required (this node's VTEP address; its interface is the uplink)"));
  }
  return out;
}

}  // namespace podswitch::core
