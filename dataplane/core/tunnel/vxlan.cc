#include "dataplane/core/tunnel/vxlan.h"

#include <cstring>

#include "dataplane/core/packet/byte_order.h"
#include "dataplane/core/packet/checksum.h"

namespace podswitch::core {
namespace {

constexpr uint8_t kIpProtoSctp = 132;
constexpr uint32_t kOuterIpOffset = kEthHeaderLen;
constexpr uint32_t kOuterUdpOffset = kOuterIpOffset + kIpv4MinHeaderLen;
constexpr uint32_t kOuterVxlanOffset = kOuterUdpOffset + kUdpHeaderLen;
constexpr uint32_t kMaxIpv4TotalLen = 0xffff;

// Multiply-xorshift mixing of words of the inner flow, like HashFlowKey.
class FlowHasher {
 public:
  void Add(const uint8_t* p, size_t n) {
    for (; n >= 8; p += 8, n -= 8) Mix(Load(p, 8));
    if (n > 0) Mix(Load(p, n));
  }
  void Add(uint64_t word) { Mix(word); }
  uint64_t Finish() const {
    uint64_t h = h_;
    h ^= h >> 32;
    h *= kMul;
    h ^= h >> 29;
    return h;
  }

 private:
  static constexpr uint64_t kMul = 0xff51afd7ed558ccdull;
  static uint64_t Load(const uint8_t* p, size_t n) {
    uint64_t word = 0;
    std::memcpy(&word, p, n);
    return word;
  }
  void Mix(uint64_t word) { h_ = (h_ ^ word) * kMul; }
  uint64_t h_ = 0x9e3779b97f4a7c15ull;
};

bool HasPorts(uint8_t proto) {
  return proto == kIpProtoTcp || proto == kIpProtoUdp || proto == kIpProtoSctp;
}

// Hash of the inner frame's 5-tuple, bounds-checked at every step.
uint64_t InnerFlowHash(std::span<const uint8_t> frame) {
  FlowHasher hasher;
  const uint8_t* p = frame.data();
  const size_t size = frame.size();
  if (size < kEthHeaderLen) {
    hasher.Add(p, size);
    return hasher.Finish();
  }
  size_t l3 = kEthHeaderLen;
  uint16_t type = ReadBe16(p + 12);
  for (int tags = 0; tags < 2 && (type == kEthTypeVlan || type == kEthTypeQinQ); ++tags) {
    if (l3 + kVlanTagLen > size) break;
    type = ReadBe16(p + l3 + 2);
    l3 += kVlanTagLen;
  }
  if (type == kEthTypeIpv4 && l3 + kIpv4MinHeaderLen <= size) {
    const uint8_t* ip = p + l3;
    const uint8_t proto = ip[9];
    hasher.Add(ip + 12, 8);  // source and destination
    hasher.Add(proto);
    const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
    const bool fragment = (ReadBe16(ip + 6) & (kIpv4MoreFragments | kIpv4FragOffsetMask)) != 0;
    if (!fragment && HasPorts(proto) && ihl >= kIpv4MinHeaderLen && l3 + ihl + 4 <= size) {
      hasher.Add(ip + ihl, 4);
    }
  } else if (type == kEthTypeIpv6 && l3 + kIpv6HeaderLen <= size) {
    const uint8_t* ip = p + l3;
    const uint8_t next = ip[6];
    hasher.Add(ip + 8, 32);  // source and destination
    hasher.Add(uint64_t{next} | uint64_t{1} << 8);
    // Extension headers are not walked: such flows hash by address, still stable.
    if (HasPorts(next) && l3 + kIpv6HeaderLen + 4 <= size) hasher.Add(ip + kIpv6HeaderLen, 4);
  } else {
    hasher.Add(p, 12);
    hasher.Add(type);
  }
  return hasher.Finish();
}

uint16_t NextIpv4Id() {
  thread_local uint16_t next_id = 0;
  return ++next_id;
}

}  // namespace

uint16_t VxlanSourcePort(std::span<const uint8_t> inner_frame) {
  // The top bits of the hash are the best mixed; 14 of them cover the 16384 ports.
  return static_cast<uint16_t>(kVxlanSourcePortMin | InnerFlowHash(inner_frame) >> 50);
}

bool EncapVxlan(PacketBuffer& pkt, const VxlanEndpoint& local, const VxlanNextHop& next_hop,
                uint32_t vni) {
  if (pkt.headroom < kVxlanEncapLen) return false;
  return EncapVxlanWithSourcePort(pkt, local, next_hop, vni, VxlanSourcePort(pkt.bytes()));
}

bool EncapVxlanWithSourcePort(PacketBuffer& pkt, const VxlanEndpoint& local,
                              const VxlanNextHop& next_hop, uint32_t vni, uint16_t src_port) {
  const uint32_t inner_size = pkt.size;
  if (inner_size > kMaxIpv4TotalLen - (kVxlanEncapLen - kEthHeaderLen)) return false;
  if (!pkt.Prepend(kVxlanEncapLen)) return false;
  uint8_t* p = pkt.data;

  std::memcpy(p, next_hop.next_hop_mac.data(), 6);
  std::memcpy(p + 6, local.local_mac.data(), 6);
  WriteBe16(p + 12, kEthTypeIpv4);

  uint8_t* ip = p + kOuterIpOffset;
  ip[0] = 0x45;
  ip[1] = 0;  // TOS
  WriteBe16(ip + 2, static_cast<uint16_t>(pkt.size - kEthHeaderLen));
  WriteBe16(ip + 4, local.dont_fragment ? 0 : NextIpv4Id());
  WriteBe16(ip + 6, local.dont_fragment ? kIpv4DontFragment : 0);
  ip[8] = local.ttl;
  ip[9] = kIpProtoUdp;
  WriteBe16(ip + 10, 0);
  WriteBe32(ip + 12, local.local_ip);
  WriteBe32(ip + 16, next_hop.remote_ip);
  WriteBe16(ip + 10, InternetChecksum({ip, kIpv4MinHeaderLen}));

  uint8_t* udp = p + kOuterUdpOffset;
  WriteBe16(udp, src_port);
  WriteBe16(udp + 2, local.dst_port);
  WriteBe16(udp + 4, static_cast<uint16_t>(inner_size + kUdpHeaderLen + kVxlanHeaderLen));
  WriteBe16(udp + 6, 0);

  uint8_t* vxlan = p + kOuterVxlanOffset;
  WriteBe32(vxlan, uint32_t{kVxlanFlagVni} << 24);
  WriteBe32(vxlan + 4, (vni & 0xffffff) << 8);
  return true;
}

std::string_view VxlanDecapErrorName(VxlanDecapError error) {
  switch (error) {
    case VxlanDecapError::kNone:
      return "none";
    case VxlanDecapError::kNotIpv4:
      return "not_ipv4";
    case VxlanDecapError::kNotUdp:
      return "not_udp";
    case VxlanDecapError::kNotLocalIp:
      return "not_local_ip";
    case VxlanDecapError::kNotVxlanPort:
      return "not_vxlan_port";
    case VxlanDecapError::kFragment:
      return "fragment";
    case VxlanDecapError::kTruncated:
      return "truncated";
    case VxlanDecapError::kBadIpHeader:
      return "bad_ip_header";
    case VxlanDecapError::kBadIpChecksum:
      return "bad_ip_checksum";
    case VxlanDecapError::kBadUdpLength:
      return "bad_udp_length";
    case VxlanDecapError::kNoVniFlag:
      return "no_vni_flag";
  }
  return "unknown";
}

VxlanDecapResult DecapVxlanWithReason(PacketBuffer& pkt, const VxlanEndpoint& local) {
  using E = VxlanDecapError;
  const uint8_t* p = pkt.data;
  const uint32_t size = pkt.size;
  if (size < kEthHeaderLen) return {E::kTruncated};
  if (ReadBe16(p + 12) != kEthTypeIpv4) return {E::kNotIpv4};
  if (size < kOuterIpOffset + kIpv4MinHeaderLen) return {E::kTruncated};

  const uint8_t* ip = p + kOuterIpOffset;
  const uint32_t ihl = uint32_t{ip[0] & 0x0fu} * 4;
  if (ip[0] >> 4 != 4 || ihl < kIpv4MinHeaderLen) return {E::kBadIpHeader};
  const uint32_t total_len = ReadBe16(ip + 2);
  if (total_len < ihl) return {E::kBadIpHeader};
  if (kOuterIpOffset + total_len > size) return {E::kTruncated};
  if (ip[9] != kIpProtoUdp) return {E::kNotUdp};
  const uint32_t outer_dst = ReadBe32(ip + 16);
  if (outer_dst != local.local_ip) return {E::kNotLocalIp};
  if ((ReadBe16(ip + 6) & (kIpv4MoreFragments | kIpv4FragOffsetMask)) != 0) return {E::kFragment};
  if (total_len < ihl + kUdpHeaderLen) return {E::kTruncated};

  const uint8_t* udp = ip + ihl;
  if (ReadBe16(udp + 2) != local.dst_port) return {E::kNotVxlanPort};
  if (InternetChecksum({ip, ihl}) != 0) return {E::kBadIpChecksum};
  const uint32_t udp_len = ReadBe16(udp + 4);
  if (udp_len < kUdpHeaderLen + kVxlanHeaderLen + kEthHeaderLen || ihl + udp_len > total_len) {
    return {E::kBadUdpLength};
  }
  const uint8_t* vxlan = udp + kUdpHeaderLen;
  if (!(vxlan[0] & kVxlanFlagVni)) return {E::kNoVniFlag};

  VxlanDecap decap{
      .vni = ReadBe32(vxlan + 4) >> 8, .outer_src = ReadBe32(ip + 12), .outer_dst = outer_dst};
  const uint32_t outer_len = kOuterIpOffset + ihl + kUdpHeaderLen + kVxlanHeaderLen;
  pkt.TrimFront(outer_len);
  pkt.size = udp_len - kUdpHeaderLen - kVxlanHeaderLen;
  return {E::kNone, decap};
}

std::optional<VxlanDecap> DecapVxlan(PacketBuffer& pkt, const VxlanEndpoint& local) {
  VxlanDecapResult result = DecapVxlanWithReason(pkt, local);
  if (result.error != VxlanDecapError::kNone) return std::nullopt;
  return result.decap;
}

}  // namespace podswitch::core
