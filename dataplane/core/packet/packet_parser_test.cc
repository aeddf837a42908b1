#include "dataplane/core/packet/packet_parser.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dataplane/core/packet/addr.h"
#include "dataplane/core/packet/byte_order.h"
#include "dataplane/core/packet/protocols.h"
#include "dataplane/core/testing/packet_builder.h"

namespace podswitch::core {
namespace {

constexpr char kMac1[] = "00:00:00:00:00:01";
constexpr char kMac2[] = "00:00:00:00:00:02";

// Every key field a parser fills, for readable failure messages.
std::string Describe(const FlowKey& k) {
  return absl::StrCat(
      "in_port=", k.in_port, " pkt_err=", k.pkt_err, " dl_src=", MacToString(k.dl_src),
      " dl_dst=", MacToString(k.dl_dst), " dl_type=0x", absl::Hex(k.dl_type), " vlan_tci=0x",
      absl::Hex(k.vlan_tci), " vlan_tci_inner=0x", absl::Hex(k.vlan_tci_inner), " vlan_tpid=0x",
      absl::Hex(k.vlan_tpid), " vlan_count=", k.vlan_count, " nw_src=", Ipv4ToString(k.nw_src),
      " nw_dst=", Ipv4ToString(k.nw_dst), " nw_proto=", k.nw_proto, " nw_tos=", k.nw_tos,
      " nw_ttl=", k.nw_ttl, " nw_frag=", k.nw_frag, " ipv6_src=", Ipv6ToString(k.ipv6_src),
      " ipv6_dst=", Ipv6ToString(k.ipv6_dst), " ipv6_label=0x", absl::Hex(k.ipv6_label),
      " tp_src=", k.tp_src, " tp_dst=", k.tp_dst, " tcp_flags=0x", absl::Hex(k.tcp_flags),
      " nd_target=", Ipv6ToString(k.nd_target), " arp_sha=", MacToString(k.arp_sha),
      " arp_tha=", MacToString(k.arp_tha));
}

MacAddr Mac(const char* s) { return *MacFromString(s); }
uint32_t Ip4(const char* s) { return *Ipv4FromString(s); }
Ipv6Addr Ip6(const char* s) { return *Ipv6FromString(s); }

// A key with the Ethernet fields every case below shares.
FlowKey EthKey(uint16_t dl_type) {
  FlowKey k{};
  k.in_port = 7;
  k.dl_src = Mac(kMac1);
  k.dl_dst = Mac(kMac2);
  k.dl_type = dl_type;
  return k;
}

FlowKey Ipv4Key(const char* src, const char* dst, uint8_t proto) {
  FlowKey k = EthKey(kEthTypeIpv4);
  k.nw_src = Ip4(src);
  k.nw_dst = Ip4(dst);
  k.nw_proto = proto;
  k.nw_ttl = 64;
  return k;
}

FlowKey Ipv6Key(const char* src, const char* dst, uint8_t proto) {
  FlowKey k = EthKey(kEthTypeIpv6);
  k.ipv6_src = Ip6(src);
  k.ipv6_dst = Ip6(dst);
  k.nw_proto = proto;
  k.nw_ttl = 64;
  return k;
}

struct ParseCase {
  std::string name;
  std::vector<uint8_t> frame;
  std::function<FlowKey()> expected;
};

PacketBuilder Eth() { return std::move(PacketBuilder().Eth(kMac1, kMac2)); }

std::vector<ParseCase> ValidCases() {
  return {
      {"ipv4_tcp",
       Eth().Ipv4("10.0.0.1", "10.0.0.2").Tcp(1234, 80, kTcpSyn | kTcpAck).Payload(10).Build(),
       [] {
         FlowKey k = Ipv4Key("10.0.0.1", "10.0.0.2", kIpProtoTcp);
         k.tp_src = 1234, k.tp_dst = 80, k.tcp_flags = kTcpSyn | kTcpAck;
         return k;
       }},
      {"tcp_flags_use_12_bits", Eth().Ipv4("10.0.0.1", "10.0.0.2").Tcp(1, 2, 0xfff).Build(),
       [] {
         FlowKey k = Ipv4Key("10.0.0.1", "10.0.0.2", kIpProtoTcp);
         k.tp_src = 1, k.tp_dst = 2, k.tcp_flags = 0xfff;
         return k;
       }},
      {"vlan_udp",
       Eth().Vlan(10, 5).Ipv4("10.0.0.1", "10.0.0.2", {.ttl = 3, .tos = 0xb9}).Udp(53, 99).Build(),
       [] {
         FlowKey k = Ipv4Key("10.0.0.1", "10.0.0.2", kIpProtoUdp);
         k.vlan_tci = 5 << 13 | 10 | kVlanPresent, k.vlan_tpid = kEthTypeVlan, k.vlan_count = 1;
         k.nw_ttl = 3, k.nw_tos = 0xb9, k.tp_src = 53, k.tp_dst = 99;
         return k;
       }},
      {"vlan_zero_is_still_tagged",
       Eth().Vlan(0).Arp(1, kMac1, "1.1.1.1", kMac2, "2.2.2.2").Build(),
       [] {
         FlowKey k = EthKey(kEthTypeArp);
         k.vlan_tci = kVlanPresent, k.vlan_tpid = kEthTypeVlan, k.vlan_count = 1;
         k.nw_proto = 1, k.nw_src = Ip4("1.1.1.1"), k.nw_dst = Ip4("2.2.2.2");
         k.arp_sha = Mac(kMac1), k.arp_tha = Mac(kMac2);
         return k;
       }},
      {"qinq", Eth().Vlan(100, 1, kEthTypeQinQ).Vlan(200, 2).Ipv4("1.1.1.1", "2.2.2.2").Build(),
       [] {
         FlowKey k = Ipv4Key("1.1.1.1", "2.2.2.2", 0);
         k.vlan_tci = 1 << 13 | 100 | kVlanPresent, k.vlan_tpid = kEthTypeQinQ;
         k.vlan_tci_inner = 2 << 13 | 200 | kVlanPresent, k.vlan_count = 2;
         return k;
       }},
      {"third_tag_is_not_parsed",
       Eth().Vlan(1, 0, kEthTypeQinQ).Vlan(2).Vlan(3).Ipv4("1.1.1.1", "2.2.2.2").Build(),
       [] {
         FlowKey k = EthKey(kEthTypeVlan);
         k.vlan_tci = 1 | kVlanPresent, k.vlan_tpid = kEthTypeQinQ;
         k.vlan_tci_inner = 2 | kVlanPresent, k.vlan_count = 2;
         return k;
       }},
      {"arp_reply", Eth().Arp(kArpReply, kMac2, "10.0.0.2", kMac1, "10.0.0.1").Build(),
       [] {
         FlowKey k = EthKey(kEthTypeArp);
         k.nw_proto = kArpReply, k.nw_src = Ip4("10.0.0.2"), k.nw_dst = Ip4("10.0.0.1");
         k.arp_sha = Mac(kMac2), k.arp_tha = Mac(kMac1);
         return k;
       }},
      {"ipv4_options_skipped",
       Eth()
           .Ipv4("10.0.0.1", "10.0.0.2", {.options = {0x94, 4, 0, 0, 1, 1, 1, 0}})
           .Tcp(5, 6)
           .Build(),
       [] {
         FlowKey k = Ipv4Key("10.0.0.1", "10.0.0.2", kIpProtoTcp);
         k.tp_src = 5, k.tp_dst = 6;
         return k;
       }},
      {"ipv4_first_fragment",
       Eth().Ipv4("10.0.0.1", "10.0.0.2", {.more_fragments = true}).Udp(7, 8).Payload(8).Build(),
       [] {
         FlowKey k = Ipv4Key("10.0.0.1", "10.0.0.2", kIpProtoUdp);
         k.nw_frag = kFragAny, k.tp_src = 7, k.tp_dst = 8;
         return k;
       }},
      {"ipv4_later_fragment_has_no_ports",
       Eth()
           .Ipv4("10.0.0.1", "10.0.0.2", {.frag_offset = 2, .proto = kIpProtoUdp})
           .Payload(16)
           .Build(),
       [] {
         FlowKey k = Ipv4Key("10.0.0.1", "10.0.0.2", kIpProtoUdp);
         k.nw_frag = kFragAny | kFragLater;
         return k;
       }},
      {"ipv4_dont_fragment_is_not_a_fragment",
       Eth().Ipv4("10.0.0.1", "10.0.0.2", {.dont_fragment = true}).Udp(1, 2).Build(),
       [] {
         FlowKey k = Ipv4Key("10.0.0.1", "10.0.0.2", kIpProtoUdp);
         k.tp_src = 1, k.tp_dst = 2;
         return k;
       }},
      {"icmp_echo", Eth().Ipv4("10.0.0.1", "10.0.0.2").Icmp(8, 0, 0x10001).Payload(56).Build(),
       [] {
         FlowKey k = Ipv4Key("10.0.0.1", "10.0.0.2", kIpProtoIcmp);
         k.tp_src = 8, k.tp_dst = 0;
         return k;
       }},
      {"ipv6_tcp",
       Eth()
           .Ipv6("2001:db8::1", "2001:db8::2",
                 {.hop_limit = 9, .traffic_class = 0xa5, .flow_label = 0xbeef5})
           .Tcp(22, 40000, kTcpFin)
           .Build(),
       [] {
         FlowKey k = Ipv6Key("2001:db8::1", "2001:db8::2", kIpProtoTcp);
         k.nw_ttl = 9, k.nw_tos = 0xa5, k.ipv6_label = 0xbeef5;
         k.tp_src = 22, k.tp_dst = 40000, k.tcp_flags = kTcpFin;
         return k;
       }},
      {"ipv6_extension_headers",
       Eth()
           .Ipv6("2001:db8::1", "2001:db8::2")
           .Ipv6HopByHop()
           .Ipv6Routing()
           .Ipv6DestOpts(30)
           .Udp(1000, 2000)
           .Build(),
       [] {
         FlowKey k = Ipv6Key("2001:db8::1", "2001:db8::2", kIpProtoUdp);
         k.tp_src = 1000, k.tp_dst = 2000;
         return k;
       }},
      {"ipv6_first_fragment",
       Eth().Ipv6("::1", "::2").Ipv6Fragment(0, true).Udp(3, 4).Payload(8).Build(),
       [] {
         FlowKey k = Ipv6Key("::1", "::2", kIpProtoUdp);
         k.nw_frag = kFragAny, k.tp_src = 3, k.tp_dst = 4;
         return k;
       }},
      {"ipv6_later_fragment",
       Eth().Ipv6("::1", "::2").Ipv6HopByHop().Ipv6Fragment(3, false).Udp(3, 4).Build(),
       [] {
         FlowKey k = Ipv6Key("::1", "::2", kIpProtoUdp);
         k.nw_frag = kFragAny | kFragLater;
         return k;
       }},
      {"ipv6_no_next_header", Eth().Ipv6("::1", "::2", {.next_header = kIpProtoNoNext}).Build(),
       [] { return Ipv6Key("::1", "::2", kIpProtoNoNext); }},
      {"icmpv6_echo", Eth().Ipv6("fe80::1", "fe80::2").Icmpv6(128, 0).Payload(4).Build(),
       [] {
         FlowKey k = Ipv6Key("fe80::1", "fe80::2", kIpProtoIcmpv6);
         k.tp_src = 128;
         return k;
       }},
      {"neighbor_solicit_with_sll",
       Eth()
           .Ipv6("fe80::1", "ff02::1:ff00:2")
           .NeighborSolicit("fe80::2", "00:00:00:00:00:aa")
           .Build(),
       [] {
         FlowKey k = Ipv6Key("fe80::1", "ff02::1:ff00:2", kIpProtoIcmpv6);
         k.tp_src = kIcmpv6NeighborSolicit, k.nd_target = Ip6("fe80::2");
         k.arp_sha = Mac("00:00:00:00:00:aa");
         return k;
       }},
      {"neighbor_solicit_without_option",
       Eth().Ipv6("::", "ff02::1:ff00:2").NeighborSolicit("fe80::2").Build(),
       [] {
         FlowKey k = Ipv6Key("::", "ff02::1:ff00:2", kIpProtoIcmpv6);
         k.tp_src = kIcmpv6NeighborSolicit, k.nd_target = Ip6("fe80::2");
         return k;
       }},
      {"neighbor_advert_with_tll",
       Eth().Ipv6("fe80::2", "fe80::1").NeighborAdvert("fe80::2", "00:00:00:00:00:bb").Build(),
       [] {
         FlowKey k = Ipv6Key("fe80::2", "fe80::1", kIpProtoIcmpv6);
         k.tp_src = kIcmpv6NeighborAdvert, k.nd_target = Ip6("fe80::2");
         k.arp_tha = Mac("00:00:00:00:00:bb");
         return k;
       }},
      {"vxlan_outer",
       Eth().Ipv4("10.0.0.1", "10.0.0.2").Udp(5000, kVxlanUdpPort).Vxlan(42, Eth().Build()).Build(),
       [] {
         FlowKey k = Ipv4Key("10.0.0.1", "10.0.0.2", kIpProtoUdp);
         k.tp_src = 5000, k.tp_dst = kVxlanUdpPort;
         return k;
       }},
      {"ethernet_padding_is_ignored", Eth().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build(),
       [] {
         FlowKey k = Ipv4Key("10.0.0.1", "10.0.0.2", kIpProtoUdp);
         k.tp_src = 1, k.tp_dst = 2;
         return k;
       }},
      {"ieee_802_3_length", PacketBuilder().Eth(kMac1, kMac2, 46).Payload(46).Build(),
       [] { return EthKey(kEthTypeNone); }},
      {"unknown_ethertype", PacketBuilder().Eth(kMac1, kMac2, 0x88cc).Payload(46).Build(),
       [] { return EthKey(0x88cc); }},
  };
}

TEST(PacketParserTest, ParsesEveryProtocol) {
  for (const ParseCase& c : ValidCases()) {
    SCOPED_TRACE(c.name);
    FlowKey got = ParsePacket(c.frame, 7);
    FlowKey want = c.expected();
    EXPECT_TRUE(got == want) << "\n got: " << Describe(got) << "\nwant: " << Describe(want);
  }
}

// Cutting a frame anywhere must never read past the cut, must say kTruncated, and must keep
// the Ethernet fields once they are complete.
TEST(PacketParserTest, EveryTruncationIsFlagged) {
  for (const ParseCase& c : ValidCases()) {
    // These end where the parser stops looking, so a cut into their payload is not visible.
    if (c.name == "ieee_802_3_length" || c.name == "unknown_ethertype" ||
        c.name == "third_tag_is_not_parsed") {
      continue;
    }
    SCOPED_TRACE(c.name);
    FlowKey full = ParsePacket(c.frame, 7);
    ASSERT_EQ(full.pkt_err, 0) << Describe(full);
    for (size_t len = 0; len < c.frame.size(); ++len) {
      std::vector<uint8_t> cut(c.frame.begin(), c.frame.begin() + static_cast<long>(len));
      ParsedPacket parsed = ParsePacketHeaders(cut, 7);
      ASSERT_EQ(parsed.key.pkt_err, static_cast<uint8_t>(PacketError::kTruncated))
          << "length " << len << ": " << Describe(parsed.key);
      if (len >= kEthHeaderLen) EXPECT_EQ(parsed.key.dl_src, full.dl_src) << len;
      if (parsed.l4_offset != kNoHeader) EXPECT_LT(parsed.l4_offset, len);
      EXPECT_FALSE(FindVxlan(cut).has_value());
    }
  }
}

struct ErrorCase {
  std::string name;
  std::vector<uint8_t> frame;
  PacketError error;
  std::function<void(const FlowKey&)> check = [](const FlowKey&) {};
};

std::vector<uint8_t> Edit(std::vector<uint8_t> frame, size_t at, uint8_t value) {
  frame[at] = value;
  return frame;
}

TEST(PacketParserTest, FlagsMalformedAndTruncatedHeaders) {
  auto tcp4 = Eth().Ipv4("10.0.0.1", "10.0.0.2").Tcp(1, 2).Payload(4).Build();
  auto udp6 = Eth().Ipv6("::1", "::2").Udp(1, 2).Payload(4).Build();
  auto ns = Eth().Ipv6("::1", "::2").NeighborSolicit("fe80::2", kMac1).Build();
  std::vector<ErrorCase> cases = {
      {"ipv4_ihl_below_5", Edit(tcp4, 14, 0x44), PacketError::kMalformed,
       [](const FlowKey& k) { EXPECT_EQ(k.nw_src, 0u); }},
      {"ipv4_version_5", Edit(tcp4, 14, 0x55), PacketError::kMalformed},
      {"ipv4_ihl_beyond_frame", Edit(tcp4, 14, 0x4f), PacketError::kTruncated},
      {"ipv4_total_below_ihl", Edit(Edit(tcp4, 16, 0), 17, 19), PacketError::kMalformed},
      {"ipv4_total_beyond_frame", Edit(tcp4, 16, 0x10), PacketError::kTruncated,
       [](const FlowKey& k) {
         EXPECT_EQ(k.nw_dst, Ip4("10.0.0.2"));
         EXPECT_EQ(k.tp_dst, 0);  // L4 of a datagram that is not all there is not trusted
       }},
      {"tcp_offset_below_5", Edit(tcp4, 46, 0x40), PacketError::kMalformed,
       [](const FlowKey& k) { EXPECT_EQ(k.tp_dst, 2); }},
      {"tcp_offset_beyond_datagram", Edit(tcp4, 46, 0x70), PacketError::kTruncated},
      {"ipv6_version_4", Edit(udp6, 14, 0x40), PacketError::kMalformed},
      {"ipv6_payload_beyond_frame", Edit(udp6, 18, 0x10), PacketError::kTruncated,
       [](const FlowKey& k) { EXPECT_EQ(k.ipv6_dst, Ip6("::2")); }},
      {"nd_option_length_zero", Edit(ns, 14 + 40 + 24 + 1, 0), PacketError::kMalformed,
       [](const FlowKey& k) { EXPECT_EQ(k.nd_target, Ip6("fe80::2")); }},
      {"nd_option_beyond_message", Edit(ns, 14 + 40 + 24 + 1, 2), PacketError::kTruncated},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    FlowKey k = ParsePacket(c.frame, 0);
    EXPECT_EQ(k.pkt_err, static_cast<uint8_t>(c.error)) << Describe(k);
    EXPECT_EQ(k.dl_src, Mac(kMac1));
    c.check(k);
  }
}

TEST(PacketParserTest, ReportsHeaderOffsets) {
  auto frame = Eth().Vlan(1).Ipv6("::1", "::2").Ipv6HopByHop().Tcp(1, 2).Build();
  ParsedPacket p = ParsePacketHeaders(frame, 0);
  EXPECT_EQ(p.l3_offset, 18u);
  EXPECT_EQ(p.l4_offset, 18u + 40 + 8);
  EXPECT_EQ(p.l3_end, frame.size());

  auto padded = Eth().Ipv4("1.1.1.1", "2.2.2.2").Udp(1, 2).Build();
  size_t unpadded = padded.size();
  padded.resize(60, 0);
  p = ParsePacketHeaders(padded, 0);
  EXPECT_EQ(p.key.pkt_err, 0);
  EXPECT_EQ(p.l3_end, unpadded);
}

TEST(PacketParserTest, FindsVxlanAndItsInnerFrame) {
  auto inner = Eth().Vlan(5).Ipv4("192.168.1.1", "192.168.1.2").Icmp(8, 0).Build();
  auto outer = PacketBuilder()
                   .Eth("00:00:00:00:00:0a", "00:00:00:00:00:0b")
                   .Ipv4("172.16.0.1", "172.16.0.2")
                   .Udp(49152, kVxlanUdpPort)
                   .Vxlan(0xabcdef, inner)
                   .Build();
  auto info = FindVxlan(outer);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->vni, 0xabcdefu);
  EXPECT_EQ(info->outer_src, Ip4("172.16.0.1"));
  EXPECT_EQ(info->outer_dst, Ip4("172.16.0.2"));
  EXPECT_EQ(info->inner_offset, 50u);
  EXPECT_EQ(info->inner_size, inner.size());
  FlowKey k = ParsePacket(std::span(outer).subspan(info->inner_offset, info->inner_size), 1);
  EXPECT_EQ(k.nw_src, Ip4("192.168.1.1"));
  EXPECT_EQ(k.vlan_tci, 5 | kVlanPresent);

  auto v6 = Eth().Ipv6("::1", "::2").Udp(1, kVxlanUdpPort).Vxlan(7, inner).Build();
  ASSERT_TRUE(FindVxlan(v6).has_value());
  EXPECT_EQ(FindVxlan(v6)->vni, 7u);
  EXPECT_EQ(FindVxlan(v6)->outer_src, 0u);

  EXPECT_FALSE(FindVxlan(outer, 8472).has_value());         // another port configured
  EXPECT_FALSE(FindVxlan(Edit(outer, 42, 0)).has_value());  // I flag clear
  EXPECT_FALSE(FindVxlan(Eth().Ipv4("1.1.1.1", "2.2.2.2").Udp(1, kVxlanUdpPort).Payload(7).Build())
                   .has_value());  // too short for a VXLAN header
  EXPECT_FALSE(FindVxlan(Eth().Ipv4("1.1.1.1", "2.2.2.2").Tcp(1, kVxlanUdpPort).Payload(20).Build())
                   .has_value());
}

TEST(PacketParserTest, SurvivesArbitraryBytes) {
  // Every frame of a small deterministic stream of random bytes, some with a plausible
  // Ethernet header; the fuzz target goes much further.
  uint32_t state = 1;
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> frame(state % 96);
    for (auto& b : frame) {
      state = state * 1103515245 + 12345;
      b = static_cast<uint8_t>(state >> 16);
    }
    if (frame.size() >= 15 && round % 2) {
      static const uint16_t kTypes[] = {kEthTypeIpv4, kEthTypeIpv6, kEthTypeVlan, kEthTypeArp};
      WriteBe16(&frame[12], kTypes[round % 4]);
      frame[14] = static_cast<uint8_t>(round % 4 == 0 ? 0x45 : 0x60);
    }
    ParsedPacket p = ParsePacketHeaders(frame, 0);
    if (p.l3_offset != kNoHeader) EXPECT_LE(p.l3_offset, frame.size());
    if (p.l4_offset != kNoHeader) EXPECT_LE(p.l4_offset, frame.size());
    FindVxlan(frame);
    state = state * 1103515245 + 12345;
  }
}

}  // namespace
}  // namespace podswitch::core
