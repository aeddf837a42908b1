#include "dataplane/core/tunnel/path_mtu.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/core/packet/addr.h"
#include "dataplane/core/packet/byte_order.h"
#include "dataplane/core/packet/checksum.h"
#include "dataplane/core/packet/packet_parser.h"
#include "dataplane/core/testing/packet_builder.h"

namespace podswitch::core {
namespace {

using ::testing::ElementsAreArray;

constexpr char kPodMac[] = "0a:58:0a:00:01:05";
constexpr char kGwMac[] = "0a:58:0a:00:01:01";
constexpr char kPodIp[] = "10.0.1.5";
constexpr char kGwIp[] = "10.0.1.1";

TEST(PathMtuTest, FitsAfterEncapCountsTheFiftyBytes) {
  struct Case {
    size_t frame;
    uint32_t mtu;
    bool fits;
  };
  for (const Case& c : std::vector<Case>{{1464, 1500, true},  // L3 1450 + 50 = 1500
                                         {1465, 1500, false},
                                         {1514, 1500, false},  // a full-size pod frame
                                         {1514, 1550, true},
                                         {9014, 9000, false},
                                         {8964, 9000, true},
                                         {64, 1500, true}}) {
    EXPECT_EQ(FitsAfterEncap(c.frame, c.mtu), c.fits) << c.frame << " in " << c.mtu;
  }
  EXPECT_EQ(VxlanInnerMtu(1500), 1450u);
  EXPECT_EQ(VxlanInnerMtu(9000), 8950u);
  EXPECT_EQ(VxlanInnerMtu(40), 0u);
}

std::vector<uint8_t> BigTcp(Ipv4Fields ip = {.dont_fragment = true}, bool vlan = false) {
  PacketBuilder b;
  b.Eth(kPodMac, kGwMac);
  if (vlan) b.Vlan(20, 3);
  return b.Ipv4(kPodIp, "10.0.2.7", std::move(ip)).Tcp(40000, 80, kTcpAck).Payload(1460).Build();
}

// Checks an ICMP "fragmentation needed" reply to `inner` and returns its parse.
void ExpectFragNeeded(const std::vector<uint8_t>& reply, const std::vector<uint8_t>& inner,
                      uint16_t mtu) {
  ASSERT_FALSE(reply.empty());
  const ParsedPacket parsed = ParsePacketHeaders(reply, 0);
  const FlowKey& key = parsed.key;
  EXPECT_EQ(key.pkt_err, 0);
  EXPECT_EQ(key.dl_src, *MacFromString(kGwMac));
  EXPECT_EQ(key.dl_dst, *MacFromString(kPodMac));
  EXPECT_EQ(key.dl_type, kEthTypeIpv4);
  EXPECT_EQ(key.nw_src, *Ipv4FromString(kGwIp));
  EXPECT_EQ(key.nw_dst, *Ipv4FromString(kPodIp));
  EXPECT_EQ(key.nw_proto, kIpProtoIcmp);
  EXPECT_EQ(key.tp_src, 3) << "destination unreachable";
  EXPECT_EQ(key.tp_dst, 4) << "fragmentation needed";
  EXPECT_EQ(key.nw_ttl, 64);
  ASSERT_NE(parsed.l4_offset, kNoHeader);
  EXPECT_EQ(parsed.l3_end, reply.size()) << "IPv4 total length";

  const uint8_t* ip = reply.data() + parsed.l3_offset;
  EXPECT_EQ(InternetChecksum({ip, kIpv4MinHeaderLen}), 0) << "IPv4 header checksum";
  const std::span<const uint8_t> icmp(reply.data() + parsed.l4_offset,
                                      reply.size() - parsed.l4_offset);
  EXPECT_EQ(InternetChecksum(icmp), 0) << "ICMP checksum";
  EXPECT_EQ(ReadBe16(&icmp[4]), 0) << "unused";
  EXPECT_EQ(ReadBe16(&icmp[6]), mtu) << "next-hop MTU";

  const ParsedPacket inner_parsed = ParsePacketHeaders(inner, 0);
  const size_t ihl = size_t{inner[inner_parsed.l3_offset] & 0x0fu} * 4;
  const auto quoted_from = inner.begin() + inner_parsed.l3_offset;
  EXPECT_THAT(std::vector<uint8_t>(icmp.begin() + 8, icmp.end()),
              ElementsAreArray(quoted_from, quoted_from + static_cast<long>(ihl) + 8))
      << "quotes the IP header and 8 bytes";
}

TEST(PathMtuTest, FragNeededAnswersTheSender) {
  const std::vector<uint8_t> inner = BigTcp();
  ASSERT_FALSE(FitsAfterEncap(inner.size(), 1500));
  const auto reply = BuildIcmpFragNeeded(inner, VxlanInnerMtu(1500), *MacFromString(kGwMac),
                                         *Ipv4FromString(kGwIp));
  ExpectFragNeeded(reply, inner, 1450);
  EXPECT_EQ(reply.size(), kEthHeaderLen + 20 + 8 + 20 + 8);
}

TEST(PathMtuTest, FragNeededQuotesIpOptionsAndKeepsTheVlanTag) {
  const std::vector<uint8_t> inner = BigTcp({.dont_fragment = true, .options = {1, 1, 1, 1}}, true);
  const auto reply =
      BuildIcmpFragNeeded(inner, 1400, *MacFromString(kGwMac), *Ipv4FromString(kGwIp));
  ExpectFragNeeded(reply, inner, 1400);
  EXPECT_EQ(ParsePacket(reply, 0).vlan_tci, ParsePacket(inner, 0).vlan_tci);
  EXPECT_EQ(reply.size(), kEthHeaderLen + 4 + 20 + 8 + 24 + 8);
}

TEST(PathMtuTest, FragNeededForAnEchoRequest) {
  const auto inner = PacketBuilder()
                         .Eth(kPodMac, kGwMac)
                         .Ipv4(kPodIp, "10.0.2.7", {.dont_fragment = true})
                         .Icmp(8, 0, 0x00010001)
                         .Payload(1472)
                         .Build();
  const auto reply =
      BuildIcmpFragNeeded(inner, 1450, *MacFromString(kGwMac), *Ipv4FromString(kGwIp));
  ExpectFragNeeded(reply, inner, 1450);
}

TEST(PathMtuTest, NoFragNeededWhereRfc1122ForbidsIt) {
  struct Case {
    std::string name;
    std::vector<uint8_t> frame;
  };
  const std::vector<Case> cases = {
      {"df_clear", BigTcp({})},
      {"later_fragment", BigTcp({.frag_offset = 100, .dont_fragment = true})},
      {"icmp_error", PacketBuilder()
                         .Eth(kPodMac, kGwMac)
                         .Ipv4(kPodIp, "10.0.2.7", {.dont_fragment = true})
                         .Icmp(3, 3)
                         .Payload(1472)
                         .Build()},
      {"broadcast_dst", PacketBuilder()
                            .Eth(kPodMac, kGwMac)
                            .Ipv4(kPodIp, "255.255.255.255", {.dont_fragment = true})
                            .Udp(1, 2)
                            .Payload(1472)
                            .Build()},
      {"multicast_dst", PacketBuilder()
                            .Eth(kPodMac, kGwMac)
                            .Ipv4(kPodIp, "239.1.1.1", {.dont_fragment = true})
                            .Udp(1, 2)
                            .Payload(1472)
                            .Build()},
      {"zero_src", PacketBuilder()
                       .Eth(kPodMac, kGwMac)
                       .Ipv4("0.0.0.0", "10.0.2.7", {.dont_fragment = true})
                       .Udp(68, 67)
                       .Payload(1472)
                       .Build()},
      {"l2_broadcast", PacketBuilder()
                           .Eth(kPodMac, "ff:ff:ff:ff:ff:ff")
                           .Ipv4(kPodIp, "10.0.2.7", {.dont_fragment = true})
                           .Udp(1, 2)
                           .Payload(1472)
                           .Build()},
      {"ipv6", PacketBuilder().Eth(kPodMac, kGwMac).Ipv6("fd00::5", "fd00::7").Udp(1, 2).Build()},
      {"arp", PacketBuilder()
                  .Eth(kPodMac, kGwMac)
                  .Arp(1, kPodMac, kPodIp, "00:00:00:00:00:00", kGwIp)
                  .Build()},
      {"runt", {0x0a, 0x58}},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(
        BuildIcmpFragNeeded(c.frame, 1450, *MacFromString(kGwMac), *Ipv4FromString(kGwIp)).empty())
        << c.name;
  }
}

TEST(PathMtuTest, FragNeededSurvivesAnyTruncation) {
  const std::vector<uint8_t> inner = BigTcp();
  for (size_t n = 0; n <= 80; ++n) {
    const std::vector<uint8_t> prefix(inner.begin(), inner.begin() + n);
    const auto reply =
        BuildIcmpFragNeeded(prefix, 1450, *MacFromString(kGwMac), *Ipv4FromString(kGwIp));
    if (!reply.empty()) EXPECT_EQ(InternetChecksum({reply.data() + 34, reply.size() - 34}), 0);
  }
}

std::vector<uint8_t> BigIpv6(uint8_t icmpv6_type = 0) {
  PacketBuilder b;
  b.Eth(kPodMac, kGwMac).Ipv6("fd00:1::5", "fd00:2::7");
  if (icmpv6_type != 0) {
    b.Icmpv6(icmpv6_type, 0);
  } else {
    b.Tcp(40000, 80, kTcpAck);
  }
  return b.Payload(1440).Build();
}

TEST(PathMtuTest, PacketTooBigAnswersTheIpv6Sender) {
  const std::vector<uint8_t> inner = BigIpv6();
  const Ipv6Addr gw = *Ipv6FromString("fd00:1::1");
  const auto reply = BuildIcmpv6PacketTooBig(inner, 1450, *MacFromString(kGwMac), gw);
  ASSERT_FALSE(reply.empty());
  const ParsedPacket parsed = ParsePacketHeaders(reply, 0);
  const FlowKey& key = parsed.key;
  EXPECT_EQ(key.pkt_err, 0);
  EXPECT_EQ(key.dl_src, *MacFromString(kGwMac));
  EXPECT_EQ(key.dl_dst, *MacFromString(kPodMac));
  EXPECT_EQ(key.dl_type, kEthTypeIpv6);
  EXPECT_EQ(key.ipv6_src, gw);
  EXPECT_EQ(key.ipv6_dst, *Ipv6FromString("fd00:1::5"));
  EXPECT_EQ(key.nw_proto, kIpProtoIcmpv6);
  EXPECT_EQ(key.tp_src, 2) << "packet too big";
  EXPECT_EQ(key.tp_dst, 0);
  EXPECT_EQ(reply.size(), kEthHeaderLen + 1280u) << "quotes up to the IPv6 minimum MTU";
  EXPECT_EQ(parsed.l3_end, reply.size()) << "payload length";

  const std::span<const uint8_t> icmp(reply.data() + parsed.l4_offset,
                                      reply.size() - parsed.l4_offset);
  EXPECT_EQ(ReadBe32(&icmp[4]), 1450u);
  EXPECT_EQ(ChecksumFinish(
                ChecksumAdd(icmp, Ipv6PseudoHeaderSum(key.ipv6_src, key.ipv6_dst, kIpProtoIcmpv6,
                                                      static_cast<uint32_t>(icmp.size())))),
            0)
      << "ICMPv6 checksum";
  EXPECT_THAT(std::vector<uint8_t>(icmp.begin() + 8, icmp.end()),
              ElementsAreArray(inner.begin() + kEthHeaderLen,
                               inner.begin() + kEthHeaderLen + static_cast<long>(icmp.size()) - 8));
}

TEST(PathMtuTest, NoPacketTooBigForIcmpv6ErrorsOrIpv4) {
  const MacAddr gw_mac = *MacFromString(kGwMac);
  const Ipv6Addr gw = *Ipv6FromString("fd00:1::1");
  EXPECT_TRUE(BuildIcmpv6PacketTooBig(BigIpv6(1), 1450, gw_mac, gw).empty()) << "unreachable";
  EXPECT_FALSE(BuildIcmpv6PacketTooBig(BigIpv6(128), 1450, gw_mac, gw).empty()) << "echo";
  EXPECT_TRUE(BuildIcmpv6PacketTooBig(BigTcp(), 1450, gw_mac, gw).empty());
  const auto from_multicast = PacketBuilder()
                                  .Eth(kPodMac, kGwMac)
                                  .Ipv6("ff02::1", "fd00:2::7")
                                  .Udp(1, 2)
                                  .Payload(1440)
                                  .Build();
  EXPECT_TRUE(BuildIcmpv6PacketTooBig(from_multicast, 1450, gw_mac, gw).empty());
}

TEST(PathMtuTest, LinkLocalFromMacIsModifiedEui64) {
  EXPECT_EQ(Ipv6ToString(Ipv6LinkLocalFromMac(*MacFromString("0a:58:0a:00:01:01"))),
            "fe80::858:aff:fe00:101");
  EXPECT_EQ(Ipv6ToString(Ipv6LinkLocalFromMac(*MacFromString("00:00:00:00:00:00"))),
            "fe80::200:ff:fe00:0");
}

TEST(PathMtuTest, TooBigPicksTheErrorOfTheInnerIpVersion) {
  const MacAddr gw_mac = *MacFromString(kGwMac);
  const uint32_t gw_ip = *Ipv4FromString(kGwIp);
  const std::vector<uint8_t> v4 = BuildIcmpTooBig(BigTcp(), 1350, gw_mac, gw_ip);
  EXPECT_EQ(v4, BuildIcmpFragNeeded(BigTcp(), 1350, gw_mac, gw_ip));
  EXPECT_FALSE(v4.empty());

  const std::vector<uint8_t> v6 = BuildIcmpTooBig(BigIpv6(), 1350, gw_mac, gw_ip);
  ASSERT_FALSE(v6.empty());
  EXPECT_EQ(v6, BuildIcmpv6PacketTooBig(BigIpv6(), 1350, gw_mac, Ipv6LinkLocalFromMac(gw_mac)));
  const FlowKey key = ParsePacketHeaders(v6, 0).key;
  EXPECT_EQ(key.tp_src, 2) << "packet too big";
  EXPECT_EQ(key.ipv6_src, Ipv6LinkLocalFromMac(gw_mac)) << "from the gateway's link-local";

  EXPECT_TRUE(BuildIcmpTooBig(BigIpv6(1), 1350, gw_mac, gw_ip).empty()) << "an ICMPv6 error";
}

}  // namespace
}  // namespace podswitch::core
