// A bridge port's VLAN configuration and the rules that follow from it, modelled on Open
// vSwitch's Port table (`tag`, `trunks`, `vlan_mode`; ovs-vswitchd.conf.db(5)): which VLAN
// a frame arriving on the port belongs to, and whether a frame of a VLAN may leave through
// the port, tagged or untagged.
//
// Only the outer tag is considered: a frame's `vlan_tci` is its outer tag whether its TPID
// is 802.1Q (0x8100) or 802.1ad (0x88a8), and a QinQ inner tag is carried along untouched
// (there is no dot1q-tunnel mode).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"

namespace podswitch::core {

// How a port treats 802.1Q tags, as OVS's `vlan_mode` column.
enum class VlanMode {
  kAccess,          // one VLAN (`tag`), untagged on the wire
  kTrunk,           // the VLANs in `trunks` (all when empty), tagged; untagged = VLAN 0
  kNativeTagged,    // a trunk whose untagged frames belong to the native VLAN `tag`
  kNativeUntagged,  // as kNativeTagged, and the native VLAN also leaves untagged
};

// The VLAN columns of one port, as the operator wrote them.
struct PortVlanConfig {
  std::optional<uint16_t> tag;   // access VLAN, or native VLAN of the native modes
  std::vector<uint16_t> trunks;  // VLANs a trunk/native port carries; empty = all VLANs
  std::optional<VlanMode> mode;  // unset = OVS default: access if `tag`, else trunk

  // The mode in force, so callers need not repeat OVS's defaulting rule.
  VlanMode EffectiveMode() const;

  // True when frames of `vlan` may enter and leave this port, the membership test NORMAL
  // needs for flooding. Native modes always carry their native VLAN and never VLAN 0
  // (unless it is the native VLAN), as OVS does.
  bool CarriesVlan(uint16_t vlan) const;
};

// Rejects a configuration OVS would reject or misread, naming the field and value: VLANs
// outside 0-4095, an access port with trunks or without a tag, a trunk with a tag, a native
// mode without a tag. The functions below assume a valid configuration.
absl::Status ValidatePortVlanConfig(const PortVlanConfig& config);

// The VLAN a frame with outer tag `vlan_tci` (FlowKey::vlan_tci, kVlanPresent set when
// tagged) belongs to once it enters the port, or nullopt when the port must drop it. A
// priority-tagged frame (tag with VID 0) counts as untagged.
std::optional<uint16_t> IngressVlan(const PortVlanConfig& config, uint16_t vlan_tci);

// How a frame of a given VLAN leaves a port.
enum class EgressTagging {
  kNotMember,  // the port does not carry the VLAN: do not output there
  kUntagged,   // output without an 802.1Q tag
  kTagged,     // output with an 802.1Q tag carrying the VLAN's VID
};

// How a frame of `vlan` must leave the port, so NORMAL can emit the right tag operations.
// VLAN 0 always leaves untagged.
EgressTagging Egress(const PortVlanConfig& config, uint16_t vlan);

}  // namespace podswitch::core
