#include "dataplane/core/tunnel/vxlan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dataplane/core/packet/addr.h"
#include "dataplane/core/packet/byte_order.h"
#include "dataplane/core/packet/checksum.h"
#include "dataplane/core/packet/packet_parser.h"
#include "dataplane/core/testing/packet_builder.h"

namespace podswitch::core {
namespace {

using ::testing::ElementsAreArray;

constexpr char kLocalMac[] = "02:00:00:00:00:0a";
constexpr char kRemoteMac[] = "02:00:00:00:00:14";
constexpr char kLocalIp[] = "192.168.1.10";
constexpr char kRemoteIp[] = "192.168.1.20";
constexpr char kPodMac[] = "0a:58:0a:00:01:05";
constexpr char kGwMac[] = "0a:58:0a:00:01:01";

VxlanEndpoint Local() {
  return {.local_ip = *Ipv4FromString(kLocalIp), .local_mac = *MacFromString(kLocalMac)};
}

VxlanNextHop Remote() {
  return {.remote_ip = *Ipv4FromString(kRemoteIp), .next_hop_mac = *MacFromString(kRemoteMac)};
}

std::vector<uint8_t> TcpFrame(uint16_t sport = 40000, uint16_t flags = kTcpAck,
                              size_t payload = 10) {
  return PacketBuilder()
      .Eth(kPodMac, kGwMac)
      .Ipv4("10.0.1.5", "10.0.2.7")
      .Tcp(sport, 80, flags)
      .Payload(payload)
      .Build();
}

struct InnerCase {
  std::string name;
  std::vector<uint8_t> frame;
};

std::vector<InnerCase> InnerFrames() {
  return {
      {"tcp64", TcpFrame()},
      {"udp", PacketBuilder()
                  .Eth(kPodMac, kGwMac)
                  .Ipv4("10.0.1.5", "10.0.2.7")
                  .Udp(5353, 53)
                  .Payload(100)
                  .Build()},
      {"vlan_tcp", PacketBuilder()
                       .Eth(kPodMac, kGwMac)
                       .Vlan(10)
                       .Ipv4("10.0.1.5", "10.0.2.7")
                       .Tcp(1, 2)
                       .Build()},
      {"ipv6_tcp",
       PacketBuilder().Eth(kPodMac, kGwMac).Ipv6("fd00::5", "fd00::7").Tcp(1, 2).Build()},
      {"arp", PacketBuilder()
                  .Eth(kPodMac, "ff:ff:ff:ff:ff:ff")
                  .Arp(1, kPodMac, "10.0.1.5", "00:00:00:00:00:00", "10.0.1.1")
                  .Build()},
      {"jumbo", TcpFrame(40000, kTcpAck, 8000)},
  };
}

struct EndpointCase {
  std::string name;
  VxlanEndpoint local;
  uint32_t vni;
};

std::vector<EndpointCase> Endpoints() {
  VxlanEndpoint no_df = Local();
  no_df.dont_fragment = false;
  no_df.ttl = 5;
  VxlanEndpoint flannel_port = Local();
  flannel_port.dst_port = 8472;
  return {{"default", Local(), 1}, {"no_df_ttl5", no_df, 42}, {"port8472", flannel_port, 0xffffff}};
}

// The outer headers: what a Linux VTEP checks before it strips them.
TEST(VxlanEncapTest, WritesStandardOuterHeaders) {
  for (const EndpointCase& ep : Endpoints()) {
    for (const InnerCase& inner : InnerFrames()) {
      SCOPED_TRACE(absl::StrCat(ep.name, "/", inner.name));
      TestPacket pkt(inner.frame, 128);
      ASSERT_TRUE(EncapVxlan(pkt.buffer(), ep.local, Remote(), ep.vni));
      const std::vector<uint8_t> out = pkt.Bytes();
      EXPECT_EQ(pkt.buffer().headroom, 128 - kVxlanEncapLen);
      ASSERT_EQ(out.size(), inner.frame.size() + kVxlanEncapLen);

      const ParsedPacket parsed = ParsePacketHeaders(out, 0);
      const FlowKey& key = parsed.key;
      EXPECT_EQ(key.pkt_err, 0);
      EXPECT_EQ(key.dl_src, *MacFromString(kLocalMac));
      EXPECT_EQ(key.dl_dst, *MacFromString(kRemoteMac));
      EXPECT_EQ(key.dl_type, kEthTypeIpv4);
      EXPECT_EQ(key.nw_proto, kIpProtoUdp);
      EXPECT_EQ(key.nw_src, *Ipv4FromString(kLocalIp));
      EXPECT_EQ(key.nw_dst, *Ipv4FromString(kRemoteIp));
      EXPECT_EQ(key.nw_ttl, ep.local.ttl);
      EXPECT_EQ(key.nw_frag, 0);
      EXPECT_EQ(key.tp_dst, ep.local.dst_port);
      EXPECT_GE(key.tp_src, kVxlanSourcePortMin);
      EXPECT_EQ(key.tp_src, VxlanSourcePort(inner.frame));

      const uint8_t* ip = out.data() + kEthHeaderLen;
      EXPECT_EQ((ReadBe16(ip + 6) & kIpv4DontFragment) != 0, ep.local.dont_fragment);
      EXPECT_EQ(ReadBe16(ip + 2), inner.frame.size() + 36);
      EXPECT_EQ(InternetChecksum({ip, kIpv4MinHeaderLen}), 0) << "IPv4 header checksum";
      const uint8_t* udp = ip + kIpv4MinHeaderLen;
      EXPECT_EQ(ReadBe16(udp + 4), inner.frame.size() + 16);
      EXPECT_EQ(ReadBe16(udp + 6), 0) << "UDP checksum 0, as Linux sends over IPv4";
      EXPECT_EQ(ReadBe32(udp + 8), 0x08000000u) << "flags I, reserved 0";

      const auto vxlan = FindVxlan(out, ep.local.dst_port);
      ASSERT_TRUE(vxlan.has_value());
      EXPECT_EQ(vxlan->vni, ep.vni);
      EXPECT_EQ(vxlan->inner_offset, kVxlanEncapLen);
      EXPECT_EQ(vxlan->inner_size, inner.frame.size());
      EXPECT_THAT(std::vector<uint8_t>(out.begin() + kVxlanEncapLen, out.end()),
                  ElementsAreArray(inner.frame));
    }
  }
}

TEST(VxlanEncapTest, IdIsZeroWithDontFragmentAndVariesWithout) {
  VxlanEndpoint local = Local();
  TestPacket a(TcpFrame()), b(TcpFrame());
  ASSERT_TRUE(EncapVxlan(a.buffer(), local, Remote(), 1));
  EXPECT_EQ(ReadBe16(a.buffer().data + kEthHeaderLen + 4), 0);
  local.dont_fragment = false;
  TestPacket c(TcpFrame());
  ASSERT_TRUE(EncapVxlan(b.buffer(), local, Remote(), 1));
  ASSERT_TRUE(EncapVxlan(c.buffer(), local, Remote(), 1));
  EXPECT_NE(ReadBe16(b.buffer().data + kEthHeaderLen + 4),
            ReadBe16(c.buffer().data + kEthHeaderLen + 4));
}

TEST(VxlanEncapTest, SendsOnlyTheLow24BitsOfTheVni) {
  TestPacket pkt(TcpFrame());
  ASSERT_TRUE(EncapVxlan(pkt.buffer(), Local(), Remote(), 0x1234567));
  EXPECT_EQ(FindVxlan(pkt.Bytes())->vni, 0x234567u);
}

TEST(VxlanEncapTest, ShortHeadroomFailsAndLeavesThePacketAlone) {
  const std::vector<uint8_t> inner = TcpFrame();
  TestPacket pkt(inner, kVxlanEncapLen - 1);
  uint8_t* data = pkt.buffer().data;
  EXPECT_FALSE(EncapVxlan(pkt.buffer(), Local(), Remote(), 7));
  EXPECT_EQ(pkt.buffer().data, data);
  EXPECT_EQ(pkt.buffer().headroom, kVxlanEncapLen - 1);
  EXPECT_THAT(pkt.Bytes(), ElementsAreArray(inner));

  TestPacket exact(inner, kVxlanEncapLen);
  EXPECT_TRUE(EncapVxlan(exact.buffer(), Local(), Remote(), 7));
  EXPECT_EQ(exact.buffer().headroom, 0u);
}

TEST(VxlanEncapTest, RefusesAnInnerFrameTooLargeForIpv4) {
  std::vector<uint8_t> inner(65500, 0);
  TestPacket pkt(inner);
  EXPECT_FALSE(EncapVxlan(pkt.buffer(), Local(), Remote(), 7));
  EXPECT_EQ(pkt.buffer().size, inner.size());
}

TEST(VxlanSourcePortTest, StableForOneFlowWhateverThePacket) {
  const uint16_t port = VxlanSourcePort(TcpFrame(40000, kTcpSyn, 0));
  EXPECT_GE(port, kVxlanSourcePortMin);
  EXPECT_EQ(VxlanSourcePort(TcpFrame(40000, kTcpAck, 1000)), port);
  EXPECT_EQ(VxlanSourcePort(TcpFrame(40000, kTcpFin | kTcpAck, 3)), port);
  const auto with_ttl = PacketBuilder()
                            .Eth(kPodMac, kGwMac)
                            .Ipv4("10.0.1.5", "10.0.2.7", {.ttl = 3, .tos = 0x10, .id = 99})
                            .Tcp(40000, 80)
                            .Build();
  EXPECT_EQ(VxlanSourcePort(with_ttl), port);
}

TEST(VxlanSourcePortTest, FragmentsOfOneDatagramShareAPort) {
  auto fragment = [](uint16_t offset, bool more) {
    return PacketBuilder()
        .Eth(kPodMac, kGwMac)
        .Ipv4("10.0.1.5", "10.0.2.7", {.id = 7, .frag_offset = offset, .more_fragments = more})
        .Udp(1000, 2000)
        .Payload(64)
        .Build();
  };
  EXPECT_EQ(VxlanSourcePort(fragment(0, true)), VxlanSourcePort(fragment(100, false)));
}

TEST(VxlanSourcePortTest, SpreadsFlowsOverTheRange) {
  struct Variation {
    std::string name;
    std::function<std::vector<uint8_t>(int)> frame;
  };
  const std::vector<Variation> variations = {
      {"tcp_sport", [](int i) { return TcpFrame(static_cast<uint16_t>(30000 + i)); }},
      {"ipv4_src",
       [](int i) {
         return PacketBuilder()
             .Eth(kPodMac, kGwMac)
             .Ipv4(absl::StrCat("10.0.", i / 250, ".", i % 250 + 1), "10.0.2.7")
             .Udp(53, 53)
             .Build();
       }},
      {"ipv6_dport",
       [](int i) {
         return PacketBuilder()
             .Eth(kPodMac, kGwMac)
             .Ipv6("fd00::5", "fd00::7")
             .Tcp(1000, static_cast<uint16_t>(i + 1))
             .Build();
       }},
      {"l2_src",
       [](int i) {
         return PacketBuilder()
             .Eth(absl::StrCat("02:00:00:00:00:", absl::Hex(i, absl::kZeroPad2)), kGwMac, 0x88b5)
             .Payload(46)
             .Build();
       }},
  };
  for (const Variation& v : variations) {
    SCOPED_TRACE(v.name);
    std::set<uint16_t> ports;
    for (int i = 0; i < 100; ++i) {
      const uint16_t port = VxlanSourcePort(v.frame(i));
      EXPECT_GE(port, kVxlanSourcePortMin);
      EXPECT_LE(port, kVxlanSourcePortMax);
      ports.insert(port);
    }
    // 100 draws from 16384 ports collide ~0.3 times on average.
    EXPECT_GE(ports.size(), 95u);
  }
}

TEST(VxlanSourcePortTest, SurvivesAnyTruncation) {
  const std::vector<uint8_t> frame = TcpFrame();
  for (size_t n = 0; n <= frame.size(); ++n) {
    const std::vector<uint8_t> prefix(frame.begin(), frame.begin() + n);
    EXPECT_GE(VxlanSourcePort(prefix), kVxlanSourcePortMin);
  }
}

std::vector<uint8_t> VxlanFrame(uint32_t vni, const std::vector<uint8_t>& inner, Ipv4Fields ip = {},
                                uint16_t dport = kVxlanUdpPort, std::string_view dst = kLocalIp) {
  return PacketBuilder()
      .Eth(kRemoteMac, kLocalMac)
      .Ipv4(kRemoteIp, dst, std::move(ip))
      .Udp(50000, dport)
      .Vxlan(vni, inner)
      .Build();
}

TEST(VxlanDecapTest, StripsABuilderFrame) {
  const std::vector<uint8_t> inner = TcpFrame();
  TestPacket pkt(VxlanFrame(42, inner), 0);
  const auto decap = DecapVxlan(pkt.buffer(), Local());
  ASSERT_TRUE(decap.has_value());
  EXPECT_EQ(decap->vni, 42u);
  EXPECT_EQ(decap->outer_src, *Ipv4FromString(kRemoteIp));
  EXPECT_EQ(decap->outer_dst, *Ipv4FromString(kLocalIp));
  EXPECT_THAT(pkt.Bytes(), ElementsAreArray(inner));
  EXPECT_EQ(pkt.buffer().headroom, kVxlanEncapLen) << "the outer headers became headroom";
}

TEST(VxlanDecapTest, AcceptsOuterIpOptionsAndDropsPadding) {
  const std::vector<uint8_t> inner = TcpFrame();
  std::vector<uint8_t> frame = VxlanFrame(9, inner, {.options = {1, 1, 1, 1, 1, 1, 1, 1}});
  frame.insert(frame.end(), {0xde, 0xad, 0xbe, 0xef});  // Ethernet trailer
  TestPacket pkt(frame);
  const VxlanDecapResult result = DecapVxlanWithReason(pkt.buffer(), Local());
  ASSERT_EQ(result.error, VxlanDecapError::kNone) << VxlanDecapErrorName(result.error);
  EXPECT_EQ(result.decap.vni, 9u);
  EXPECT_THAT(pkt.Bytes(), ElementsAreArray(inner));
}

TEST(VxlanDecapTest, RoundTripsWhatEncapBuilt) {
  for (const EndpointCase& ep : Endpoints()) {
    for (const InnerCase& inner : InnerFrames()) {
      SCOPED_TRACE(absl::StrCat(ep.name, "/", inner.name));
      TestPacket pkt(inner.frame);
      ASSERT_TRUE(EncapVxlan(pkt.buffer(), ep.local, Remote(), ep.vni));
      // The receiving node's endpoint is the remote of the sender.
      VxlanEndpoint receiver = ep.local;
      receiver.local_ip = Remote().remote_ip;
      const auto decap = DecapVxlan(pkt.buffer(), receiver);
      ASSERT_TRUE(decap.has_value());
      EXPECT_EQ(decap->vni, ep.vni);
      EXPECT_EQ(decap->outer_src, ep.local.local_ip);
      EXPECT_EQ(decap->outer_dst, receiver.local_ip);
      EXPECT_THAT(pkt.Bytes(), ElementsAreArray(inner.frame));
      EXPECT_EQ(pkt.buffer().headroom, 64u);
    }
  }
}

TEST(VxlanDecapTest, RejectsEveryTruncationWithoutReadingPastTheEnd) {
  const std::vector<uint8_t> frame = VxlanFrame(42, TcpFrame());
  for (size_t n = 0; n < frame.size(); ++n) {
    SCOPED_TRACE(n);
    // TestPacket holds exactly `n` bytes after the headroom: ASan sees any overread.
    const std::vector<uint8_t> prefix(frame.begin(), frame.begin() + n);
    TestPacket pkt(prefix, 0);
    const VxlanDecapResult result = DecapVxlanWithReason(pkt.buffer(), Local());
    EXPECT_NE(result.error, VxlanDecapError::kNone);
    EXPECT_EQ(pkt.buffer().size, n);
    EXPECT_EQ(pkt.buffer().headroom, 0u);
  }
}

void FixIpChecksum(std::vector<uint8_t>& frame) {
  uint8_t* ip = frame.data() + kEthHeaderLen;
  WriteBe16(ip + 10, 0);
  WriteBe16(ip + 10, InternetChecksum({ip, size_t{ip[0] & 0x0fu} * 4}));
}

TEST(VxlanDecapTest, RejectsWhatIsNotVxlanForUs) {
  using E = VxlanDecapError;
  const std::vector<uint8_t> inner = TcpFrame();
  const std::vector<uint8_t> good = VxlanFrame(42, inner);
  auto edited = [&](std::function<void(std::vector<uint8_t>&)> edit) {
    std::vector<uint8_t> frame = good;
    edit(frame);
    FixIpChecksum(frame);
    return frame;
  };
  constexpr size_t kIp = kEthHeaderLen, kUdp = kIp + 20, kVx = kUdp + 8;
  struct Case {
    std::string name;
    std::vector<uint8_t> frame;
    E error;
  };
  const std::vector<Case> cases = {
      {"wrong_port", VxlanFrame(42, inner, {}, 4790), E::kNotVxlanPort},
      {"wrong_dst_ip", VxlanFrame(42, inner, {}, kVxlanUdpPort, "192.168.1.11"), E::kNotLocalIp},
      {"no_i_flag", edited([](auto& f) { f[kVx] = 0x00; }), E::kNoVniFlag},
      {"other_flags_only", edited([](auto& f) { f[kVx] = 0x80; }), E::kNoVniFlag},
      {"tcp",
       PacketBuilder().Eth(kRemoteMac, kLocalMac).Ipv4(kRemoteIp, kLocalIp).Tcp(1, 4789).Build(),
       E::kNotUdp},
      {"ipv6",
       PacketBuilder()
           .Eth(kRemoteMac, kLocalMac)
           .Ipv6("fd00::1", "fd00::2")
           .Udp(1, 4789)
           .Vxlan(42, inner)
           .Build(),
       E::kNotIpv4},
      {"arp",
       PacketBuilder()
           .Eth(kRemoteMac, kLocalMac)
           .Arp(1, kRemoteMac, kRemoteIp, kLocalMac, kLocalIp)
           .Build(),
       E::kNotIpv4},
      {"more_fragments", VxlanFrame(42, inner, {.more_fragments = true}), E::kFragment},
      {"later_fragment", VxlanFrame(42, inner, {.frag_offset = 10}), E::kFragment},
      {"bad_checksum",
       [&] {
         auto f = good;
         f[kIp + 10] ^= 0xff;
         return f;
       }(),
       E::kBadIpChecksum},
      {"ihl_4", edited([](auto& f) { f[kIp] = 0x44; }), E::kBadIpHeader},
      {"version_6", edited([](auto& f) { f[kIp] = 0x65; }), E::kBadIpHeader},
      {"total_len_below_ihl", edited([](auto& f) { WriteBe16(&f[kIp + 2], 19); }), E::kBadIpHeader},
      {"total_len_beyond_frame",
       edited([](auto& f) { WriteBe16(&f[kIp + 2], static_cast<uint16_t>(f.size())); }),
       E::kTruncated},
      {"udp_len_beyond_datagram",
       edited([](auto& f) { WriteBe16(&f[kUdp + 4], static_cast<uint16_t>(f.size())); }),
       E::kBadUdpLength},
      {"udp_len_without_inner_eth", edited([](auto& f) { WriteBe16(&f[kUdp + 4], 29); }),
       E::kBadUdpLength},
      {"udp_len_zero", edited([](auto& f) { WriteBe16(&f[kUdp + 4], 0); }), E::kBadUdpLength},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TestPacket pkt(c.frame);
    const VxlanDecapResult result = DecapVxlanWithReason(pkt.buffer(), Local());
    EXPECT_EQ(result.error, c.error) << VxlanDecapErrorName(result.error);
    EXPECT_THAT(pkt.Bytes(), ElementsAreArray(c.frame)) << "untouched";
    EXPECT_FALSE(DecapVxlan(pkt.buffer(), Local()).has_value());
  }
  // The unchanged frame passes, so each case above fails for its own reason only.
  TestPacket pkt(edited([](auto&) {}));
  EXPECT_EQ(DecapVxlanWithReason(pkt.buffer(), Local()).error, E::kNone);
}

TEST(VxlanDecapTest, EveryReasonHasAName) {
  for (int e = 0; e <= static_cast<int>(VxlanDecapError::kNoVniFlag); ++e) {
    EXPECT_NE(VxlanDecapErrorName(static_cast<VxlanDecapError>(e)), "unknown");
  }
}

}  // namespace
}  // namespace podswitch::core
