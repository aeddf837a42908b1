// VXLAN (RFC 7348) encapsulation and decapsulation on packet bytes: the wire format that a
// Linux kernel VXLAN device or a hardware VTEP on the other node expects. Pure functions on
// a PacketBuffer, without allocation, so the DPDK layer calls them per packet and tests and
// fuzzers call them on plain memory. IPv4 underlay only (IPv6 is welcome, not required).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "dataplane/core/packet/flow_key.h"
#include "dataplane/core/packet/packet_buffer.h"
#include "dataplane/core/packet/protocols.h"

namespace podswitch::core {

// Bytes a VXLAN encapsulation adds in front of the inner frame: outer Ethernet (14), IPv4
// (20, no options), UDP (8) and VXLAN (8). Headroom of at least this much lets encap run
// without copying.
inline constexpr uint32_t kVxlanEncapLen =
    kEthHeaderLen + kIpv4MinHeaderLen + kUdpHeaderLen + kVxlanHeaderLen;

// The UDP source port range RFC 7348 recommends for the flow-hashed source port.
inline constexpr uint16_t kVxlanSourcePortMin = 49152;
inline constexpr uint16_t kVxlanSourcePortMax = 65535;

// This node's end of the tunnels: what encap writes as the outer source and what decap
// accepts as the outer destination. All addresses host order, as FlowKey stores them.
struct VxlanEndpoint {
  uint32_t local_ip;
  MacAddr local_mac;
  uint16_t dst_port = kVxlanUdpPort;
  bool dont_fragment = true;
  uint8_t ttl = 64;
};

// Where one encapsulated packet goes: the remote VTEP and the underlay next hop's MAC (the
// VTEP itself on a shared subnet, else the router towards it).
struct VxlanNextHop {
  uint32_t remote_ip;
  MacAddr next_hop_mac;
};

// Prepends outer Ethernet/IPv4/UDP/VXLAN headers to the inner frame in `pkt`, so a packet
// the pipeline sent to a tunnel port reaches the remote node. The UDP source port is hashed
// from the inner 5-tuple (ECMP entropy), the UDP checksum is 0 (as Linux sends by default),
// the IPv4 ID is 0 when DF is set (RFC 6864 atomic datagram, as OVS) and a per-thread
// counter otherwise. Only the low 24 bits of `vni` are sent (as OVS truncates tun_id).
// False, with `pkt` unchanged, when the headroom is short or the outer packet would exceed
// 65535 bytes: the caller drops and counts.
bool EncapVxlan(PacketBuffer& pkt, const VxlanEndpoint& local, const VxlanNextHop& next_hop,
                uint32_t vni);

// Same as EncapVxlan with a source port the caller computed once, so head-end replication
// of one inner frame to many VTEPs hashes it only once.
bool EncapVxlanWithSourcePort(PacketBuffer& pkt, const VxlanEndpoint& local,
                              const VxlanNextHop& next_hop, uint32_t vni, uint16_t src_port);

// The UDP source port for an inner frame, in [49152, 65535]: a hash of its addresses,
// IP protocol and ports (never of per-packet fields such as TCP flags or TTL, and never of
// the ports of a fragment), so one flow keeps one underlay ECMP path and flows spread out.
// Frames without IPv4/IPv6 hash their MAC addresses and EtherType, as Linux does.
uint16_t VxlanSourcePort(std::span<const uint8_t> inner_frame);

// What decap found about the outer headers, for the tunnel metadata of the inner packet
// (tun_id, tun_src, tun_dst). Host order.
struct VxlanDecap {
  uint32_t vni;
  uint32_t outer_src;
  uint32_t outer_dst;
};

// Why a frame from the uplink was not decapsulated, so the caller can count each reason.
// The first group is traffic that is simply not VXLAN for us (the uplink's other traffic:
// hand it to the kernel); the second is VXLAN-looking traffic that is broken (drop it).
enum class VxlanDecapError : uint8_t {
  kNone = 0,
  // Not ours.
  kNotIpv4,       // the outer EtherType is not IPv4 (ARP, IPv6, VLAN-tagged, ...)
  kNotUdp,        // IPv4 but another protocol
  kNotLocalIp,    // outer destination is not our local_ip
  kNotVxlanPort,  // UDP to another port
  kFragment,      // an outer IPv4 fragment (we do not reassemble)
  // Broken.
  kTruncated,      // a header or the IPv4 total length runs past the end of the frame
  kBadIpHeader,    // IPv4 version or IHL impossible, or total length below the IHL
  kBadIpChecksum,  // outer IPv4 header checksum wrong
  kBadUdpLength,   // UDP length too small for VXLAN + inner Ethernet, or beyond the datagram
  kNoVniFlag,      // VXLAN header without the I flag (RFC 7348: the VNI is not valid)
};

// A short lower-case name per reason ("not_udp", "bad_ip_checksum"...) for counters and logs.
std::string_view VxlanDecapErrorName(VxlanDecapError error);

// Decap's outcome with the reason when it did not decapsulate.
struct VxlanDecapResult {
  VxlanDecapError error = VxlanDecapError::kNone;
  VxlanDecap decap{};  // valid when error == kNone
};

// Strips the outer Ethernet/IPv4/UDP/VXLAN headers of a frame received on the uplink when it
// is VXLAN to local.local_ip:local.dst_port, so the inner frame can enter the pipeline;
// also drops outer padding (pkt.size becomes the inner frame's size per the UDP length).
// Otherwise `pkt` is untouched and the result says why. Reads only inside pkt.bytes(). The
// outer frame must be untagged; outer IPv4 options are accepted; the outer UDP checksum is
// not verified (the inner packet's own checksums protect it; RFC 7348 lets receivers skip
// it) but the outer IPv4 header checksum is, since nothing before us checked it.
VxlanDecapResult DecapVxlanWithReason(PacketBuffer& pkt, const VxlanEndpoint& local);

// DecapVxlanWithReason for callers that need no reason.
std::optional<VxlanDecap> DecapVxlan(PacketBuffer& pkt, const VxlanEndpoint& local);

}  // namespace podswitch::core
