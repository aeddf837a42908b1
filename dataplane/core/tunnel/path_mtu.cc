#include "dataplane/core/tunnel/path_mtu.h"

#include <algorithm>
#include <cstring>

#include "dataplane/core/packet/byte_order.h"
#include "dataplane/core/packet/checksum.h"
#include "dataplane/core/packet/packet_parser.h"
#include "dataplane/core/packet/protocols.h"

namespace podswitch::core {
namespace {

constexpr uint8_t kIcmpDestUnreachable = 3;
constexpr uint8_t kIcmpFragNeeded = 4;
constexpr uint8_t kIcmpv6PacketTooBig = 2;
constexpr uint8_t kIcmpv6FirstInfoType = 128;    // lower types are errors (RFC 4443 2.1)
constexpr uint8_t kIpTosInternetControl = 0xc0;  // precedence of ICMP errors, as Linux sends
constexpr uint8_t kReplyTtl = 64;
constexpr size_t kIpv6MinMtu = 1280;

// ICMP types that are errors (RFC 1122 3.2.2: never answered with another error).
bool IsIcmpError(uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

// Not a unique unicast host (RFC 1812 4.3.2.7): 0/8, loopback, multicast, class E, broadcast.
bool IsBadIcmpSource(uint32_t addr) {
  const uint32_t first = addr >> 24;
  return first == 0 || first == 127 || first >= 224;
}

bool IsMulticastOrBroadcast(uint32_t addr) { return addr >> 28 == 0xe || addr == 0xffffffff; }

// Starts the reply frame: the inner frame's L2 header (VLAN tags included) with the MACs
// swapped so the reply goes from the gateway back to the sender; then `l3_len` zero bytes.
std::vector<uint8_t> StartReply(std::span<const uint8_t> inner, uint32_t l3_offset,
                                const MacAddr& gw_mac, size_t l3_len) {
  std::vector<uint8_t> out(l3_offset + l3_len, 0);
  std::memcpy(out.data(), inner.data(), l3_offset);
  std::memcpy(out.data(), inner.data() + 6, 6);
  std::memcpy(out.data() + 6, gw_mac.data(), 6);
  return out;
}

}  // namespace

std::vector<uint8_t> BuildIcmpFragNeeded(std::span<const uint8_t> inner_frame,
                                         uint32_t next_hop_mtu, const MacAddr& gw_mac,
                                         uint32_t gw_ip) {
  const ParsedPacket parsed = ParsePacketHeaders(inner_frame, 0);
  const FlowKey& key = parsed.key;
  if (key.dl_type != kEthTypeIpv4 || parsed.l3_offset == kNoHeader) return {};
  if (inner_frame[0] & 0x01) return {};  // sent to a link-layer broadcast or multicast
  const uint8_t* ip = inner_frame.data() + parsed.l3_offset;
  if (!(ReadBe16(ip + 6) & kIpv4DontFragment) || (key.nw_frag & kFragLater)) return {};
  if (IsBadIcmpSource(key.nw_src) || IsMulticastOrBroadcast(key.nw_dst)) return {};
  if (key.nw_proto == kIpProtoIcmp &&
      (parsed.l4_offset == kNoHeader || IsIcmpError(static_cast<uint8_t>(key.tp_src)))) {
    return {};
  }

  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  const size_t quote_len = std::min<size_t>(ihl + 8, parsed.l3_end - parsed.l3_offset);
  const size_t icmp_len = kIcmpHeaderLen + quote_len;
  std::vector<uint8_t> out =
      StartReply(inner_frame, parsed.l3_offset, gw_mac, kIpv4MinHeaderLen + icmp_len);

  uint8_t* reply_ip = out.data() + parsed.l3_offset;
  reply_ip[0] = 0x45;
  reply_ip[1] = kIpTosInternetControl;
  WriteBe16(reply_ip + 2, static_cast<uint16_t>(kIpv4MinHeaderLen + icmp_len));
  reply_ip[8] = kReplyTtl;
  reply_ip[9] = kIpProtoIcmp;
  WriteBe32(reply_ip + 12, gw_ip);
  WriteBe32(reply_ip + 16, key.nw_src);
  WriteBe16(reply_ip + 10, InternetChecksum({reply_ip, kIpv4MinHeaderLen}));

  uint8_t* icmp = reply_ip + kIpv4MinHeaderLen;
  icmp[0] = kIcmpDestUnreachable;
  icmp[1] = kIcmpFragNeeded;
  WriteBe16(icmp + 6, static_cast<uint16_t>(std::min<uint32_t>(next_hop_mtu, 0xffff)));
  std::memcpy(icmp + kIcmpHeaderLen, ip, quote_len);
  WriteBe16(icmp + 2, InternetChecksum({icmp, icmp_len}));
  return out;
}

std::vector<uint8_t> BuildIcmpv6PacketTooBig(std::span<const uint8_t> inner_frame, uint32_t mtu,
                                             const MacAddr& gw_mac, const Ipv6Addr& gw_ip) {
  const ParsedPacket parsed = ParsePacketHeaders(inner_frame, 0);
  const FlowKey& key = parsed.key;
  if (key.dl_type != kEthTypeIpv6 || parsed.l3_offset == kNoHeader) return {};
  // The unspecified source (::) and multicast sources (ff00::/8) cannot be answered.
  if (key.ipv6_src == Ipv6Addr{} || key.ipv6_src[0] == 0xff) return {};
  if (key.nw_proto == kIpProtoIcmpv6 &&
      (parsed.l4_offset == kNoHeader || key.tp_src < kIcmpv6FirstInfoType)) {
    return {};
  }

  const size_t quote_len = std::min<size_t>(parsed.l3_end - parsed.l3_offset,
                                            kIpv6MinMtu - kIpv6HeaderLen - kIcmpHeaderLen);
  const size_t icmp_len = kIcmpHeaderLen + quote_len;
  std::vector<uint8_t> out =
      StartReply(inner_frame, parsed.l3_offset, gw_mac, kIpv6HeaderLen + icmp_len);

  uint8_t* reply_ip = out.data() + parsed.l3_offset;
  WriteBe32(reply_ip, 6u << 28);
  WriteBe16(reply_ip + 4, static_cast<uint16_t>(icmp_len));
  reply_ip[6] = kIpProtoIcmpv6;
  reply_ip[7] = kReplyTtl;
  std::memcpy(reply_ip + 8, gw_ip.data(), 16);
  std::memcpy(reply_ip + 24, key.ipv6_src.data(), 16);

  uint8_t* icmp = reply_ip + kIpv6HeaderLen;
  icmp[0] = kIcmpv6PacketTooBig;
  icmp[1] = 0;
  WriteBe32(icmp + 4, mtu);
  std::memcpy(icmp + kIcmpHeaderLen, inner_frame.data() + parsed.l3_offset, quote_len);
  const uint32_t pseudo =
      Ipv6PseudoHeaderSum(gw_ip, key.ipv6_src, kIpProtoIcmpv6, static_cast<uint32_t>(icmp_len));
  WriteBe16(icmp + 2, ChecksumFinish(ChecksumAdd({icmp, icmp_len}, pseudo)));
  return out;
}

Ipv6Addr Ipv6LinkLocalFromMac(const MacAddr& mac) {
  Ipv6Addr addr{};
  addr[0] = 0xfe;
  addr[1] = 0x80;
  addr[8] = mac[0] ^ 0x02;  // the universal/local bit, inverted
  addr[9] = mac[1];
  addr[10] = mac[2];
  addr[11] = 0xff;
  addr[12] = 0xfe;
  addr[13] = mac[3];
  addr[14] = mac[4];
  addr[15] = mac[5];
  return addr;
}

std::vector<uint8_t> BuildIcmpTooBig(std::span<const uint8_t> inner_frame, uint32_t mtu,
                                     const MacAddr& gw_mac, uint32_t gw_ip) {
  const ParsedPacket parsed = ParsePacketHeaders(inner_frame, 0);
  if (parsed.key.dl_type == kEthTypeIpv6) {
    return BuildIcmpv6PacketTooBig(inner_frame, mtu, gw_mac, Ipv6LinkLocalFromMac(gw_mac));
  }
  return BuildIcmpFragNeeded(inner_frame, mtu, gw_mac, gw_ip);
}

}  // namespace podswitch::core
