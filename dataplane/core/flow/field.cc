#include "dataplane/core/flow/field.h"

#include <array>
#include <cstddef>
#include <cstring>
#include <span>

#include "absl/strings/match.h"
#include "dataplane/core/flow/field_internal.h"

namespace podswitch::core {
namespace {

using flow_internal::FieldAlias;
using flow_internal::FieldBits;
using flow_internal::LowBits;

#define PS_MEMBER(m) static_cast<uint16_t>(offsetof(FlowKey, m)), sizeof(FlowKey::m)
#define PS_REG(i) static_cast<uint16_t>(offsetof(FlowKey, regs) + 4 * (i)), 4

using F = FieldFormat;

// One row per FieldId, in FieldId order (checked below).
constexpr FieldInfo kFields[] = {
    {FieldId::kInPort, "in_port", PS_MEMBER(in_port), 0, 32, F::kPort, false},
    {FieldId::kDlSrc, "dl_src", PS_MEMBER(dl_src), 0, 48, F::kMac, true},
    {FieldId::kDlDst, "dl_dst", PS_MEMBER(dl_dst), 0, 48, F::kMac, true},
    {FieldId::kDlType, "dl_type", PS_MEMBER(dl_type), 0, 16, F::kHex, false},
    {FieldId::kVlanTci, "vlan_tci", PS_MEMBER(vlan_tci), 0, 16, F::kHex, true},
    {FieldId::kDlVlan, "dl_vlan", PS_MEMBER(vlan_tci), 0, 12, F::kDecimal, false},
    {FieldId::kDlVlanPcp, "dl_vlan_pcp", PS_MEMBER(vlan_tci), 13, 3, F::kDecimal, false},
    {FieldId::kNwSrc, "nw_src", PS_MEMBER(nw_src), 0, 32, F::kIpv4, true},
    {FieldId::kNwDst, "nw_dst", PS_MEMBER(nw_dst), 0, 32, F::kIpv4, true},
    {FieldId::kNwProto, "nw_proto", PS_MEMBER(nw_proto), 0, 8, F::kDecimal, false},
    {FieldId::kNwTos, "nw_tos", PS_MEMBER(nw_tos), 0, 8, F::kDecimal, false},
    {FieldId::kIpDscp, "ip_dscp", PS_MEMBER(nw_tos), 2, 6, F::kDecimal, false},
    {FieldId::kNwEcn, "nw_ecn", PS_MEMBER(nw_tos), 0, 2, F::kDecimal, false},
    {FieldId::kNwTtl, "nw_ttl", PS_MEMBER(nw_ttl), 0, 8, F::kDecimal, false},
    {FieldId::kNwFrag, "nw_frag", PS_MEMBER(nw_frag), 0, 2, F::kFrag, true},
    {FieldId::kTpSrc, "tp_src", PS_MEMBER(tp_src), 0, 16, F::kDecimal, true},
    {FieldId::kTpDst, "tp_dst", PS_MEMBER(tp_dst), 0, 16, F::kDecimal, true},
    {FieldId::kTcpFlags, "tcp_flags", PS_MEMBER(tcp_flags), 0, 12, F::kTcpFlags, true},
    {FieldId::kIcmpType, "icmp_type", PS_MEMBER(tp_src), 0, 8, F::kDecimal, false},
    {FieldId::kIcmpCode, "icmp_code", PS_MEMBER(tp_dst), 0, 8, F::kDecimal, false},
    {FieldId::kIcmpv6Type, "icmpv6_type", PS_MEMBER(tp_src), 0, 8, F::kDecimal, false},
    {FieldId::kIcmpv6Code, "icmpv6_code", PS_MEMBER(tp_dst), 0, 8, F::kDecimal, false},
    {FieldId::kArpOp, "arp_op", PS_MEMBER(nw_proto), 0, 8, F::kDecimal, false},
    {FieldId::kArpSpa, "arp_spa", PS_MEMBER(nw_src), 0, 32, F::kIpv4, true},
    {FieldId::kArpTpa, "arp_tpa", PS_MEMBER(nw_dst), 0, 32, F::kIpv4, true},
    {FieldId::kArpSha, "arp_sha", PS_MEMBER(arp_sha), 0, 48, F::kMac, true},
    {FieldId::kArpTha, "arp_tha", PS_MEMBER(arp_tha), 0, 48, F::kMac, true},
    {FieldId::kIpv6Src, "ipv6_src", PS_MEMBER(ipv6_src), 0, 128, F::kIpv6, true},
    {FieldId::kIpv6Dst, "ipv6_dst", PS_MEMBER(ipv6_dst), 0, 128, F::kIpv6, true},
    {FieldId::kIpv6Label, "ipv6_label", PS_MEMBER(ipv6_label), 0, 20, F::kHex, true},
    {FieldId::kNdTarget, "nd_target", PS_MEMBER(nd_target), 0, 128, F::kIpv6, true},
    {FieldId::kNdSll, "nd_sll", PS_MEMBER(arp_sha), 0, 48, F::kMac, true},
    {FieldId::kNdTll, "nd_tll", PS_MEMBER(arp_tha), 0, 48, F::kMac, true},
    {FieldId::kTunId, "tun_id", PS_MEMBER(tun_id), 0, 64, F::kHex, true},
    {FieldId::kTunSrc, "tun_src", PS_MEMBER(tun_src), 0, 32, F::kIpv4, true},
    {FieldId::kTunDst, "tun_dst", PS_MEMBER(tun_dst), 0, 32, F::kIpv4, true},
    {FieldId::kMetadata, "metadata", PS_MEMBER(metadata), 0, 64, F::kHex, true},
    {FieldId::kReg0, "reg0", PS_REG(0), 0, 32, F::kHex, true},
    {FieldId::kReg1, "reg1", PS_REG(1), 0, 32, F::kHex, true},
    {FieldId::kReg2, "reg2", PS_REG(2), 0, 32, F::kHex, true},
    {FieldId::kReg3, "reg3", PS_REG(3), 0, 32, F::kHex, true},
    {FieldId::kReg4, "reg4", PS_REG(4), 0, 32, F::kHex, true},
    {FieldId::kReg5, "reg5", PS_REG(5), 0, 32, F::kHex, true},
    {FieldId::kReg6, "reg6", PS_REG(6), 0, 32, F::kHex, true},
    {FieldId::kReg7, "reg7", PS_REG(7), 0, 32, F::kHex, true},
    {FieldId::kConjId, "conj_id", PS_MEMBER(conj_id), 0, 32, F::kDecimal, false},
    {FieldId::kCtState, "ct_state", PS_MEMBER(ct_state), 0, 8, F::kCtState, true},
    {FieldId::kCtZone, "ct_zone", PS_MEMBER(ct_zone), 0, 16, F::kDecimal, false},
    {FieldId::kCtMark, "ct_mark", PS_MEMBER(ct_mark), 0, 32, F::kHex, true},
    {FieldId::kPktErr, "pkt_err", PS_MEMBER(pkt_err), 0, 8, F::kPktErr, false},
};

#undef PS_MEMBER
#undef PS_REG

constexpr bool TableInIdOrder() {
  for (size_t i = 0; i < std::size(kFields); ++i) {
    if (static_cast<size_t>(kFields[i].id) != i) return false;
  }
  return std::size(kFields) == static_cast<size_t>(FieldId::kCount);
}
static_assert(TableInIdOrder(), "kFields must list every FieldId in order");

// Other spellings: OVS's newer names and the NXM/OXM names that load/move traditionally use.
constexpr FieldAlias kAliases[] = {
    {"eth_src", FieldId::kDlSrc},
    {"eth_dst", FieldId::kDlDst},
    {"eth_type", FieldId::kDlType},
    {"ip_src", FieldId::kNwSrc},
    {"ip_dst", FieldId::kNwDst},
    {"ip_proto", FieldId::kNwProto},
    {"ip_ecn", FieldId::kNwEcn},
    {"ip_ttl", FieldId::kNwTtl},
    {"ip_frag", FieldId::kNwFrag},
    {"tcp_src", FieldId::kTpSrc},
    {"udp_src", FieldId::kTpSrc},
    {"tcp_dst", FieldId::kTpDst},
    {"udp_dst", FieldId::kTpDst},
    {"tunnel_id", FieldId::kTunId},
    {"NXM_OF_IN_PORT", FieldId::kInPort},
    {"NXM_OF_ETH_SRC", FieldId::kDlSrc},
    {"NXM_OF_ETH_DST", FieldId::kDlDst},
    {"NXM_OF_ETH_TYPE", FieldId::kDlType},
    {"NXM_OF_VLAN_TCI", FieldId::kVlanTci},
    {"NXM_OF_IP_TOS", FieldId::kNwTos},
    {"NXM_OF_IP_PROTO", FieldId::kNwProto},
    {"NXM_OF_IP_SRC", FieldId::kNwSrc},
    {"NXM_OF_IP_DST", FieldId::kNwDst},
    {"NXM_NX_IP_ECN", FieldId::kNwEcn},
    {"NXM_NX_IP_TTL", FieldId::kNwTtl},
    {"NXM_NX_IP_FRAG", FieldId::kNwFrag},
    {"NXM_OF_TCP_SRC", FieldId::kTpSrc},
    {"NXM_OF_TCP_DST", FieldId::kTpDst},
    {"NXM_OF_UDP_SRC", FieldId::kTpSrc},
    {"NXM_OF_UDP_DST", FieldId::kTpDst},
    {"NXM_NX_TCP_FLAGS", FieldId::kTcpFlags},
    {"NXM_OF_ICMP_TYPE", FieldId::kIcmpType},
    {"NXM_OF_ICMP_CODE", FieldId::kIcmpCode},
    {"NXM_NX_ICMPV6_TYPE", FieldId::kIcmpv6Type},
    {"NXM_NX_ICMPV6_CODE", FieldId::kIcmpv6Code},
    {"NXM_OF_ARP_OP", FieldId::kArpOp},
    {"NXM_OF_ARP_SPA", FieldId::kArpSpa},
    {"NXM_OF_ARP_TPA", FieldId::kArpTpa},
    {"NXM_NX_ARP_SHA", FieldId::kArpSha},
    {"NXM_NX_ARP_THA", FieldId::kArpTha},
    {"NXM_NX_IPV6_SRC", FieldId::kIpv6Src},
    {"NXM_NX_IPV6_DST", FieldId::kIpv6Dst},
    {"NXM_NX_IPV6_LABEL", FieldId::kIpv6Label},
    {"NXM_NX_ND_TARGET", FieldId::kNdTarget},
    {"NXM_NX_ND_SLL", FieldId::kNdSll},
    {"NXM_NX_ND_TLL", FieldId::kNdTll},
    {"NXM_NX_TUN_ID", FieldId::kTunId},
    {"NXM_NX_TUN_IPV4_SRC", FieldId::kTunSrc},
    {"NXM_NX_TUN_IPV4_DST", FieldId::kTunDst},
    {"OXM_OF_METADATA", FieldId::kMetadata},
    {"NXM_NX_REG0", FieldId::kReg0},
    {"NXM_NX_REG1", FieldId::kReg1},
    {"NXM_NX_REG2", FieldId::kReg2},
    {"NXM_NX_REG3", FieldId::kReg3},
    {"NXM_NX_REG4", FieldId::kReg4},
    {"NXM_NX_REG5", FieldId::kReg5},
    {"NXM_NX_REG6", FieldId::kReg6},
    {"NXM_NX_REG7", FieldId::kReg7},
    {"NXM_NX_CONJ_ID", FieldId::kConjId},
    {"NXM_NX_CT_STATE", FieldId::kCtState},
    {"NXM_NX_CT_ZONE", FieldId::kCtZone},
    {"NXM_NX_CT_MARK", FieldId::kCtMark},
};

// The canonical names followed by the aliases, built once.
const std::array<FieldAlias, std::size(kFields) + std::size(kAliases)>& AllNames() {
  static const auto names = [] {
    std::array<FieldAlias, std::size(kFields) + std::size(kAliases)> all{};
    size_t n = 0;
    for (const FieldInfo& f : kFields) all[n++] = {f.name, f.id};
    for (const FieldAlias& a : kAliases) all[n++] = a;
    return all;
  }();
  return names;
}

// Byte arrays (MACs, IPv6 addresses) are big-endian numbers; everything else is a host-order
// integer member of 1, 2, 4 or 8 bytes.
bool IsByteArray(const FieldInfo& f) {
  return f.format == FieldFormat::kMac || f.format == FieldFormat::kIpv6;
}

FieldBits LoadMember(const FlowKey& key, const FieldInfo& f) {
  const auto* base = reinterpret_cast<const unsigned char*>(&key) + f.offset;
  FieldBits v = 0;
  if (IsByteArray(f)) {
    for (size_t i = 0; i < f.bytes; ++i) v = v << 8 | base[i];
    return v;
  }
  uint64_t word = 0;
  switch (f.bytes) {
    case 1:
      word = base[0];
      break;
    case 2: {
      uint16_t x;
      std::memcpy(&x, base, 2);
      word = x;
      break;
    }
    case 4: {
      uint32_t x;
      std::memcpy(&x, base, 4);
      word = x;
      break;
    }
    default:
      std::memcpy(&word, base, 8);
      break;
  }
  return word;
}

void StoreMember(FlowKey& key, const FieldInfo& f, FieldBits v) {
  auto* base = reinterpret_cast<unsigned char*>(&key) + f.offset;
  if (IsByteArray(f)) {
    for (size_t i = f.bytes; i-- > 0; v >>= 8) base[i] = static_cast<unsigned char>(v);
    return;
  }
  switch (f.bytes) {
    case 1:
      base[0] = static_cast<uint8_t>(v);
      break;
    case 2: {
      uint16_t x = static_cast<uint16_t>(v);
      std::memcpy(base, &x, 2);
      break;
    }
    case 4: {
      uint32_t x = static_cast<uint32_t>(v);
      std::memcpy(base, &x, 4);
      break;
    }
    default: {
      uint64_t x = static_cast<uint64_t>(v);
      std::memcpy(base, &x, 8);
      break;
    }
  }
}

bool KnownDlType(const Match& m, uint16_t type) {
  return m.mask.dl_type == 0xffff && m.value.dl_type == type;
}
bool KnownProto(const Match& m, uint8_t proto) {
  return m.mask.nw_proto == 0xff && m.value.nw_proto == proto;
}
bool IsIpAny(const Match& m) { return KnownDlType(m, 0x0800) || KnownDlType(m, 0x86dd); }
bool IsIcmpv6Type(const Match& m, uint8_t type) {
  return KnownDlType(m, 0x86dd) && KnownProto(m, 58) && (m.mask.tp_src & 0xff) == 0xff &&
         m.value.tp_src == type;
}

bool PrereqHolds(FieldPrereq p, const Match& m) {
  switch (p) {
    case FieldPrereq::kNone:
      return true;
    case FieldPrereq::kIpAny:
      return IsIpAny(m);
    case FieldPrereq::kIpv4OrArp:
      return KnownDlType(m, 0x0800) || KnownDlType(m, 0x0806);
    case FieldPrereq::kIpAnyOrArp:
      return IsIpAny(m) || KnownDlType(m, 0x0806);
    case FieldPrereq::kArp:
      return KnownDlType(m, 0x0806);
    case FieldPrereq::kIpv6:
      return KnownDlType(m, 0x86dd);
    case FieldPrereq::kTcpOrUdp:
      return IsIpAny(m) && (KnownProto(m, 6) || KnownProto(m, 17));
    case FieldPrereq::kTcp:
      return IsIpAny(m) && KnownProto(m, 6);
    case FieldPrereq::kIcmp:
      return KnownDlType(m, 0x0800) && KnownProto(m, 1);
    case FieldPrereq::kIcmpv6:
      return KnownDlType(m, 0x86dd) && KnownProto(m, 58);
    case FieldPrereq::kNd:
      return IsIcmpv6Type(m, 135) || IsIcmpv6Type(m, 136);
    case FieldPrereq::kNdSolicit:
      return IsIcmpv6Type(m, 135);
    case FieldPrereq::kNdAdvert:
      return IsIcmpv6Type(m, 136);
  }
  return false;
}

std::string_view PrereqText(FieldPrereq p) {
  switch (p) {
    case FieldPrereq::kNone:
      return "nothing";
    case FieldPrereq::kIpAny:
      return "ip or ipv6 (dl_type=0x0800 or 0x86dd)";
    case FieldPrereq::kIpv4OrArp:
      return "ip or arp (dl_type=0x0800 or 0x0806)";
    case FieldPrereq::kIpAnyOrArp:
      return "ip, ipv6 or arp (dl_type=0x0800, 0x86dd or 0x0806)";
    case FieldPrereq::kArp:
      return "arp (dl_type=0x0806)";
    case FieldPrereq::kIpv6:
      return "ipv6 (dl_type=0x86dd)";
    case FieldPrereq::kTcpOrUdp:
      return "tcp or udp (nw_proto=6 or 17 with ip or ipv6)";
    case FieldPrereq::kTcp:
      return "tcp (nw_proto=6 with ip or ipv6)";
    case FieldPrereq::kIcmp:
      return "icmp (dl_type=0x0800,nw_proto=1)";
    case FieldPrereq::kIcmpv6:
      return "icmp6 (dl_type=0x86dd,nw_proto=58)";
    case FieldPrereq::kNd:
      return "icmp6 with icmpv6_type=135 or 136 (neighbour discovery)";
    case FieldPrereq::kNdSolicit:
      return "icmp6,icmpv6_type=135 (neighbour solicitation)";
    case FieldPrereq::kNdAdvert:
      return "icmp6,icmpv6_type=136 (neighbour advertisement)";
  }
  return "?";
}

}  // namespace

namespace flow_internal {

FieldBits FieldFullMask(FieldId id) {
  return id == FieldId::kNwTos ? FieldBits{0xfc} : LowBits(GetField(id).n_bits);
}

FieldBits GetFieldValue(const FlowKey& key, FieldId id) {
  const FieldInfo& f = GetField(id);
  return (LoadMember(key, f) >> f.bit_shift) & LowBits(f.n_bits);
}

void SetFieldValue(FlowKey& key, FieldId id, FieldBits value) {
  const FieldInfo& f = GetField(id);
  FieldBits bits = LowBits(f.n_bits) << f.bit_shift;
  FieldBits member = LoadMember(key, f);
  StoreMember(key, f, (member & ~bits) | ((value << f.bit_shift) & bits));
}

std::span<const FieldAlias> FieldAliases() { return AllNames(); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(AsAbsl(a), AsAbsl(b));
}

}  // namespace flow_internal

const FieldInfo& GetField(FieldId id) { return kFields[static_cast<size_t>(id)]; }

const FieldInfo* FindField(std::string_view name) {
  for (const FieldAlias& a : AllNames()) {
    if (flow_internal::EqualsIgnoreCase(a.name, name)) return &GetField(a.id);
  }
  return nullptr;
}

uint64_t ReadFieldBits(const FlowKey& key, FieldId id, uint16_t ofs, uint16_t n_bits) {
  const FieldInfo& f = GetField(id);
  if (n_bits == 0 || n_bits > 64 || ofs + n_bits > f.n_bits) return 0;
  return static_cast<uint64_t>((flow_internal::GetFieldValue(key, id) >> ofs) & LowBits(n_bits));
}

void WriteFieldBits(FlowKey& key, FieldId id, uint16_t ofs, uint16_t n_bits, uint64_t value) {
  const FieldInfo& f = GetField(id);
  if (n_bits == 0 || n_bits > 64 || ofs + n_bits > f.n_bits) return;
  FieldBits bits = LowBits(n_bits) << ofs;
  FieldBits old = flow_internal::GetFieldValue(key, id);
  flow_internal::SetFieldValue(key, id, (old & ~bits) | ((FieldBits{value} << ofs) & bits));
}

FieldPrereq GetFieldPrereq(FieldId id) {
  switch (id) {
    case FieldId::kNwSrc:
    case FieldId::kNwDst:
      return FieldPrereq::kIpv4OrArp;
    case FieldId::kNwProto:
      return FieldPrereq::kIpAnyOrArp;
    case FieldId::kNwTos:
    case FieldId::kIpDscp:
    case FieldId::kNwEcn:
    case FieldId::kNwTtl:
    case FieldId::kNwFrag:
      return FieldPrereq::kIpAny;
    case FieldId::kTpSrc:
    case FieldId::kTpDst:
      return FieldPrereq::kTcpOrUdp;
    case FieldId::kTcpFlags:
      return FieldPrereq::kTcp;
    case FieldId::kIcmpType:
    case FieldId::kIcmpCode:
      return FieldPrereq::kIcmp;
    case FieldId::kIcmpv6Type:
    case FieldId::kIcmpv6Code:
      return FieldPrereq::kIcmpv6;
    case FieldId::kArpOp:
    case FieldId::kArpSpa:
    case FieldId::kArpTpa:
    case FieldId::kArpSha:
    case FieldId::kArpTha:
      return FieldPrereq::kArp;
    case FieldId::kIpv6Src:
    case FieldId::kIpv6Dst:
    case FieldId::kIpv6Label:
      return FieldPrereq::kIpv6;
    case FieldId::kNdTarget:
      return FieldPrereq::kNd;
    case FieldId::kNdSll:
      return FieldPrereq::kNdSolicit;
    case FieldId::kNdTll:
      return FieldPrereq::kNdAdvert;
    default:
      return FieldPrereq::kNone;
  }
}

bool IsReadOnlyField(FieldId id) {
  switch (id) {
    case FieldId::kDlType:
    case FieldId::kNwProto:
    case FieldId::kNwFrag:
    case FieldId::kTcpFlags:
    case FieldId::kConjId:
    case FieldId::kCtState:
    case FieldId::kCtZone:
    case FieldId::kCtMark:
    case FieldId::kPktErr:
      return true;
    default:
      return false;
  }
}

absl::Status CheckFieldPrereq(FieldId id, const Match& match) {
  FieldPrereq p = GetFieldPrereq(id);
  if (PrereqHolds(p, match)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      flow_internal::Cat(GetField(id).name, " requires ", PrereqText(p)));
}

}  // namespace podswitch::core
