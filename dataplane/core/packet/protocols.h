// Protocol numbers and header sizes the parser, the executor and the packet builder share,
// so that a magic number such as 0x88a8 or 4789 is spelled once.
#pragma once

#include <cstdint>

namespace podswitch::core {

// EtherTypes.
inline constexpr uint16_t kEthTypeIpv4 = 0x0800;
inline constexpr uint16_t kEthTypeArp = 0x0806;
inline constexpr uint16_t kEthTypeVlan = 0x8100;  // 802.1Q C-tag
inline constexpr uint16_t kEthTypeQinQ = 0x88a8;  // 802.1ad S-tag
inline constexpr uint16_t kEthTypeIpv6 = 0x86dd;
// dl_type of an 802.3 frame whose type/length field is a length (OVS's FLOW_DL_TYPE_NONE).
inline constexpr uint16_t kEthTypeNone = 0x05ff;
inline constexpr uint16_t kEthTypeMin = 0x0600;  // smaller values are 802.3 lengths

// IP protocol numbers and IPv6 extension header types.
inline constexpr uint8_t kIpProtoHopByHop = 0;
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoRouting = 43;
inline constexpr uint8_t kIpProtoFragment = 44;
inline constexpr uint8_t kIpProtoAh = 51;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;
inline constexpr uint8_t kIpProtoNoNext = 59;
inline constexpr uint8_t kIpProtoDstOpts = 60;

// ARP opcodes.
inline constexpr uint16_t kArpRequest = 1;
inline constexpr uint16_t kArpReply = 2;

// ICMPv6 neighbour discovery (RFC 4861): message types and option types.
inline constexpr uint8_t kIcmpv6NeighborSolicit = 135;
inline constexpr uint8_t kIcmpv6NeighborAdvert = 136;
inline constexpr uint8_t kNdOptSourceLinkAddr = 1;
inline constexpr uint8_t kNdOptTargetLinkAddr = 2;

// Header sizes in bytes.
inline constexpr uint32_t kEthHeaderLen = 14;
inline constexpr uint32_t kVlanTagLen = 4;
inline constexpr uint32_t kArpEthIpv4Len = 28;
inline constexpr uint32_t kIpv4MinHeaderLen = 20;
inline constexpr uint32_t kIpv6HeaderLen = 40;
inline constexpr uint32_t kTcpMinHeaderLen = 20;
inline constexpr uint32_t kUdpHeaderLen = 8;
inline constexpr uint32_t kIcmpHeaderLen = 8;
inline constexpr uint32_t kIcmpv6HeaderLen = 4;
inline constexpr uint32_t kNdMessageLen = 24;  // ICMPv6 header, flags/reserved, target
inline constexpr uint32_t kVxlanHeaderLen = 8;

// IPv4 flags/fragment-offset word.
inline constexpr uint16_t kIpv4DontFragment = 0x4000;
inline constexpr uint16_t kIpv4MoreFragments = 0x2000;
inline constexpr uint16_t kIpv4FragOffsetMask = 0x1fff;

// VXLAN (RFC 7348).
inline constexpr uint16_t kVxlanUdpPort = 4789;
inline constexpr uint8_t kVxlanFlagVni = 0x08;  // the I flag: the VNI field is valid

}  // namespace podswitch::core
