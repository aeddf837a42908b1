// PacketBuilder: valid test frames in one readable line, e.g.
//   PacketBuilder().Eth("00:00:00:00:00:01", "00:00:00:00:00:02").Vlan(10)
//       .Ipv4("10.0.0.1", "10.0.0.2").Tcp(1234, 80, kTcpSyn).Payload(10).Build();
// Layers are appended in wire order. Build() fills in what a sender computes: EtherTypes
// and IP protocols from the next layer, IPv4 total length, IPv6 payload length, UDP length,
// and the IPv4 header, TCP, UDP, ICMP and ICMPv6 checksums. Addresses are text and the
// builder aborts on a bad one (it is test-only code). Tests that need a broken packet
// build a good one and then edit or truncate the bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/core/packet/flow_key.h"
#include "dataplane/core/packet/packet_buffer.h"

namespace podswitch::core {

// Optional IPv4 header fields, for use with designated initializers: {.ttl = 1}.
struct Ipv4Fields {
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t id = 0;
  uint16_t frag_offset = 0;  // in 8-byte units
  bool more_fragments = false;
  bool dont_fragment = false;
  int proto = -1;                // -1: taken from the next layer (0 when there is none)
  std::vector<uint8_t> options;  // padded with zeros (EOL) to a multiple of 4 bytes
};

// Optional IPv6 header fields, for use with designated initializers: {.hop_limit = 255}.
struct Ipv6Fields {
  uint8_t hop_limit = 64;
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;
  int next_header = -1;  // -1: taken from the next layer
};

// Builds one frame layer by layer; see the top of this file.
class PacketBuilder {
 public:
  // Ethernet II header. Source first, like Ipv4() and Tcp() (the wire has the destination
  // first); the EtherType comes from the next layer unless `eth_type` is set.
  PacketBuilder& Eth(std::string_view src, std::string_view dst, uint16_t eth_type = 0);
  // One VLAN tag; call twice for QinQ (first call = outer tag, e.g. tpid 0x88a8).
  PacketBuilder& Vlan(uint16_t vid, uint8_t pcp = 0, uint16_t tpid = 0x8100);
  // ARP for Ethernet/IPv4 (op 1 = request, 2 = reply).
  PacketBuilder& Arp(uint16_t op, std::string_view sha, std::string_view spa, std::string_view tha,
                     std::string_view tpa);
  // IPv4 header; protocol, total length and checksum are filled in by Build().
  PacketBuilder& Ipv4(std::string_view src, std::string_view dst, Ipv4Fields fields = {});
  // IPv6 header; next header and payload length are filled in by Build().
  PacketBuilder& Ipv6(std::string_view src, std::string_view dst, Ipv6Fields fields = {});
  // IPv6 extension headers, appended after Ipv6() in the order called. Hop-by-hop and
  // destination options hold one PadN option of at least `pad_bytes` bytes (the header
  // is rounded up to a multiple of 8 bytes: the default makes 8).
  PacketBuilder& Ipv6HopByHop(uint8_t pad_bytes = 6);
  PacketBuilder& Ipv6DestOpts(uint8_t pad_bytes = 6);
  // An 8-byte routing header without addresses (type 4 is the segment routing header).
  PacketBuilder& Ipv6Routing(uint8_t routing_type = 4, uint8_t segments_left = 0);
  // A fragment header; `frag_offset` is in 8-byte units.
  PacketBuilder& Ipv6Fragment(uint16_t frag_offset, bool more_fragments, uint32_t id = 1);
  // TCP header without options (flags: the kTcp* bits of flow_key.h); checksum by Build().
  PacketBuilder& Tcp(uint16_t sport, uint16_t dport, uint16_t flags = 0, uint32_t seq = 0,
                     uint32_t ack = 0);
  // UDP header; length and checksum by Build().
  PacketBuilder& Udp(uint16_t sport, uint16_t dport);
  // ICMP header with `rest` as its second word (identifier and sequence for echo).
  PacketBuilder& Icmp(uint8_t type, uint8_t code, uint32_t rest = 0);
  // ICMPv6 header plus a zero reserved word (any message without a body of its own).
  PacketBuilder& Icmpv6(uint8_t type, uint8_t code);
  // Neighbour solicitation for `target`, with a source link-layer option when `sll` is set.
  PacketBuilder& NeighborSolicit(std::string_view target, std::string_view sll = {});
  // Neighbour advertisement (flags R|S|O in the top bits of `flags`), optional TLL option.
  PacketBuilder& NeighborAdvert(std::string_view target, std::string_view tll = {},
                                uint32_t flags = 0x60000000);
  // VXLAN header with the I flag and `vni`, followed by `inner` (a whole inner frame).
  // Meant to follow Udp(sport, 4789).
  PacketBuilder& Vxlan(uint32_t vni, std::span<const uint8_t> inner);
  // `n` payload bytes 0, 1, 2, ... (mod 256), or the given bytes.
  PacketBuilder& Payload(size_t n);
  // The given bytes, e.g. an inner frame of an encapsulation the builder does not know.
  PacketBuilder& Payload(std::span<const uint8_t> bytes);

  // The frame with lengths and checksums filled in. The builder can be built again.
  std::vector<uint8_t> Build() const;

 private:
  enum class FixupKind : uint8_t { kIpv4, kIpv6, kTcp, kUdp, kIcmp, kIcmpv6 };
  // A header whose lengths/checksums Build() computes, with the IP header it rides in.
  struct Fixup {
    FixupKind kind;
    size_t offset;
    size_t ip_offset;  // for L4 headers: their IP header
  };

  uint8_t* Append(size_t n);
  // Patches the pending "next protocol" field (EtherType or IP protocol) if it is automatic.
  void SetNextEthType(uint16_t type);
  void SetNextIpProto(uint8_t proto);
  PacketBuilder& AppendIpv6Options(uint8_t type, uint8_t pad_bytes);
  void AddL4(FixupKind kind, uint8_t proto, size_t header_len);

  std::vector<uint8_t> bytes_;
  std::vector<Fixup> fixups_;
  static constexpr size_t kNone = ~size_t{0};
  size_t eth_type_offset_ = kNone;  // EtherType field the next L3 layer fills in
  size_t ip_proto_offset_ = kNone;  // protocol / next-header field the next layer fills in
  size_t ip_offset_ = kNone;        // the innermost IP header so far
};

// A frame copied into owned memory with headroom in front of it, so that executor tests can
// hand out a PacketBuffer that push_vlan can grow. Not copyable: the buffer points into it.
class TestPacket {
 public:
  // Copies `frame` behind `headroom` writable bytes.
  explicit TestPacket(std::span<const uint8_t> frame, uint32_t headroom = 64);
  TestPacket(const TestPacket&) = delete;
  TestPacket& operator=(const TestPacket&) = delete;

  // The buffer to hand to code under test; it points into this object.
  PacketBuffer& buffer() { return buffer_; }
  // The current frame bytes (after any prepend/trim).
  std::vector<uint8_t> Bytes() const { return {buffer_.data, buffer_.data + buffer_.size}; }

 private:
  std::unique_ptr<uint8_t[]> storage_;
  PacketBuffer buffer_;
};

}  // namespace podswitch::core
