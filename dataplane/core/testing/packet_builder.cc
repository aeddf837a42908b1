#include "dataplane/core/testing/packet_builder.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "dataplane/core/packet/addr.h"
#include "dataplane/core/packet/byte_order.h"
#include "dataplane/core/packet/checksum.h"
#include "dataplane/core/packet/protocols.h"

namespace podswitch::core {
namespace {

[[noreturn]] void Die(std::string_view what, std::string_view text) {
  std::fprintf(stderr, "PacketBuilder: bad %.*s \"%.*s\"\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(text.size()), text.data());
  std::abort();
}

MacAddr Mac(std::string_view text) {
  auto mac = MacFromString(text);
  if (!mac) Die("MAC address", text);
  return *mac;
}

uint32_t Ip4(std::string_view text) {
  auto ip = Ipv4FromString(text);
  if (!ip) Die("IPv4 address", text);
  return *ip;
}

Ipv6Addr Ip6(std::string_view text) {
  auto ip = Ipv6FromString(text);
  if (!ip) Die("IPv6 address", text);
  return *ip;
}

}  // namespace

uint8_t* PacketBuilder::Append(size_t n) {
  size_t old = bytes_.size();
  bytes_.resize(old + n, 0);
  return bytes_.data() + old;
}

void PacketBuilder::SetNextEthType(uint16_t type) {
  if (eth_type_offset_ == kNone) return;
  if (ReadBe16(&bytes_[eth_type_offset_]) == 0) WriteBe16(&bytes_[eth_type_offset_], type);
  eth_type_offset_ = kNone;
}

void PacketBuilder::SetNextIpProto(uint8_t proto) {
  if (ip_proto_offset_ == kNone) return;
  bytes_[ip_proto_offset_] = proto;
  ip_proto_offset_ = kNone;
}

PacketBuilder& PacketBuilder::Eth(std::string_view src, std::string_view dst, uint16_t eth_type) {
  uint8_t* p = Append(kEthHeaderLen);
  MacAddr d = Mac(dst), s = Mac(src);
  std::memcpy(p, d.data(), 6);
  std::memcpy(p + 6, s.data(), 6);
  WriteBe16(p + 12, eth_type);
  eth_type_offset_ = bytes_.size() - 2;
  return *this;
}

PacketBuilder& PacketBuilder::Vlan(uint16_t vid, uint8_t pcp, uint16_t tpid) {
  // The pending EtherType field becomes the TPID; the tag brings a new EtherType field.
  if (eth_type_offset_ != kNone) WriteBe16(&bytes_[eth_type_offset_], tpid);
  uint8_t* p = Append(kVlanTagLen);
  WriteBe16(p, static_cast<uint16_t>(pcp << 13 | (vid & kVlanVidMask)));
  eth_type_offset_ = bytes_.size() - 2;
  return *this;
}

PacketBuilder& PacketBuilder::Arp(uint16_t op, std::string_view sha, std::string_view spa,
                                  std::string_view tha, std::string_view tpa) {
  SetNextEthType(kEthTypeArp);
  uint8_t* p = Append(kArpEthIpv4Len);
  WriteBe16(p, 1);  // hardware type Ethernet
  WriteBe16(p + 2, kEthTypeIpv4);
  p[4] = 6;
  p[5] = 4;
  WriteBe16(p + 6, op);
  MacAddr s = Mac(sha), t = Mac(tha);
  std::memcpy(p + 8, s.data(), 6);
  WriteBe32(p + 14, Ip4(spa));
  std::memcpy(p + 18, t.data(), 6);
  WriteBe32(p + 24, Ip4(tpa));
  return *this;
}

PacketBuilder& PacketBuilder::Ipv4(std::string_view src, std::string_view dst, Ipv4Fields fields) {
  SetNextEthType(kEthTypeIpv4);
  SetNextIpProto(4);  // IPv4-in-IP
  size_t options_len = (fields.options.size() + 3) / 4 * 4;
  if (options_len > 40) Die("IPv4 options length", std::to_string(options_len));
  size_t header_len = kIpv4MinHeaderLen + options_len;
  size_t offset = bytes_.size();
  uint8_t* p = Append(header_len);
  p[0] = static_cast<uint8_t>(0x40 | header_len / 4);
  p[1] = fields.tos;
  WriteBe16(p + 4, fields.id);
  uint16_t frag = fields.frag_offset & kIpv4FragOffsetMask;
  if (fields.more_fragments) frag |= kIpv4MoreFragments;
  if (fields.dont_fragment) frag |= kIpv4DontFragment;
  WriteBe16(p + 6, frag);
  p[8] = fields.ttl;
  WriteBe32(p + 12, Ip4(src));
  WriteBe32(p + 16, Ip4(dst));
  if (!fields.options.empty()) {
    std::memcpy(p + kIpv4MinHeaderLen, fields.options.data(), fields.options.size());
  }
  ip_proto_offset_ = kNone;
  if (fields.proto >= 0) {
    p[9] = static_cast<uint8_t>(fields.proto);
  } else {
    ip_proto_offset_ = offset + 9;
  }
  ip_offset_ = offset;
  fixups_.push_back({FixupKind::kIpv4, offset, offset});
  return *this;
}

PacketBuilder& PacketBuilder::Ipv6(std::string_view src, std::string_view dst, Ipv6Fields fields) {
  SetNextEthType(kEthTypeIpv6);
  SetNextIpProto(41);  // IPv6-in-IP
  size_t offset = bytes_.size();
  uint8_t* p = Append(kIpv6HeaderLen);
  WriteBe32(p, 6u << 28 | uint32_t{fields.traffic_class} << 20 | (fields.flow_label & 0xfffff));
  p[7] = fields.hop_limit;
  Ipv6Addr s = Ip6(src), d = Ip6(dst);
  std::memcpy(p + 8, s.data(), 16);
  std::memcpy(p + 24, d.data(), 16);
  ip_proto_offset_ = kNone;
  if (fields.next_header >= 0) {
    p[6] = static_cast<uint8_t>(fields.next_header);
  } else {
    ip_proto_offset_ = offset + 6;
  }
  ip_offset_ = offset;
  fixups_.push_back({FixupKind::kIpv6, offset, offset});
  return *this;
}

PacketBuilder& PacketBuilder::AppendIpv6Options(uint8_t type, uint8_t pad_bytes) {
  SetNextIpProto(type);
  // Two bytes of header, then one PadN option filling `pad_bytes` or more, up to 8n bytes.
  size_t len = (2 + size_t{pad_bytes} + 7) / 8 * 8;
  size_t offset = bytes_.size();
  uint8_t* p = Append(len);
  p[1] = static_cast<uint8_t>(len / 8 - 1);
  p[2] = 1;  // PadN covering the rest
  p[3] = static_cast<uint8_t>(len - 4);
  ip_proto_offset_ = offset;
  return *this;
}

PacketBuilder& PacketBuilder::Ipv6HopByHop(uint8_t pad_bytes) {
  return AppendIpv6Options(kIpProtoHopByHop, pad_bytes);
}

PacketBuilder& PacketBuilder::Ipv6DestOpts(uint8_t pad_bytes) {
  return AppendIpv6Options(kIpProtoDstOpts, pad_bytes);
}

PacketBuilder& PacketBuilder::Ipv6Routing(uint8_t routing_type, uint8_t segments_left) {
  SetNextIpProto(kIpProtoRouting);
  size_t offset = bytes_.size();
  uint8_t* p = Append(8);
  p[2] = routing_type;
  p[3] = segments_left;
  ip_proto_offset_ = offset;
  return *this;
}

PacketBuilder& PacketBuilder::Ipv6Fragment(uint16_t frag_offset, bool more_fragments, uint32_t id) {
  SetNextIpProto(kIpProtoFragment);
  size_t offset = bytes_.size();
  uint8_t* p = Append(8);
  WriteBe16(p + 2, static_cast<uint16_t>(frag_offset << 3 | (more_fragments ? 1 : 0)));
  WriteBe32(p + 4, id);
  ip_proto_offset_ = offset;
  return *this;
}

void PacketBuilder::AddL4(FixupKind kind, uint8_t proto, size_t header_len) {
  SetNextIpProto(proto);
  fixups_.push_back({kind, bytes_.size(), ip_offset_});
  Append(header_len);
}

PacketBuilder& PacketBuilder::Tcp(uint16_t sport, uint16_t dport, uint16_t flags, uint32_t seq,
                                  uint32_t ack) {
  AddL4(FixupKind::kTcp, kIpProtoTcp, kTcpMinHeaderLen);
  uint8_t* p = &bytes_[bytes_.size() - kTcpMinHeaderLen];
  WriteBe16(p, sport);
  WriteBe16(p + 2, dport);
  WriteBe32(p + 4, seq);
  WriteBe32(p + 8, ack);
  WriteBe16(p + 12, static_cast<uint16_t>(5 << 12 | (flags & 0x0fff)));
  WriteBe16(p + 14, 65535);  // window
  return *this;
}

PacketBuilder& PacketBuilder::Udp(uint16_t sport, uint16_t dport) {
  AddL4(FixupKind::kUdp, kIpProtoUdp, kUdpHeaderLen);
  uint8_t* p = &bytes_[bytes_.size() - kUdpHeaderLen];
  WriteBe16(p, sport);
  WriteBe16(p + 2, dport);
  return *this;
}

PacketBuilder& PacketBuilder::Icmp(uint8_t type, uint8_t code, uint32_t rest) {
  AddL4(FixupKind::kIcmp, kIpProtoIcmp, kIcmpHeaderLen);
  uint8_t* p = &bytes_[bytes_.size() - kIcmpHeaderLen];
  p[0] = type;
  p[1] = code;
  WriteBe32(p + 4, rest);
  return *this;
}

PacketBuilder& PacketBuilder::Icmpv6(uint8_t type, uint8_t code) {
  AddL4(FixupKind::kIcmpv6, kIpProtoIcmpv6, 8);
  uint8_t* p = &bytes_[bytes_.size() - 8];
  p[0] = type;
  p[1] = code;
  return *this;
}

PacketBuilder& PacketBuilder::NeighborSolicit(std::string_view target, std::string_view sll) {
  Icmpv6(kIcmpv6NeighborSolicit, 0);
  Ipv6Addr t = Ip6(target);
  std::memcpy(Append(16), t.data(), 16);
  if (!sll.empty()) {
    uint8_t* p = Append(8);
    p[0] = kNdOptSourceLinkAddr;
    p[1] = 1;
    MacAddr m = Mac(sll);
    std::memcpy(p + 2, m.data(), 6);
  }
  return *this;
}

PacketBuilder& PacketBuilder::NeighborAdvert(std::string_view target, std::string_view tll,
                                             uint32_t flags) {
  Icmpv6(kIcmpv6NeighborAdvert, 0);
  WriteBe32(&bytes_[bytes_.size() - 4], flags);
  Ipv6Addr t = Ip6(target);
  std::memcpy(Append(16), t.data(), 16);
  if (!tll.empty()) {
    uint8_t* p = Append(8);
    p[0] = kNdOptTargetLinkAddr;
    p[1] = 1;
    MacAddr m = Mac(tll);
    std::memcpy(p + 2, m.data(), 6);
  }
  return *this;
}

PacketBuilder& PacketBuilder::Vxlan(uint32_t vni, std::span<const uint8_t> inner) {
  uint8_t* p = Append(kVxlanHeaderLen);
  p[0] = kVxlanFlagVni;
  WriteBe32(p + 4, vni << 8);
  return Payload(inner);
}

PacketBuilder& PacketBuilder::Payload(size_t n) {
  uint8_t* p = Append(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(i);
  return *this;
}

PacketBuilder& PacketBuilder::Payload(std::span<const uint8_t> bytes) {
  if (!bytes.empty()) std::memcpy(Append(bytes.size()), bytes.data(), bytes.size());
  return *this;
}

std::vector<uint8_t> PacketBuilder::Build() const {
  std::vector<uint8_t> out = bytes_;
  const size_t size = out.size();
  // Lengths first (every layer runs to the end of the frame), then checksums from the
  // innermost layer out, so an outer checksum covers final inner bytes.
  for (const Fixup& f : fixups_) {
    uint8_t* p = &out[f.offset];
    switch (f.kind) {
      case FixupKind::kIpv4:
        WriteBe16(p + 2, static_cast<uint16_t>(size - f.offset));
        break;
      case FixupKind::kIpv6:
        WriteBe16(p + 4, static_cast<uint16_t>(size - f.offset - kIpv6HeaderLen));
        break;
      case FixupKind::kUdp:
        WriteBe16(p + 4, static_cast<uint16_t>(size - f.offset));
        break;
      default:
        break;
    }
  }
  for (auto it = fixups_.rbegin(); it != fixups_.rend(); ++it) {
    uint8_t* p = &out[it->offset];
    std::span<const uint8_t> l4(p, size - it->offset);
    uint32_t l4_len = static_cast<uint32_t>(l4.size());
    uint32_t pseudo = 0;
    bool v4 = it->ip_offset != kNone && (out[it->ip_offset] >> 4) == 4;
    if (it->ip_offset != kNone) {
      const uint8_t* ip = &out[it->ip_offset];
      uint8_t proto = it->kind == FixupKind::kTcp   ? kIpProtoTcp
                      : it->kind == FixupKind::kUdp ? kIpProtoUdp
                                                    : kIpProtoIcmpv6;
      if (v4) {
        pseudo = Ipv4PseudoHeaderSum(ReadBe32(ip + 12), ReadBe32(ip + 16), proto, l4_len);
      } else {
        Ipv6Addr s, d;
        std::memcpy(s.data(), ip + 8, 16);
        std::memcpy(d.data(), ip + 24, 16);
        pseudo = Ipv6PseudoHeaderSum(s, d, proto, l4_len);
      }
    }
    switch (it->kind) {
      case FixupKind::kIpv4: {
        size_t header_len = size_t{p[0] & 0x0fu} * 4;
        WriteBe16(p + 10, 0);
        WriteBe16(p + 10, InternetChecksum({p, header_len}));
        break;
      }
      case FixupKind::kIpv6:
        break;
      case FixupKind::kTcp:
        WriteBe16(p + 16, 0);
        WriteBe16(p + 16, ChecksumFinish(ChecksumAdd(l4, pseudo)));
        break;
      case FixupKind::kUdp: {
        WriteBe16(p + 6, 0);
        uint16_t sum = ChecksumFinish(ChecksumAdd(l4, pseudo));
        WriteBe16(p + 6, sum == 0 ? 0xffff : sum);
        break;
      }
      case FixupKind::kIcmp:
        WriteBe16(p + 2, 0);
        WriteBe16(p + 2, InternetChecksum(l4));
        break;
      case FixupKind::kIcmpv6:
        WriteBe16(p + 2, 0);
        WriteBe16(p + 2, ChecksumFinish(ChecksumAdd(l4, pseudo)));
        break;
    }
  }
  return out;
}

TestPacket::TestPacket(std::span<const uint8_t> frame, uint32_t headroom)
    : storage_(new uint8_t[headroom + frame.size() + 1]()) {
  buffer_.data = storage_.get() + headroom;
  buffer_.size = static_cast<uint32_t>(frame.size());
  buffer_.headroom = headroom;
  if (!frame.empty()) std::memcpy(buffer_.data, frame.data(), frame.size());
}

}  // namespace podswitch::core
