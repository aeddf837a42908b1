#include "dataplane/core/packet/packet_parser.h"

#include <cstring>

#include "dataplane/core/packet/byte_order.h"
#include "dataplane/core/packet/protocols.h"

namespace podswitch::core {
namespace {

// The frame and the key being filled; each Parse* function below handles one header that
// starts at `off` and ends no later than `end`, and returns false when parsing stops.
struct Parser {
  std::span<const uint8_t> frame;
  ParsedPacket& out;

  FlowKey& key() { return out.key; }
  const uint8_t* at(size_t off) const { return frame.data() + off; }
  void Error(PacketError e) { out.key.pkt_err = static_cast<uint8_t>(e); }

  void Ethernet();
  void Arp(size_t off);
  void Ipv4(size_t off);
  void Ipv6(size_t off);
  void L4(size_t off, size_t end, uint8_t proto, bool ipv6);
  void NeighborDiscovery(size_t off, size_t end, uint8_t type);
};

void Parser::Ethernet() {
  if (frame.size() < kEthHeaderLen) return Error(PacketError::kTruncated);
  std::memcpy(key().dl_dst.data(), at(0), 6);
  std::memcpy(key().dl_src.data(), at(6), 6);
  uint16_t type = ReadBe16(at(12));
  size_t off = kEthHeaderLen;
  while ((type == kEthTypeVlan || type == kEthTypeQinQ) && key().vlan_count < 2) {
    if (frame.size() - off < kVlanTagLen) return Error(PacketError::kTruncated);
    uint16_t tci = ReadBe16(at(off)) | kVlanPresent;
    if (key().vlan_count == 0) {
      key().vlan_tci = tci;
      key().vlan_tpid = type;
    } else {
      key().vlan_tci_inner = tci;
    }
    ++key().vlan_count;
    type = ReadBe16(at(off + 2));
    off += kVlanTagLen;
  }
  if (type < kEthTypeMin) {
    key().dl_type = kEthTypeNone;  // 802.3 length field; LLC/SNAP is not parsed
    return;
  }
  key().dl_type = type;
  if (type == kEthTypeIpv4) return Ipv4(off);
  if (type == kEthTypeIpv6) return Ipv6(off);
  if (type == kEthTypeArp) return Arp(off);
}

void Parser::Arp(size_t off) {
  size_t avail = frame.size() - off;
  if (avail < 8) return Error(PacketError::kTruncated);
  const uint8_t* p = at(off);
  // Only Ethernet/IPv4 ARP has fields in the key; other ARP is valid but opaque.
  if (ReadBe16(p) != 1 || ReadBe16(p + 2) != kEthTypeIpv4 || p[4] != 6 || p[5] != 4) return;
  if (avail < kArpEthIpv4Len) return Error(PacketError::kTruncated);
  uint16_t op = ReadBe16(p + 6);
  if (op <= 0xff) key().nw_proto = static_cast<uint8_t>(op);
  std::memcpy(key().arp_sha.data(), p + 8, 6);
  key().nw_src = ReadBe32(p + 14);
  std::memcpy(key().arp_tha.data(), p + 18, 6);
  key().nw_dst = ReadBe32(p + 24);
  out.l3_offset = static_cast<uint32_t>(off);
  out.l3_end = static_cast<uint32_t>(off + kArpEthIpv4Len);
}

void Parser::Ipv4(size_t off) {
  size_t avail = frame.size() - off;
  if (avail < kIpv4MinHeaderLen) return Error(PacketError::kTruncated);
  const uint8_t* p = at(off);
  size_t ihl = size_t{p[0] & 0x0fu} * 4;
  if ((p[0] >> 4) != 4 || ihl < kIpv4MinHeaderLen) return Error(PacketError::kMalformed);
  if (ihl > avail) return Error(PacketError::kTruncated);
  size_t total = ReadBe16(p + 2);
  if (total < ihl) return Error(PacketError::kMalformed);

  key().nw_tos = p[1];
  key().nw_ttl = p[8];
  key().nw_proto = p[9];
  key().nw_src = ReadBe32(p + 12);
  key().nw_dst = ReadBe32(p + 16);
  uint16_t frag = ReadBe16(p + 6);
  if (frag & (kIpv4MoreFragments | kIpv4FragOffsetMask)) {
    key().nw_frag = kFragAny;
    if (frag & kIpv4FragOffsetMask) key().nw_frag |= kFragLater;
  }
  out.l3_offset = static_cast<uint32_t>(off);
  if (total > avail) {
    out.l3_end = static_cast<uint32_t>(frame.size());
    return Error(PacketError::kTruncated);
  }
  out.l3_end = static_cast<uint32_t>(off + total);
  if (key().nw_frag & kFragLater) return;  // no L4 header in this fragment
  L4(off + ihl, out.l3_end, key().nw_proto, /*ipv6=*/false);
}

void Parser::Ipv6(size_t off) {
  size_t avail = frame.size() - off;
  if (avail < kIpv6HeaderLen) return Error(PacketError::kTruncated);
  const uint8_t* p = at(off);
  uint32_t word0 = ReadBe32(p);
  if ((word0 >> 28) != 6) return Error(PacketError::kMalformed);
  key().nw_tos = static_cast<uint8_t>(word0 >> 20);
  key().ipv6_label = word0 & 0xfffff;
  key().nw_ttl = p[7];
  std::memcpy(key().ipv6_src.data(), p + 8, 16);
  std::memcpy(key().ipv6_dst.data(), p + 24, 16);
  out.l3_offset = static_cast<uint32_t>(off);
  size_t payload = ReadBe16(p + 4);
  if (kIpv6HeaderLen + payload > avail) {
    out.l3_end = static_cast<uint32_t>(frame.size());
    return Error(PacketError::kTruncated);
  }
  size_t end = off + kIpv6HeaderLen + payload;
  out.l3_end = static_cast<uint32_t>(end);

  // Walk the extension headers to the upper-layer protocol. Each is at least 8 bytes, so
  // the walk ends within the datagram.
  uint8_t next = p[6];
  size_t pos = off + kIpv6HeaderLen;
  while (true) {
    if (next == kIpProtoHopByHop || next == kIpProtoRouting || next == kIpProtoDstOpts ||
        next == kIpProtoAh) {
      if (end - pos < 2) return Error(PacketError::kTruncated);
      const uint8_t* ext = at(pos);
      size_t len = next == kIpProtoAh ? (size_t{ext[1]} + 2) * 4 : (size_t{ext[1]} + 1) * 8;
      if (end - pos < len) return Error(PacketError::kTruncated);
      next = ext[0];
      pos += len;
    } else if (next == kIpProtoFragment) {
      if (end - pos < 8) return Error(PacketError::kTruncated);
      const uint8_t* ext = at(pos);
      key().nw_frag = kFragAny;
      next = ext[0];
      pos += 8;
      if (ReadBe16(ext + 2) & 0xfff8) {
        key().nw_frag |= kFragLater;
        key().nw_proto = next;
        return;  // no L4 header in this fragment
      }
    } else {
      break;
    }
  }
  key().nw_proto = next;
  L4(pos, end, next, /*ipv6=*/true);
}

void Parser::L4(size_t off, size_t end, uint8_t proto, bool ipv6) {
  size_t avail = end - off;
  const uint8_t* p = at(off);
  if (proto == kIpProtoTcp) {
    if (avail < kTcpMinHeaderLen) return Error(PacketError::kTruncated);
    key().tp_src = ReadBe16(p);
    key().tp_dst = ReadBe16(p + 2);
    key().tcp_flags = ReadBe16(p + 12) & 0x0fff;
    out.l4_offset = static_cast<uint32_t>(off);
    size_t header_len = size_t{p[12]} >> 4 << 2;
    if (header_len < kTcpMinHeaderLen) return Error(PacketError::kMalformed);
    if (header_len > avail) return Error(PacketError::kTruncated);
  } else if (proto == kIpProtoUdp) {
    if (avail < kUdpHeaderLen) return Error(PacketError::kTruncated);
    key().tp_src = ReadBe16(p);
    key().tp_dst = ReadBe16(p + 2);
    out.l4_offset = static_cast<uint32_t>(off);
  } else if (proto == kIpProtoIcmp && !ipv6) {
    if (avail < kIcmpHeaderLen) return Error(PacketError::kTruncated);
    key().tp_src = p[0];
    key().tp_dst = p[1];
    out.l4_offset = static_cast<uint32_t>(off);
  } else if (proto == kIpProtoIcmpv6 && ipv6) {
    if (avail < kIcmpv6HeaderLen) return Error(PacketError::kTruncated);
    key().tp_src = p[0];
    key().tp_dst = p[1];
    out.l4_offset = static_cast<uint32_t>(off);
    if (p[1] == 0 && (p[0] == kIcmpv6NeighborSolicit || p[0] == kIcmpv6NeighborAdvert)) {
      NeighborDiscovery(off, end, p[0]);
    }
  }
}

void Parser::NeighborDiscovery(size_t off, size_t end, uint8_t type) {
  if (end - off < kNdMessageLen) return Error(PacketError::kTruncated);
  std::memcpy(key().nd_target.data(), at(off + 8), 16);
  // Options are (type, length in 8-byte units, data); a zero length is invalid (RFC 4861).
  size_t pos = off + kNdMessageLen;
  while (pos < end) {
    if (end - pos < 2) return Error(PacketError::kTruncated);
    const uint8_t* opt = at(pos);
    size_t len = size_t{opt[1]} * 8;
    if (len == 0) return Error(PacketError::kMalformed);
    if (end - pos < len) return Error(PacketError::kTruncated);
    if (len == 8) {  // an Ethernet link-layer address option; the first one counts
      static constexpr MacAddr kZero{};
      if (opt[0] == kNdOptSourceLinkAddr && type == kIcmpv6NeighborSolicit &&
          key().arp_sha == kZero) {
        std::memcpy(key().arp_sha.data(), opt + 2, 6);
      } else if (opt[0] == kNdOptTargetLinkAddr && type == kIcmpv6NeighborAdvert &&
                 key().arp_tha == kZero) {
        std::memcpy(key().arp_tha.data(), opt + 2, 6);
      }
    }
    pos += len;
  }
}

}  // namespace

ParsedPacket ParsePacketHeaders(std::span<const uint8_t> frame, uint32_t in_port) {
  ParsedPacket out{};
  out.key.in_port = in_port;
  Parser{frame, out}.Ethernet();
  return out;
}

std::optional<VxlanInfo> FindVxlan(const ParsedPacket& parsed, std::span<const uint8_t> frame,
                                   uint16_t udp_port) {
  const FlowKey& key = parsed.key;
  if (key.pkt_err != 0 || key.nw_proto != kIpProtoUdp || key.nw_frag != 0 ||
      parsed.l4_offset == kNoHeader || key.tp_dst != udp_port ||
      (key.dl_type != kEthTypeIpv4 && key.dl_type != kEthTypeIpv6)) {
    return std::nullopt;
  }
  const uint8_t* udp = frame.data() + parsed.l4_offset;
  size_t udp_len = ReadBe16(udp + 4);
  if (udp_len < kUdpHeaderLen + kVxlanHeaderLen || parsed.l4_offset + udp_len > parsed.l3_end) {
    return std::nullopt;
  }
  const uint8_t* vxlan = udp + kUdpHeaderLen;
  if (!(vxlan[0] & kVxlanFlagVni)) return std::nullopt;
  VxlanInfo info{};
  info.vni = ReadBe32(vxlan + 4) >> 8;
  if (key.dl_type == kEthTypeIpv4) {
    info.outer_src = key.nw_src;
    info.outer_dst = key.nw_dst;
  }
  info.inner_offset = parsed.l4_offset + kUdpHeaderLen + kVxlanHeaderLen;
  info.inner_size = static_cast<uint32_t>(udp_len - kUdpHeaderLen - kVxlanHeaderLen);
  return info;
}

std::optional<VxlanInfo> FindVxlan(std::span<const uint8_t> frame, uint16_t udp_port) {
  return FindVxlan(ParsePacketHeaders(frame, 0), frame, udp_port);
}

}  // namespace podswitch::core
