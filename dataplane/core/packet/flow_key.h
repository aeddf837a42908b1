// FlowKey: every field of a packet (and of its switch metadata) that a flow can match on.
// One fixed layout without padding, so a key can be masked, compared and hashed word by
// word; field names follow Open vSwitch (ovs-fields(7)). Multi-byte integers are host order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace podswitch::core {

using MacAddr = std::array<uint8_t, 6>;
using Ipv6Addr = std::array<uint8_t, 16>;

// vlan_tci bit that says a tag is present (OVS's CFI convention): dl_vlan=0 matches "tag
// with VID 0", vlan_tci=0 matches "untagged".
inline constexpr uint16_t kVlanPresent = 0x1000;
inline constexpr uint16_t kVlanVidMask = 0x0fff;
inline constexpr uint16_t kVlanPcpMask = 0xe000;

// Why a packet could not be parsed completely. Matchable as `pkt_err`.
enum class PacketError : uint8_t {
  kNone = 0,
  kTruncated = 1,  // a header runs past the end of the frame
  kMalformed = 2,  // a header is there but says something impossible (IHL < 5, ...)
};

// nw_frag bits, as in OVS: any fragment, and a fragment other than the first.
inline constexpr uint8_t kFragAny = 0x1;
inline constexpr uint8_t kFragLater = 0x2;

// TCP flag bits in tcp_flags (the low 12 bits of the TCP header's offset/flags word).
inline constexpr uint16_t kTcpFin = 0x001, kTcpSyn = 0x002, kTcpRst = 0x004, kTcpPsh = 0x008,
                          kTcpAck = 0x010, kTcpUrg = 0x020, kTcpEce = 0x040, kTcpCwr = 0x080;

// ct_state bits (conntrack fills them; room for now).
inline constexpr uint8_t kCtNew = 0x01, kCtEstablished = 0x02, kCtRelated = 0x04, kCtReply = 0x08,
                         kCtInvalid = 0x10, kCtTracked = 0x20;

struct FlowKey {
  // Switch metadata: set by the port, the tunnel and the pipeline, not read from the frame.
  uint64_t tun_id;
  uint64_t metadata;
  uint32_t in_port;
  uint32_t conj_id;
  uint32_t regs[8];
  uint32_t tun_src;  // IPv4 outer source of a decapsulated packet
  uint32_t tun_dst;
  uint32_t ct_mark;
  uint16_t ct_zone;
  uint8_t ct_state;
  uint8_t pkt_err;  // PacketError

  // Ethernet and VLAN.
  MacAddr dl_src;
  MacAddr dl_dst;
  uint16_t dl_type;         // the EtherType after all VLAN tags
  uint16_t vlan_tci;        // outer tag (802.1Q or 802.1ad), kVlanPresent when tagged
  uint16_t vlan_tci_inner;  // second tag of a QinQ frame, kVlanPresent when present

  // Transport: TCP/UDP ports, or ICMP/ICMPv6 type (tp_src) and code (tp_dst).
  uint16_t tp_src;
  uint16_t tp_dst;
  uint16_t tcp_flags;

  // IPv4 addresses, or for ARP the sender (nw_src = arp_spa) and target (nw_dst = arp_tpa).
  uint32_t nw_src;
  uint32_t nw_dst;
  uint8_t nw_proto;  // IP protocol, or for ARP the low byte of the opcode (arp_op)
  uint8_t nw_tos;    // the whole TOS / traffic class byte: DSCP << 2 | ECN
  uint8_t nw_ttl;    // IPv4 TTL or IPv6 hop limit
  uint8_t nw_frag;   // kFragAny | kFragLater

  Ipv6Addr ipv6_src;
  Ipv6Addr ipv6_dst;
  Ipv6Addr nd_target;  // ICMPv6 neighbour solicitation/advertisement target
  MacAddr arp_sha;     // ARP sender MAC, or ND source link-layer address option
  MacAddr arp_tha;     // ARP target MAC, or ND target link-layer address option
  uint32_t ipv6_label;
  uint16_t vlan_tpid;  // EtherType of the outer tag: 0x8100 or 0x88a8, 0 when untagged
  uint8_t vlan_count;  // number of VLAN tags parsed (0-2)
  uint8_t reserved;    // always zero; keeps the layout a whole number of words
};

static_assert(std::has_unique_object_representations_v<FlowKey>, "FlowKey must have no padding");
static_assert(sizeof(FlowKey) % sizeof(uint64_t) == 0);
static_assert(std::is_trivially_copyable_v<FlowKey>);

inline constexpr size_t kFlowKeyWords = sizeof(FlowKey) / sizeof(uint64_t);

// Word `i` of a key, for masking and hashing word by word.
inline uint64_t FlowKeyWord(const FlowKey& key, size_t i) {
  uint64_t word;
  std::memcpy(&word, reinterpret_cast<const unsigned char*>(&key) + i * sizeof(word), sizeof(word));
  return word;
}

inline void SetFlowKeyWord(FlowKey& key, size_t i, uint64_t word) {
  std::memcpy(reinterpret_cast<unsigned char*>(&key) + i * sizeof(word), &word, sizeof(word));
}

inline bool operator==(const FlowKey& a, const FlowKey& b) {
  return std::memcmp(&a, &b, sizeof(FlowKey)) == 0;
}

// Hash of all the words of a key (EMC, megaflow subtables). Four independent
// multiply-xorshift lanes, so the multiplications overlap instead of forming one long
// dependency chain (this hash is on the per-packet path).
inline uint64_t HashFlowKey(const FlowKey& key, uint64_t seed = 0) {
  constexpr uint64_t kMul = 0xff51afd7ed558ccdull;
  uint64_t lane[4] = {seed ^ 0x9e3779b97f4a7c15ull, seed ^ 0xc2b2ae3d27d4eb4full,
                      seed ^ 0x165667b19e3779f9ull, seed ^ 0x27d4eb2f165667c5ull};
  size_t i = 0;
  for (; i + 4 <= kFlowKeyWords; i += 4) {
    for (size_t l = 0; l < 4; ++l) lane[l] = (lane[l] ^ FlowKeyWord(key, i + l)) * kMul;
  }
  for (size_t l = 0; i < kFlowKeyWords; ++i, ++l) lane[l] = (lane[l] ^ FlowKeyWord(key, i)) * kMul;
  uint64_t h = lane[0] ^ (lane[1] >> 17 | lane[1] << 47) ^ (lane[2] >> 31 | lane[2] << 33) ^
               (lane[3] >> 43 | lane[3] << 21);
  h ^= h >> 32;
  h *= kMul;
  h ^= h >> 29;
  return h;
}

}  // namespace podswitch::core
