#include "dataplane/switchd/config/port_validation.h"

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/core/tunnel/vxlan_options.h"

namespace podswitch::switchd::config {
namespace {

constexpr std::array<const char*, 9> kPortTypes = {
    "afxdp", "afpacket", "vhostuser", "vhostuserclient", "tap",
    "ring",  "null",     "vxlan",     "internal"};
constexpr std::array<const char*, 5> kVlanModes = {"", "access", "trunk", "native-tagged",
                                                   "native-untagged"};

template <size_t N>
bool Contains(const std::array<const char*, N>& set, std::string_view value) {
  return std::find_if(set.begin(), set.end(), [&](const char* s) { return value == s; }) !=
         set.end();
}

absl::Status ValidateMapKeys(const char* field, const std::map<std::string, std::string>& map) {
  for (const auto& [key, value] : map) {
    if (key.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": empty key"));
  }
  return absl::OkStatus();
}

absl::Status ValidateVlans(const Port& port) {
  if (port.tag.has_value() && *port.tag > kMaxVlan) {
    return absl::InvalidArgumentError(absl::StrCat("tag: VLAN id ", *port.tag, " of port ",
                                                   port.name, " is out of range 0..", kMaxVlan));
  }
  for (uint16_t vlan : port.trunks) {
    if (vlan > kMaxVlan) {
      return absl::InvalidArgumentError(absl::StrCat("trunks: VLAN id ", vlan, " of port ",
                                                     port.name, " is out of range 0..", kMaxVlan));
    }
  }
  if (!Contains(kVlanModes, port.vlan_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("vlan_mode: \"", port.vlan_mode, "\" of port ", port.name,
                     " is not one of access, trunk, native-tagged, native-untagged"));
  }
  if (port.vlan_mode == "access" && !port.trunks.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("trunks: port ", port.name, " has vlan_mode=access, which carries no trunks"));
  }
  if (port.vlan_mode.starts_with("native-") && !port.tag.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tag: port ", port.name, " has vlan_mode=", port.vlan_mode, ", which needs a native tag"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateName(std::string_view field_view, std::string_view name_view) {
  // This Abseil's StrCat takes absl::string_view, which is not std::string_view.
  const std::string field(field_view), name(name_view);
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": must not be empty"));
  if (name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", name, "\" is ", name.size(),
                                                   " characters, the limit is ", kMaxNameLength));
  }
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", name, "\" is not a name"));
  }
  for (char c : name) {
    if (c == '/' || c == ':' || absl::ascii_isspace(static_cast<unsigned char>(c)) ||
        !absl::ascii_isprint(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": \"", absl::CHexEscape(name),
                       "\" contains '/', ':', white space or a control character"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBridge(const Bridge& bridge) {
  if (absl::Status status = ValidateName("name", bridge.name); !status.ok()) return status;
  return ValidateMapKeys("other_config", bridge.other_config);
}

absl::Status ValidateAndCanonicalizePort(Port& port) {
  if (absl::Status status = ValidateName("name", port.name); !status.ok()) return status;
  if (absl::Status status = ValidateName("bridge", port.bridge); !status.ok()) return status;
  if (!Contains(kPortTypes, port.type)) {
    return absl::InvalidArgumentError(absl::StrCat("type: \"", port.type, "\" of port ", port.name,
                                                   " is not one of ",
                                                   absl::StrJoin(kPortTypes, ", ")));
  }
  if (port.ofport > kMaxOfport) {
    return absl::InvalidArgumentError(absl::StrCat("ofport: ", port.ofport, " of port ", port.name,
                                                   " is out of range 1..", kMaxOfport));
  }
  if (absl::Status status = ValidateMapKeys("options", port.options); !status.ok()) return status;
  if (port.type == "vxlan") {
    if (auto tunnel = core::ParseVxlanPortOptions(port.name, port.options); !tunnel.ok()) {
      return tunnel.status();
    }
  }
  std::sort(port.trunks.begin(), port.trunks.end());
  port.trunks.erase(std::unique(port.trunks.begin(), port.trunks.end()), port.trunks.end());
  return ValidateVlans(port);
}

}  // namespace podswitch::switchd::config
