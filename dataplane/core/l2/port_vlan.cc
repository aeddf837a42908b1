#include "dataplane/core/l2/port_vlan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {
namespace {

constexpr uint16_t kMaxVlan = 4095;

bool IsNative(VlanMode mode) {
  return mode == VlanMode::kNativeTagged || mode == VlanMode::kNativeUntagged;
}

const char* ModeName(VlanMode mode) {
  switch (mode) {
    case VlanMode::kAccess:
      return "access";
    case VlanMode::kTrunk:
      return "trunk";
    case VlanMode::kNativeTagged:
      return "native-tagged";
    case VlanMode::kNativeUntagged:
      return "native-untagged";
  }
  return "unknown";
}

bool InTrunks(const std::vector<uint16_t>& trunks, uint16_t vlan) {
  return trunks.empty() || std::find(trunks.begin(), trunks.end(), vlan) != trunks.end();
}

}  // namespace

VlanMode PortVlanConfig::EffectiveMode() const {
  if (mode.has_value()) return *mode;
  return tag.has_value() ? VlanMode::kAccess : VlanMode::kTrunk;
}

bool PortVlanConfig::CarriesVlan(uint16_t vlan) const {
  if (vlan > kMaxVlan) return false;
  const VlanMode m = EffectiveMode();
  if (m == VlanMode::kAccess) return vlan == tag.value_or(0);
  if (m == VlanMode::kTrunk) return InTrunks(trunks, vlan);
  // Native modes: OVS forces the native VLAN into the trunk set and VLAN 0 out of it.
  if (tag.has_value() && vlan == *tag) return true;
  return vlan != 0 && InTrunks(trunks, vlan);
}

absl::Status ValidatePortVlanConfig(const PortVlanConfig& config) {
  if (config.tag.has_value() && *config.tag > kMaxVlan) {
    return absl::InvalidArgumentError(
        absl::StrCat("tag ", *config.tag, " is out of range: expected a VLAN in 0-4095"));
  }
  for (uint16_t vlan : config.trunks) {
    if (vlan > kMaxVlan) {
      return absl::InvalidArgumentError(
          absl::StrCat("trunks entry ", vlan, " is out of range: expected a VLAN in 0-4095"));
    }
  }
  const VlanMode mode = config.EffectiveMode();
  switch (mode) {
    case VlanMode::kAccess:
      if (!config.tag.has_value()) {
        return absl::InvalidArgumentError("vlan_mode access needs a tag (the access VLAN)");
      }
      if (!config.trunks.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("vlan_mode access carries only tag ",
                                                       *config.tag, " but ", config.trunks.size(),
                                                       " trunks were given: trunks must be empty"));
      }
      break;
    case VlanMode::kTrunk:
      if (config.tag.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("vlan_mode trunk takes no tag but tag ", *config.tag,
                         " was given: use native-tagged or native-untagged for a native VLAN"));
      }
      break;
    case VlanMode::kNativeTagged:
    case VlanMode::kNativeUntagged:
      if (!config.tag.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("vlan_mode ", ModeName(mode), " needs a tag (the native VLAN)"));
      }
      break;
  }
  return absl::OkStatus();
}

std::optional<uint16_t> IngressVlan(const PortVlanConfig& config, uint16_t vlan_tci) {
  const bool tagged = (vlan_tci & kVlanPresent) != 0;
  const uint16_t vid = vlan_tci & kVlanVidMask;
  const VlanMode mode = config.EffectiveMode();
  if (mode == VlanMode::kAccess) {
    // OVS drops any frame tagged with a nonzero VID, even the access VLAN's own.
    if (tagged && vid != 0) return std::nullopt;
    return config.tag.value_or(0);
  }
  if (IsNative(mode) && vid == 0) return config.tag.value_or(0);
  // Trunk: an untagged or priority-tagged frame is in VLAN 0, which must be trunked too.
  const uint16_t vlan = tagged ? vid : 0;
  if (!config.CarriesVlan(vlan)) return std::nullopt;
  return vlan;
}

EgressTagging Egress(const PortVlanConfig& config, uint16_t vlan) {
  if (!config.CarriesVlan(vlan)) return EgressTagging::kNotMember;
  switch (config.EffectiveMode()) {
    case VlanMode::kAccess:
      return EgressTagging::kUntagged;
    case VlanMode::kNativeUntagged:
      if (vlan == config.tag.value_or(0)) return EgressTagging::kUntagged;
      break;
    case VlanMode::kTrunk:
    case VlanMode::kNativeTagged:
      break;
  }
  return vlan == 0 ? EgressTagging::kUntagged : EgressTagging::kTagged;
}

}  // namespace podswitch::core
