// OpenFlow-style actions of a flow (ovs-actions(7)), as the flow syntax parses them and the
// pipeline interprets them. The pipeline translates them into datapath actions (dp_action.h).
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "dataplane/core/flow/field.h"
#include "dataplane/core/flow/match.h"
#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {

// Reserved port numbers (OpenFlow 1.3 values) usable in output: and in_port=.
inline constexpr uint32_t kPortMax = 0xffffff00;  // highest number a real port can have
inline constexpr uint32_t kPortInPort = 0xfffffff8;
inline constexpr uint32_t kPortNormal = 0xfffffffa;
inline constexpr uint32_t kPortFlood = 0xfffffffb;
inline constexpr uint32_t kPortAll = 0xfffffffc;
inline constexpr uint32_t kPortController = 0xfffffffd;
inline constexpr uint32_t kPortLocal = 0xfffffffe;
inline constexpr uint32_t kPortNone = 0xffffffff;

// output:PORT, in_port, NORMAL, flood, all, LOCAL (kPort* values or a port number).
struct OutputAction {
  uint32_t port;
  friend bool operator==(const OutputAction&, const OutputAction&) = default;
};
// drop: an explicit empty action list.
struct DropAction {
  friend bool operator==(const DropAction&, const DropAction&) = default;
};
// goto_table:N
struct GotoTableAction {
  uint8_t table;
  friend bool operator==(const GotoTableAction&, const GotoTableAction&) = default;
};
// resubmit(PORT,TABLE) / resubmit:PORT: look the packet up again (kPortInPort = keep in_port,
// table 255 = the current table), then continue with the rest of this list.
struct ResubmitAction {
  uint32_t in_port = kPortInPort;
  uint8_t table = 255;
  friend bool operator==(const ResubmitAction&, const ResubmitAction&) = default;
};
// push_vlan:TPID
struct PushVlanAction {
  uint16_t tpid = 0x8100;
  friend bool operator==(const PushVlanAction&, const PushVlanAction&) = default;
};
// pop_vlan and strip_vlan
struct PopVlanAction {
  friend bool operator==(const PopVlanAction&, const PopVlanAction&) = default;
};
// mod_vlan_vid:VID (pushes a tag when untagged, as OVS does)
struct SetVlanVidAction {
  uint16_t vid;
  friend bool operator==(const SetVlanVidAction&, const SetVlanVidAction&) = default;
};
// mod_vlan_pcp:PCP
struct SetVlanPcpAction {
  uint8_t pcp;
  friend bool operator==(const SetVlanPcpAction&, const SetVlanPcpAction&) = default;
};
// set_field:VALUE[/MASK]->FIELD, mod_dl_src/mod_dl_dst/mod_nw_src/mod_nw_dst/mod_tp_src/
// mod_tp_dst/mod_nw_tos/mod_nw_ttl, set_tunnel, and load:VALUE->FIELD[a..b]: the bits of
// `bits.mask` in `field` take the values of `bits.value` (both are FlowKey-shaped).
struct SetFieldAction {
  FieldId field;
  Match bits;
  enum class Spelling : uint8_t {
    kSetField,
    kModShortcut,
    kLoad,
    kSetTunnel
  } spelling = Spelling::kSetField;
  friend bool operator==(const SetFieldAction&, const SetFieldAction&) = default;
};
// move:SRC[a..b]->DST[c..d]
struct MoveAction {
  FieldId src;
  uint16_t src_ofs;
  FieldId dst;
  uint16_t dst_ofs;
  uint16_t n_bits;
  friend bool operator==(const MoveAction&, const MoveAction&) = default;
};
// dec_ttl
struct DecTtlAction {
  friend bool operator==(const DecTtlAction&, const DecTtlAction&) = default;
};
// controller(reason=..,id=..) / controller:MAX_LEN, and log(id=N): punt to the bounded queue.
struct ControllerAction {
  uint16_t reason = 0;  // 0 = action, 1 = no_match, 2 = invalid_ttl, 3 = log
  uint32_t id = 0;
  uint16_t max_len = 0xffff;
  friend bool operator==(const ControllerAction&, const ControllerAction&) = default;
};
// conjunction(ID,K/N): clause K (1-based) of N of conjunctive match ID.
struct ConjunctionAction {
  uint32_t id;
  uint8_t clause;
  uint8_t n_clauses;
  friend bool operator==(const ConjunctionAction&, const ConjunctionAction&) = default;
};
// meter:N
struct MeterAction {
  uint32_t id;
  friend bool operator==(const MeterAction&, const MeterAction&) = default;
};

using Action =
    std::variant<OutputAction, DropAction, GotoTableAction, ResubmitAction, PushVlanAction,
                 PopVlanAction, SetVlanVidAction, SetVlanPcpAction, SetFieldAction, MoveAction,
                 DecTtlAction, ControllerAction, ConjunctionAction, MeterAction>;
using ActionList = std::vector<Action>;

}  // namespace podswitch::core
