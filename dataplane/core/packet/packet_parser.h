// The packet parser: frame bytes -> FlowKey, once per received packet, before every cache
// lookup. Bounds-checked at every step (it must survive any bytes a port delivers), and
// without allocation. A header that runs past the end of the frame (or a frame shorter
// than its IP length field says) sets pkt_err = kTruncated; a header that says something
// impossible sets kMalformed. Either way the fields of the headers parsed before stay.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "dataplane/core/packet/flow_key.h"
#include "dataplane/core/packet/protocols.h"

namespace podswitch::core {

// Offset value meaning "this header is not (completely) in the frame".
inline constexpr uint32_t kNoHeader = 0xffffffff;

// The key plus where its headers start, so the executor can rewrite fields in place
// without parsing again. An offset is set only when that whole header lies in the frame.
struct ParsedPacket {
  FlowKey key;
  uint32_t l3_offset = kNoHeader;  // IPv4/IPv6/ARP header, after all VLAN tags
  // TCP/UDP/ICMP/ICMPv6 header (after any IPv6 extension headers); set when its fixed part
  // (20 bytes of TCP, 8 of UDP/ICMP, 4 of ICMPv6) is inside the datagram.
  uint32_t l4_offset = kNoHeader;
  uint32_t l3_end = 0;  // end of the IP datagram or ARP message (excludes Ethernet padding)
};

// Parses `frame` received on `in_port`; every key field not found in the frame is zero.
ParsedPacket ParsePacketHeaders(std::span<const uint8_t> frame, uint32_t in_port);

// Parses `frame` when only the key is needed (the common case: cache lookups).
inline FlowKey ParsePacket(std::span<const uint8_t> frame, uint32_t in_port) {
  return ParsePacketHeaders(frame, in_port).key;
}

// Where a VXLAN frame's encapsulated frame is, for tunnel decapsulation.
struct VxlanInfo {
  uint32_t vni;
  uint32_t outer_src;     // outer IPv4 source, host order (0 for an IPv6 underlay)
  uint32_t outer_dst;     // outer IPv4 destination, host order (0 for an IPv6 underlay)
  uint32_t inner_offset;  // first byte of the inner Ethernet header
  uint32_t inner_size;    // bytes of inner frame, as the UDP length says
};

// Finds a VXLAN header (UDP to `udp_port`, I flag set, complete and unfragmented packet)
// in `frame`; nullopt when the frame is anything else.
std::optional<VxlanInfo> FindVxlan(std::span<const uint8_t> frame,
                                   uint16_t udp_port = kVxlanUdpPort);

// Same, for a frame the caller has parsed already (`parsed` must describe `frame`).
std::optional<VxlanInfo> FindVxlan(const ParsedPacket& parsed, std::span<const uint8_t> frame,
                                   uint16_t udp_port = kVxlanUdpPort);

}  // namespace podswitch::core
