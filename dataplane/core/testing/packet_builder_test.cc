#include "dataplane/core/testing/packet_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dataplane/core/packet/byte_order.h"
#include "dataplane/core/packet/checksum.h"
#include "dataplane/core/packet/protocols.h"

namespace podswitch::core {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

std::vector<uint8_t> Slice(const std::vector<uint8_t>& v, size_t from, size_t n) {
  return {v.begin() + static_cast<long>(from), v.begin() + static_cast<long>(from + n)};
}

uint16_t L4ChecksumV4(const std::vector<uint8_t>& f, size_t ip, size_t l4, uint8_t proto) {
  uint32_t pseudo = Ipv4PseudoHeaderSum(ReadBe32(&f[ip + 12]), ReadBe32(&f[ip + 16]), proto,
                                        static_cast<uint32_t>(f.size() - l4));
  return ChecksumFinish(ChecksumAdd({f.data() + l4, f.size() - l4}, pseudo));
}

TEST(PacketBuilderTest, EthernetVlanIpv4TcpHasExactBytes) {
  auto f = PacketBuilder()
               .Eth("00:00:00:00:00:01", "00:00:00:00:00:02")
               .Vlan(10, 3)
               .Ipv4("10.0.0.1", "10.0.0.2")
               .Tcp(1234, 80, kTcpSyn)
               .Payload(10)
               .Build();
  ASSERT_EQ(f.size(), 14u + 4 + 20 + 20 + 10);
  EXPECT_THAT(Slice(f, 0, 6), ElementsAre(0, 0, 0, 0, 0, 2));  // destination first
  EXPECT_THAT(Slice(f, 6, 6), ElementsAre(0, 0, 0, 0, 0, 1));
  EXPECT_EQ(ReadBe16(&f[12]), kEthTypeVlan);
  EXPECT_EQ(ReadBe16(&f[14]), 3 << 13 | 10);
  EXPECT_EQ(ReadBe16(&f[16]), kEthTypeIpv4);
  EXPECT_EQ(f[18], 0x45);
  EXPECT_EQ(ReadBe16(&f[20]), 50);  // total length
  EXPECT_EQ(f[26], 64);             // ttl
  EXPECT_EQ(f[27], kIpProtoTcp);
  EXPECT_EQ(InternetChecksum({&f[18], 20}), 0);
  EXPECT_EQ(ReadBe16(&f[38]), 1234);
  EXPECT_EQ(ReadBe16(&f[40]), 80);
  EXPECT_EQ(ReadBe16(&f[50]), 0x5000 | kTcpSyn);
  EXPECT_EQ(L4ChecksumV4(f, 18, 38, kIpProtoTcp), 0);
  EXPECT_EQ(f.back(), 9);
}

TEST(PacketBuilderTest, QinqUsesOuterTpidFirst) {
  auto f = PacketBuilder()
               .Eth("00:00:00:00:00:01", "00:00:00:00:00:02")
               .Vlan(100, 0, kEthTypeQinQ)
               .Vlan(200)
               .Ipv4("1.1.1.1", "2.2.2.2")
               .Build();
  EXPECT_EQ(ReadBe16(&f[12]), kEthTypeQinQ);
  EXPECT_EQ(ReadBe16(&f[14]), 100);
  EXPECT_EQ(ReadBe16(&f[16]), kEthTypeVlan);
  EXPECT_EQ(ReadBe16(&f[18]), 200);
  EXPECT_EQ(ReadBe16(&f[20]), kEthTypeIpv4);
}

TEST(PacketBuilderTest, UdpLengthAndChecksum) {
  auto f = PacketBuilder()
               .Eth("00:00:00:00:00:01", "00:00:00:00:00:02")
               .Ipv4("10.0.0.1", "10.0.0.2", {.ttl = 5, .tos = 0xb8})
               .Udp(53, 5353)
               .Payload(7)
               .Build();
  EXPECT_EQ(f[15], 0xb8);
  EXPECT_EQ(f[22], 5);
  EXPECT_EQ(ReadBe16(&f[38]), 15);  // UDP length
  EXPECT_NE(ReadBe16(&f[40]), 0);
  EXPECT_EQ(L4ChecksumV4(f, 14, 34, kIpProtoUdp), 0);
}

TEST(PacketBuilderTest, Ipv4OptionsAndFragmentFields) {
  auto f = PacketBuilder()
               .Eth("00:00:00:00:00:01", "00:00:00:00:00:02")
               .Ipv4("10.0.0.1", "10.0.0.2",
                     {.frag_offset = 185, .more_fragments = true, .options = {1, 1, 1}})
               .Payload(8)
               .Build();
  EXPECT_EQ(f[14], 0x46);  // IHL 6: three option bytes padded to four
  EXPECT_EQ(ReadBe16(&f[20]), kIpv4MoreFragments | 185);
  EXPECT_EQ(ReadBe16(&f[16]), 24 + 8);
  EXPECT_EQ(InternetChecksum({&f[14], 24}), 0);
}

TEST(PacketBuilderTest, IcmpChecksumCoversMessage) {
  auto f = PacketBuilder()
               .Eth("00:00:00:00:00:01", "00:00:00:00:00:02")
               .Ipv4("10.0.0.1", "10.0.0.2")
               .Icmp(8, 0, 0x12340001)
               .Payload(32)
               .Build();
  EXPECT_EQ(f[23], kIpProtoIcmp);
  EXPECT_EQ(InternetChecksum({&f[34], f.size() - 34}), 0);
}

TEST(PacketBuilderTest, Ipv6ExtensionHeadersChainNextHeaders) {
  auto f = PacketBuilder()
               .Eth("00:00:00:00:00:01", "00:00:00:00:00:02")
               .Ipv6("2001:db8::1", "2001:db8::2", {.hop_limit = 7})
               .Ipv6HopByHop()
               .Ipv6Routing()
               .Ipv6Fragment(0, true)
               .Ipv6DestOpts(10)
               .Udp(1, 2)
               .Build();
  EXPECT_EQ(ReadBe16(&f[12]), kEthTypeIpv6);
  EXPECT_EQ(f[14 + 6], kIpProtoHopByHop);
  EXPECT_EQ(f[14 + 7], 7);
  size_t ext = 54;
  EXPECT_EQ(f[ext], kIpProtoRouting);
  EXPECT_EQ(f[ext + 8], kIpProtoFragment);
  EXPECT_EQ(f[ext + 16], kIpProtoDstOpts);
  EXPECT_EQ(f[ext + 24], kIpProtoUdp);
  EXPECT_EQ(f[ext + 25], 1);  // 16 bytes of destination options
  EXPECT_EQ(ReadBe16(&f[18]), f.size() - 54);
  size_t udp = ext + 40;
  Ipv6Addr s, d;
  std::memcpy(s.data(), &f[22], 16);
  std::memcpy(d.data(), &f[38], 16);
  uint32_t pseudo = Ipv6PseudoHeaderSum(s, d, kIpProtoUdp, 8);
  EXPECT_EQ(ChecksumFinish(ChecksumAdd({&f[udp], 8}, pseudo)), 0);
}

TEST(PacketBuilderTest, NeighborSolicitCarriesTargetAndOption) {
  auto f = PacketBuilder()
               .Eth("00:00:00:00:00:01", "33:33:ff:00:00:02")
               .Ipv6("fe80::1", "ff02::1:ff00:2", {.hop_limit = 255})
               .NeighborSolicit("fe80::2", "00:00:00:00:00:01")
               .Build();
  ASSERT_EQ(f.size(), 54u + 24 + 8);
  EXPECT_EQ(f[54], kIcmpv6NeighborSolicit);
  EXPECT_EQ(f[54 + 8], 0xfe);
  EXPECT_EQ(f[54 + 23], 2);
  EXPECT_THAT(Slice(f, 78, 8), ElementsAre(1, 1, 0, 0, 0, 0, 0, 1));
}

TEST(PacketBuilderTest, VxlanWrapsInnerFrame) {
  auto inner = PacketBuilder()
                   .Eth("00:00:00:00:00:0a", "00:00:00:00:00:0b")
                   .Ipv4("192.168.0.1", "192.168.0.2")
                   .Build();
  auto f = PacketBuilder()
               .Eth("00:00:00:00:00:01", "00:00:00:00:00:02")
               .Ipv4("10.0.0.1", "10.0.0.2")
               .Udp(5000, kVxlanUdpPort)
               .Vxlan(42, inner)
               .Build();
  ASSERT_EQ(f.size(), 50u + inner.size());
  EXPECT_EQ(f[42], kVxlanFlagVni);
  EXPECT_EQ(ReadBe32(&f[46]) >> 8, 42u);
  EXPECT_THAT(Slice(f, 50, inner.size()), ElementsAreArray(inner));
  EXPECT_EQ(ReadBe16(&f[38]), 16 + inner.size());
  EXPECT_EQ(L4ChecksumV4(f, 14, 34, kIpProtoUdp), 0);
}

TEST(PacketBuilderTest, ArpFields) {
  auto f = PacketBuilder()
               .Eth("00:00:00:00:00:01", "ff:ff:ff:ff:ff:ff")
               .Arp(kArpRequest, "00:00:00:00:00:01", "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2")
               .Build();
  ASSERT_EQ(f.size(), 42u);
  EXPECT_EQ(ReadBe16(&f[12]), kEthTypeArp);
  EXPECT_EQ(ReadBe16(&f[20]), kArpRequest);
  EXPECT_EQ(ReadBe32(&f[28]), 0x0a000001u);
  EXPECT_EQ(ReadBe32(&f[38]), 0x0a000002u);
}

TEST(PacketBuilderTest, TestPacketHasHeadroom) {
  std::vector<uint8_t> frame = {1, 2, 3};
  TestPacket pkt(frame, 8);
  EXPECT_EQ(pkt.buffer().headroom, 8u);
  ASSERT_TRUE(pkt.buffer().Prepend(8));
  EXPECT_FALSE(pkt.buffer().Prepend(1));
  EXPECT_EQ(pkt.Bytes().size(), 11u);
  EXPECT_EQ(pkt.Bytes()[8], 1);
}

TEST(PacketBuilderDeathTest, BadAddressAborts) {
  EXPECT_DEATH(PacketBuilder().Eth("nope", "00:00:00:00:00:01"), "bad MAC address");
}

}  // namespace
}  // namespace podswitch::core
