// NormalSwitch: the NORMAL action of one bridge, an 802.1Q learning switch as Open vSwitch's
// NORMAL implements it (VLANs per port.vlan, MAC learning, flooding of unknown
// destinations). It turns a flow key into datapath actions plus the key bits the decision
// depended on, so the result can be cached as a megaflow; learning is itself an action so
// cached flows keep learning and refreshing MACs packet by packet.
//
// QinQ: vlan_tci is the outer tag whatever its TPID; an inner tag is ignored and untouched.
//
// Split horizon: a frame that arrived on a tunnel port never leaves by another tunnel port,
// flooded or learned, so a full mesh of VTEPs doing head-end replication does not loop
// broadcasts (as a Linux VXLAN device never sends what it received back into the overlay).
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/core/datapath/dp_action.h"
#include "dataplane/core/l2/mac_learning_table.h"
#include "dataplane/core/l2/port_vlan.h"
#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {

// What NORMAL needs to know about one port of the bridge.
struct BridgePortInfo {
  uint32_t port_no;
  PortVlanConfig vlan;  // validated by the control path (ValidatePortVlanConfig)
  bool up = true;       // a down port neither receives nor sends
  bool flood = true;    // false = OVS's no-flood: only known destinations reach the port
  bool tunnel = false;  // an overlay port (vxlan): split horizon against the other tunnels
};

// The NORMAL action of one bridge; see the file comment. Not thread-safe: the control path
// serializes SetPorts and Learn with Decide.
class NormalSwitch {
 public:
  // `macs` is the bridge's table; it must outlive this object.
  explicit NormalSwitch(MacLearningTable* macs);

  // Replaces the bridge's ports (control path). With duplicate port numbers the last wins.
  void SetPorts(std::vector<BridgePortInfo> ports);

  // Decides where a packet with `key` goes under NORMAL: appends to `*out` a kLearn action
  // (when the source should be learned) followed by tag operations and outputs ordered by
  // port number, then restores the packet's original tag, and ORs into `*wildcards` every
  // key bit the decision read. Never modifies the MAC table; see Learn and LearnFrom.
  void Decide(const FlowKey& key, uint64_t now_ms, DpActions* out, FlowKey* wildcards) const;

  // Applies a kLearn action from Decide (the fast path does this for every packet, so
  // cached flows keep the entry fresh); other action types are kIgnored.
  LearnResult Learn(const DpAction& learn, uint64_t now_ms);

  // Learns the source of `key` right away, as the slow path does before caching a flow;
  // kIgnored when the port is unknown or down, the frame is dropped on ingress, or the
  // source is multicast.
  LearnResult LearnFrom(const FlowKey& key, uint64_t now_ms);

  // Changes on every SetPorts, so caches can drop NORMAL decisions made under the old
  // ports; MAC changes are tracked by MacLearningTable::generation().
  uint64_t config_generation() const { return config_generation_; }

 private:
  const BridgePortInfo* FindPort(uint32_t port_no) const;
  void EmitOutputs(const FlowKey& key, uint16_t vlan, const std::vector<const BridgePortInfo*>& to,
                   DpActions* out, FlowKey* wildcards) const;

  MacLearningTable* macs_;
  std::vector<BridgePortInfo> ports_;  // sorted by port_no, unique
  uint64_t config_generation_ = 0;
};

}  // namespace podswitch::core
