// The matchable fields of a FlowKey by OVS name (ovs-fields(7)): where each lives in the key,
// how wide it is, how its values are written, and what it requires (nw_src needs ip or arp).
// The flow syntax, set_field/load/move and the printer all go through this one table.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "dataplane/core/flow/match.h"
#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {

enum class FieldId : uint8_t {
  kInPort,
  kDlSrc,
  kDlDst,
  kDlType,
  kVlanTci,
  kDlVlan,
  kDlVlanPcp,
  kNwSrc,
  kNwDst,
  kNwProto,
  kNwTos,
  kIpDscp,
  kNwEcn,
  kNwTtl,
  kNwFrag,
  kTpSrc,
  kTpDst,
  kTcpFlags,
  kIcmpType,
  kIcmpCode,
  kIcmpv6Type,
  kIcmpv6Code,
  kArpOp,
  kArpSpa,
  kArpTpa,
  kArpSha,
  kArpTha,
  kIpv6Src,
  kIpv6Dst,
  kIpv6Label,
  kNdTarget,
  kNdSll,
  kNdTll,
  kTunId,
  kTunSrc,
  kTunDst,
  kMetadata,
  kReg0,
  kReg1,
  kReg2,
  kReg3,
  kReg4,
  kReg5,
  kReg6,
  kReg7,
  kConjId,
  kCtState,
  kCtZone,
  kCtMark,
  kPktErr,
  kCount,
};

// How a field's values are written in flow text.
enum class FieldFormat : uint8_t {
  kDecimal,
  kHex,
  kMac,
  kIpv4,
  kIpv6,
  kPort,
  kTcpFlags,
  kFrag,
  kCtState,
  kPktErr
};

struct FieldInfo {
  FieldId id;
  std::string_view name;
  uint16_t offset;    // byte offset of the containing FlowKey member
  uint8_t bytes;      // size of that member
  uint8_t bit_shift;  // for sub-fields (dl_vlan, ip_dscp...): lowest bit within the member
  uint8_t n_bits;     // width of the field in bits
  FieldFormat format;
  bool maskable;  // accepts VALUE/MASK
};

// The field with this id; every FieldId below kCount has one.
const FieldInfo& GetField(FieldId id);

// The field with this OVS name (including aliases such as NXM_NX_REG0 or arp_op), if any.
const FieldInfo* FindField(std::string_view name);

// Reads / writes bits [ofs, ofs+n) of a field of up to 64 bits (registers, metadata, ports,
// ...). Fields wider than 64 bits (IPv6) are read/written in their low 64 bits.
uint64_t ReadFieldBits(const FlowKey& key, FieldId id, uint16_t ofs, uint16_t n_bits);
void WriteFieldBits(FlowKey& key, FieldId id, uint16_t ofs, uint16_t n_bits, uint64_t value);

// What a match must already say about the packet before a field means anything
// (ovs-fields(7) "prerequisites"): nw_src needs ip or arp, tp_dst needs tcp or udp, ...
enum class FieldPrereq : uint8_t {
  kNone,
  kIpAny,       // ip or ipv6
  kIpv4OrArp,   // ip or arp
  kIpAnyOrArp,  // ip, ipv6 or arp (nw_proto, which is arp_op for ARP)
  kArp,
  kIpv6,
  kTcpOrUdp,   // ip or ipv6 with nw_proto 6 or 17
  kTcp,        // ip or ipv6 with nw_proto 6
  kIcmp,       // ip with nw_proto 1
  kIcmpv6,     // ipv6 with nw_proto 58
  kNd,         // icmp6 with icmpv6_type 135 or 136
  kNdSolicit,  // icmp6 with icmpv6_type 135
  kNdAdvert,   // icmp6 with icmpv6_type 136
};

// The prerequisite of a field, so the flow syntax and the pipeline check matches and
// set_field/load/move targets the same way.
FieldPrereq GetFieldPrereq(FieldId id);

// OK when `match` establishes what `id` needs; otherwise InvalidArgument naming the field and
// what it needs, e.g. "nw_src requires ip or arp (dl_type=0x0800 or 0x0806)".
absl::Status CheckFieldPrereq(FieldId id, const Match& match);

// True for fields the pipeline computes or only conntrack writes (dl_type, nw_proto, conj_id,
// ct_*, ...): set_field, load and move must not name them as a destination.
bool IsReadOnlyField(FieldId id);

}  // namespace podswitch::core
