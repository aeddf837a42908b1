// Path MTU over VXLAN: a pod packet that no longer fits in the uplink after the 50 bytes of
// encapsulation must not vanish silently. The switch answers the sender, as a router would,
// with ICMP "fragmentation needed" (IPv4 with DF) or ICMPv6 "packet too big", so the
// sender's path MTU discovery shrinks its packets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {

// What VXLAN over IPv4 costs an inner IP packet: inner Ethernet (14), VXLAN (8), UDP (8),
// outer IPv4 (20). Pods' MTU defaults to the uplink MTU minus this.
inline constexpr uint32_t kVxlanOverhead = 50;

// The largest inner IP packet that fits a VXLAN tunnel over an uplink of `uplink_mtu`,
// which is what an ICMP error should tell the sender (0 for an absurdly small uplink).
inline uint32_t VxlanInnerMtu(uint32_t uplink_mtu) {
  return uplink_mtu > kVxlanOverhead ? uplink_mtu - kVxlanOverhead : 0;
}

// Whether an untagged inner Ethernet frame of `inner_frame_size` bytes (without FCS) still
// fits the uplink once encapsulated: inner L3 size + 50 <= uplink MTU, checked before
// encap so an oversized packet gets an ICMP error instead of being dropped by the NIC.
inline bool FitsAfterEncap(size_t inner_frame_size, uint32_t uplink_mtu) {
  return inner_frame_size + (kVxlanOverhead - 14) <= uplink_mtu;
}

// An ICMP "fragmentation needed" (type 3 code 4, RFC 1191) frame back to the sender of
// `inner_frame`, from the pod gateway (`gw_mac`, `gw_ip`, host order), whose Next-Hop MTU
// field is `next_hop_mtu` (pass VxlanInnerMtu(uplink MTU)); it quotes the inner IPv4 header
// plus 8 bytes and keeps the frame's VLAN tags. Empty when no error may be sent (RFC 1122
// 3.2.2, RFC 1812 4.3.2.7): not IPv4, DF clear (such a packet must be fragmented, not
// refused), a non-first fragment, an ICMP error itself, or a broadcast/multicast/invalid
// source or destination.
std::vector<uint8_t> BuildIcmpFragNeeded(std::span<const uint8_t> inner_frame,
                                         uint32_t next_hop_mtu, const MacAddr& gw_mac,
                                         uint32_t gw_ip);

// The IPv6 counterpart: an ICMPv6 "packet too big" (type 2, RFC 4443 3.2) from `gw_ip` to
// the sender of `inner_frame` with MTU `mtu` (IPv6 routers never fragment, so every oversized
// IPv6 packet gets one), quoting as much of the packet as fits in 1280 bytes. Empty when not
// IPv6, an ICMPv6 error itself, or from an unspecified or multicast source.
std::vector<uint8_t> BuildIcmpv6PacketTooBig(std::span<const uint8_t> inner_frame, uint32_t mtu,
                                             const MacAddr& gw_mac, const Ipv6Addr& gw_ip);

// The link-local address (fe80::/64, modified EUI-64 interface identifier, RFC 4291
// appendix A) of an interface with MAC `mac`: the IPv6 source of "packet too big" errors,
// since the switch has no IPv6 address of its own and the sender's gateway is on its link.
Ipv6Addr Ipv6LinkLocalFromMac(const MacAddr& mac);

// The error that tells the sender of `inner_frame` it does not fit the tunnel, whatever its
// IP version: BuildIcmpFragNeeded from `gw_ip` for IPv4, BuildIcmpv6PacketTooBig from
// Ipv6LinkLocalFromMac(gw_mac) for IPv6, each with MTU `mtu`. Empty when none may be sent.
std::vector<uint8_t> BuildIcmpTooBig(std::span<const uint8_t> inner_frame, uint32_t mtu,
                                     const MacAddr& gw_mac, uint32_t gw_ip);

}  // namespace podswitch::core
