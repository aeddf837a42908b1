#include "dataplane/core/datapath/dp_executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "dataplane/core/packet/addr.h"
#include "dataplane/core/packet/byte_order.h"
#include "dataplane/core/packet/checksum.h"
#include "dataplane/core/packet/packet_parser.h"
#include "dataplane/core/packet/protocols.h"
#include "dataplane/core/testing/packet_builder.h"

namespace podswitch::core {
namespace {

using ::testing::ElementsAre;

constexpr char kMac1[] = "00:00:00:00:00:01";
constexpr char kMac2[] = "00:00:00:00:00:02";

struct Sent {
  uint32_t port;
  std::vector<uint8_t> bytes;
  TunnelMetadata tunnel;
  bool last;
};

// Records everything the executor hands out.
class RecordingSink : public DpSink {
 public:
  void Output(uint32_t port, PacketBuffer& pkt, const TunnelMetadata& tunnel, bool last) override {
    sent.push_back({port, {pkt.data, pkt.data + pkt.size}, tunnel, last});
  }
  void Punt(uint16_t reason, uint32_t id, const PacketBuffer& pkt) override {
    punted.push_back({reason, {pkt.data, pkt.data + pkt.size}, {.tun_id = id}, false});
  }
  bool Meter(uint32_t meter_id, uint32_t bytes) override {
    metered.push_back({meter_id, bytes});
    return meter_allows;
  }
  void Learn(const DpAction& learn) override { learned.push_back(learn); }

  std::vector<Sent> sent;
  std::vector<Sent> punted;
  std::vector<std::pair<uint32_t, uint32_t>> metered;
  std::vector<DpAction> learned;
  bool meter_allows = true;
};

std::vector<Sent> Execute(const std::vector<uint8_t>& frame, const DpActions& actions,
                          uint32_t headroom = 64) {
  TestPacket pkt(frame, headroom);
  RecordingSink sink;
  ExecuteDpActions(pkt.buffer(), actions, sink);
  return sink.sent;
}

DpAction Output(uint32_t port) { return {.type = DpActionType::kOutput, .u32 = port}; }
DpAction U16(DpActionType type, uint16_t v) { return {.type = type, .u16 = v}; }
DpAction U32(DpActionType type, uint32_t v) { return {.type = type, .u32 = v}; }
DpAction SetMac(DpActionType type, const char* mac) {
  return {.type = type, .mac = *MacFromString(mac)};
}
uint32_t Ip4(const char* s) { return *Ipv4FromString(s); }

// Recomputes every checksum of `frame` from scratch: each must verify.
void ExpectChecksumsVerify(const std::vector<uint8_t>& frame) {
  ParsedPacket p = ParsePacketHeaders(frame, 0);
  ASSERT_EQ(p.key.pkt_err, 0);
  if (p.l3_offset == kNoHeader) return;
  const uint8_t* ip = &frame[p.l3_offset];
  uint32_t pseudo = 0;
  uint32_t l4_len = p.l3_end - p.l4_offset;
  bool v4 = p.key.dl_type == kEthTypeIpv4;
  if (v4) {
    EXPECT_EQ(InternetChecksum({ip, size_t{ip[0] & 0x0fu} * 4}), 0) << "IPv4 header";
    pseudo = Ipv4PseudoHeaderSum(p.key.nw_src, p.key.nw_dst, p.key.nw_proto, l4_len);
  } else if (p.key.dl_type == kEthTypeIpv6) {
    pseudo = Ipv6PseudoHeaderSum(p.key.ipv6_src, p.key.ipv6_dst, p.key.nw_proto, l4_len);
  } else {
    return;
  }
  if (p.l4_offset == kNoHeader || p.key.nw_frag) return;
  std::span<const uint8_t> l4(&frame[p.l4_offset], l4_len);
  if (p.key.nw_proto == kIpProtoUdp && ReadBe16(&l4[6]) == 0) return;  // no checksum
  if (p.key.nw_proto == kIpProtoIcmp) pseudo = 0;
  EXPECT_EQ(ChecksumFinish(ChecksumAdd(l4, pseudo)), 0) << "L4 proto " << int{p.key.nw_proto};
}

PacketBuilder Eth() { return std::move(PacketBuilder().Eth(kMac1, kMac2)); }

struct RewriteCase {
  std::string name;
  std::vector<uint8_t> frame;
  DpActions actions;                     // followed by output:1
  std::function<void(FlowKey&)> expect;  // applied to the input's key
};

std::vector<RewriteCase> RewriteCases() {
  auto tcp4 =
      Eth().Ipv4("10.0.0.1", "10.0.0.2", {.tos = 0x01}).Tcp(1234, 80, kTcpSyn).Payload(9).Build();
  auto udp4 = Eth().Vlan(7).Ipv4("10.0.0.1", "10.0.0.2").Udp(5000, 53).Payload(11).Build();
  auto icmp4 = Eth().Ipv4("10.0.0.1", "10.0.0.2").Icmp(8, 0, 77).Payload(5).Build();
  auto tcp6 = Eth()
                  .Ipv6("2001:db8::1", "2001:db8::2", {.traffic_class = 0x02, .flow_label = 9})
                  .Ipv6HopByHop()
                  .Tcp(1, 2)
                  .Build();
  auto udp6 = Eth().Ipv6("2001:db8::1", "2001:db8::2").Udp(1, 2).Payload(3).Build();
  auto arp = Eth().Arp(1, kMac1, "10.0.0.1", kMac2, "10.0.0.2").Build();
  auto qinq =
      Eth().Vlan(100, 0, kEthTypeQinQ).Vlan(200).Ipv4("1.1.1.1", "2.2.2.2").Udp(1, 2).Build();
  using T = DpActionType;
  return {
      {"eth_src_dst",
       tcp4,
       {SetMac(T::kSetEthSrc, "aa:00:00:00:00:01"), SetMac(T::kSetEthDst, "bb:00:00:00:00:02")},
       [](FlowKey& k) {
         k.dl_src = *MacFromString("aa:00:00:00:00:01");
         k.dl_dst = *MacFromString("bb:00:00:00:00:02");
       }},
      {"ipv4_src_tcp",
       tcp4,
       {U32(T::kSetIpv4Src, Ip4("192.168.7.9"))},
       [](FlowKey& k) { k.nw_src = Ip4("192.168.7.9"); }},
      {"ipv4_dst_udp_tagged",
       udp4,
       {U32(T::kSetIpv4Dst, Ip4("8.8.8.8"))},
       [](FlowKey& k) { k.nw_dst = Ip4("8.8.8.8"); }},
      {"ipv4_both_icmp",
       icmp4,
       {U32(T::kSetIpv4Src, 0xffffffff), U32(T::kSetIpv4Dst, 0)},
       [](FlowKey& k) { k.nw_src = 0xffffffff, k.nw_dst = 0; }},
      {"ipv4_on_ipv6_is_skipped", tcp6, {U32(T::kSetIpv4Src, 1)}, [](FlowKey&) {}},
      {"ipv4_on_arp_is_skipped", arp, {U32(T::kSetIpv4Src, 1)}, [](FlowKey&) {}},
      {"tp_tcp",
       tcp4,
       {U16(T::kSetTpSrc, 4321), U16(T::kSetTpDst, 8080)},
       [](FlowKey& k) { k.tp_src = 4321, k.tp_dst = 8080; }},
      {"tp_udp",
       udp4,
       {U16(T::kSetTpSrc, 0), U16(T::kSetTpDst, 0xffff)},
       [](FlowKey& k) { k.tp_src = 0, k.tp_dst = 0xffff; }},
      {"tp_ipv6_tcp_ext_headers",
       tcp6,
       {U16(T::kSetTpDst, 443)},
       [](FlowKey& k) { k.tp_dst = 443; }},
      {"tp_ipv6_udp", udp6, {U16(T::kSetTpSrc, 99)}, [](FlowKey& k) { k.tp_src = 99; }},
      {"tp_on_icmp_is_skipped", icmp4, {U16(T::kSetTpSrc, 99)}, [](FlowKey&) {}},
      {"tos_ipv4_keeps_ecn", tcp4, {U16(T::kSetIpTos, 0xb8)}, [](FlowKey& k) { k.nw_tos = 0xb9; }},
      {"tos_ipv6_keeps_ecn_and_label",
       tcp6,
       {U16(T::kSetIpTos, 0xfe)},
       [](FlowKey& k) { k.nw_tos = 0xfe; }},
      {"ttl_ipv4", udp4, {U16(T::kSetTtl, 1)}, [](FlowKey& k) { k.nw_ttl = 1; }},
      {"ttl_ipv6", tcp6, {U16(T::kSetTtl, 255)}, [](FlowKey& k) { k.nw_ttl = 255; }},
      {"dec_ttl_ipv4",
       tcp4,
       {{.type = T::kDecTtl}, {.type = T::kDecTtl}},
       [](FlowKey& k) { k.nw_ttl = 62; }},
      {"dec_ttl_ipv6", udp6, {{.type = T::kDecTtl}}, [](FlowKey& k) { k.nw_ttl = 63; }},
      {"dec_ttl_arp_is_noop", arp, {{.type = T::kDecTtl}}, [](FlowKey&) {}},
      {"push_vlan",
       tcp4,
       {{.type = T::kPushVlan, .u16 = 0x3005 | kVlanPresent, .u32 = kEthTypeVlan}},
       [](FlowKey& k) {
         k.vlan_tci = 0x2005 | kVlanPresent, k.vlan_tpid = kEthTypeVlan, k.vlan_count = 1;
       }},
      {"push_vlan_then_rewrite_l3_l4",
       tcp4,
       {{.type = T::kPushVlan, .u16 = 9, .u32 = kEthTypeVlan},
        U32(T::kSetIpv4Dst, 5),
        U16(T::kSetTpDst, 5)},
       [](FlowKey& k) {
         k.vlan_tci = 9 | kVlanPresent, k.vlan_tpid = kEthTypeVlan, k.vlan_count = 1;
         k.nw_dst = 5, k.tp_dst = 5;
       }},
      {"push_s_tag_over_c_tag",
       udp4,
       {{.type = T::kPushVlan, .u16 = 300, .u32 = kEthTypeQinQ}},
       [](FlowKey& k) {
         k.vlan_tci_inner = k.vlan_tci, k.vlan_tci = 300 | kVlanPresent;
         k.vlan_tpid = kEthTypeQinQ, k.vlan_count = 2;
       }},
      {"pop_vlan",
       udp4,
       {U32(T::kSetIpv4Src, 3), {.type = T::kPopVlan}, U16(T::kSetTpDst, 3)},
       [](FlowKey& k) {
         k.vlan_tci = 0, k.vlan_tpid = 0, k.vlan_count = 0, k.nw_src = 3, k.tp_dst = 3;
       }},
      {"pop_outer_of_qinq",
       qinq,
       {{.type = T::kPopVlan}},
       [](FlowKey& k) {
         k.vlan_tci = k.vlan_tci_inner, k.vlan_tci_inner = 0;
         k.vlan_tpid = kEthTypeVlan, k.vlan_count = 1;
       }},
      {"pop_untagged_is_noop", tcp4, {{.type = T::kPopVlan}}, [](FlowKey&) {}},
      {"set_vlan_tci",
       qinq,
       {U16(T::kSetVlanTci, 0xe00f | kVlanPresent)},
       [](FlowKey& k) { k.vlan_tci = 0xe00f | kVlanPresent; }},
      {"set_vlan_tci_untagged_is_noop", tcp4, {U16(T::kSetVlanTci, 5)}, [](FlowKey&) {}},
  };
}

TEST(DpExecutorTest, RewritesFieldsAndKeepsChecksumsValid) {
  for (const RewriteCase& c : RewriteCases()) {
    SCOPED_TRACE(c.name);
    DpActions actions = c.actions;
    actions.push_back(Output(1));
    std::vector<Sent> sent = Execute(c.frame, actions);
    ASSERT_EQ(sent.size(), 1u);
    FlowKey want = ParsePacket(c.frame, 0);
    c.expect(want);
    FlowKey got = ParsePacket(sent[0].bytes, 0);
    EXPECT_TRUE(got == want);
    ExpectChecksumsVerify(sent[0].bytes);
  }
}

TEST(DpExecutorTest, IncrementalChecksumsEqualFullRecomputation) {
  auto before = Eth().Ipv4("10.0.0.1", "10.0.0.2").Tcp(1234, 80).Payload(3).Build();
  auto want = Eth().Ipv4("10.9.9.9", "10.0.0.2", {.ttl = 63}).Tcp(1234, 8080).Payload(3).Build();
  auto sent = Execute(before, {U32(DpActionType::kSetIpv4Src, Ip4("10.9.9.9")),
                               U16(DpActionType::kSetTpDst, 8080),
                               {.type = DpActionType::kDecTtl},
                               Output(1)});
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].bytes, want);
}

TEST(DpExecutorTest, UdpWithoutChecksumKeepsZero) {
  auto frame = Eth().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Payload(4).Build();
  WriteBe16(&frame[14 + 20 + 6], 0);
  auto sent = Execute(
      frame, {U32(DpActionType::kSetIpv4Src, 7), U16(DpActionType::kSetTpDst, 9), Output(1)});
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(ReadBe16(&sent[0].bytes[14 + 20 + 6]), 0);
  EXPECT_EQ(InternetChecksum({&sent[0].bytes[14], 20}), 0);
}

TEST(DpExecutorTest, LaterFragmentRewritesOnlyIp) {
  auto frame = Eth()
                   .Ipv4("10.0.0.1", "10.0.0.2", {.frag_offset = 4, .proto = kIpProtoUdp})
                   .Payload(16)
                   .Build();
  auto sent = Execute(
      frame, {U32(DpActionType::kSetIpv4Src, 7), U16(DpActionType::kSetTpDst, 9), Output(1)});
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(ReadBe32(&sent[0].bytes[26]), 7u);
  EXPECT_EQ(InternetChecksum({&sent[0].bytes[14], 20}), 0);
  EXPECT_TRUE(std::equal(frame.begin() + 34, frame.end(), sent[0].bytes.begin() + 34));
}

TEST(DpExecutorTest, DecTtlDropsExpiredPackets) {
  for (uint8_t ttl : {0, 1}) {
    auto v4 = Eth().Ipv4("10.0.0.1", "10.0.0.2", {.ttl = ttl}).Udp(1, 2).Build();
    EXPECT_TRUE(Execute(v4, {Output(1), {.type = DpActionType::kDecTtl}, Output(2)}).size() == 1);
    auto v6 = Eth().Ipv6("::1", "::2", {.hop_limit = ttl}).Udp(1, 2).Build();
    EXPECT_TRUE(Execute(v6, {{.type = DpActionType::kDecTtl}, Output(2)}).empty());
  }
}

TEST(DpExecutorTest, PushThenPopRestoresTheFrame) {
  auto frame = Eth().Vlan(3).Ipv6("::1", "::2").Tcp(1, 2).Payload(5).Build();
  DpActions actions = {{.type = DpActionType::kPushVlan, .u16 = 10, .u32 = kEthTypeQinQ},
                       Output(1),
                       {.type = DpActionType::kPopVlan},
                       Output(2),
                       {.type = DpActionType::kPopVlan},
                       {.type = DpActionType::kPushVlan, .u16 = 3, .u32 = kEthTypeVlan},
                       Output(3)};
  auto sent = Execute(frame, actions, 4);  // just enough headroom, reused after the pop
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].bytes.size(), frame.size() + 4);
  EXPECT_EQ(ReadBe16(&sent[0].bytes[12]), kEthTypeQinQ);
  EXPECT_EQ(sent[1].bytes, frame);
  EXPECT_EQ(sent[2].bytes, frame);
}

TEST(DpExecutorTest, RewritesBehindAThirdPushedTag) {
  auto qinq = Eth().Vlan(1, 0, kEthTypeQinQ).Vlan(2).Ipv4("1.1.1.1", "2.2.2.2").Udp(1, 2).Build();
  auto sent = Execute(qinq, {{.type = DpActionType::kPushVlan, .u16 = 3, .u32 = kEthTypeQinQ},
                             U32(DpActionType::kSetIpv4Dst, Ip4("9.9.9.9")),
                             Output(1),
                             {.type = DpActionType::kPopVlan},
                             Output(2)});
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(ReadBe32(&sent[0].bytes[14 + 3 * 4 + 16]), Ip4("9.9.9.9"));
  EXPECT_EQ(ParsePacket(sent[1].bytes, 0).nw_dst, Ip4("9.9.9.9"));
  EXPECT_EQ(ParsePacket(sent[1].bytes, 0).vlan_tci, 1 | kVlanPresent);
  ExpectChecksumsVerify(sent[1].bytes);
}

TEST(DpExecutorTest, PushWithoutHeadroomDrops) {
  auto frame = Eth().Ipv4("10.0.0.1", "10.0.0.2").Build();
  EXPECT_TRUE(Execute(frame, {{.type = DpActionType::kPushVlan, .u16 = 1}, Output(1)}, 3).empty());
}

TEST(DpExecutorTest, OutputsSeeTheModificationsBeforeThem) {
  auto frame = Eth().Vlan(5).Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build();
  using T = DpActionType;
  auto sent = Execute(frame, {Output(1),
                              U32(T::kSetIpv4Dst, Ip4("10.0.0.9")),
                              Output(2),
                              {.type = T::kPopVlan},
                              {.type = T::kSetTunnel, .u32 = 77, .u64 = 42},
                              Output(3),
                              {.type = T::kLearn, .u16 = 5, .u32 = 1}});
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].bytes, frame);
  EXPECT_EQ(ParsePacket(sent[1].bytes, 0).nw_dst, Ip4("10.0.0.9"));
  EXPECT_EQ(ParsePacket(sent[1].bytes, 0).vlan_count, 1);
  FlowKey third = ParsePacket(sent[2].bytes, 0);
  EXPECT_EQ(third.nw_dst, Ip4("10.0.0.9"));
  EXPECT_EQ(third.vlan_count, 0);
  EXPECT_THAT((std::vector<bool>{sent[0].last, sent[1].last, sent[2].last}),
              ElementsAre(false, false, true));  // set_tunnel and learn leave the packet alone
  EXPECT_EQ(sent[0].tunnel.tun_id, 0u);
  EXPECT_EQ(sent[1].tunnel.tun_id, 0u);
  EXPECT_EQ(sent[2].tunnel.tun_id, 42u);
  EXPECT_EQ(sent[2].tunnel.tun_dst, 77u);
  for (const Sent& s : sent) ExpectChecksumsVerify(s.bytes);
}

TEST(DpExecutorTest, LastFlagConsidersEveryLaterUseOfThePacket) {
  auto frame = Eth().Ipv4("10.0.0.1", "10.0.0.2").Build();
  using T = DpActionType;
  struct Case {
    DpActions actions;
    bool last;
  };
  for (const Case& c : std::vector<Case>{
           {{Output(1)}, true},
           {{Output(1), {.type = T::kController, .u16 = 1}}, false},
           {{Output(1), {.type = T::kMeter, .u32 = 1}}, false},
           {{Output(1), {.type = T::kSetTtl, .u16 = 3}}, false},
           {{Output(1), {.type = T::kSetTunnel, .u64 = 1}, {.type = T::kLearn}}, true},
       }) {
    auto sent = Execute(frame, c.actions);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].last, c.last) << c.actions.size();
  }
}

TEST(DpExecutorTest, ControllerMeterAndLearnReachTheSink) {
  auto frame = Eth().Ipv4("10.0.0.1", "10.0.0.2").Build();
  using T = DpActionType;
  DpAction learn{.type = T::kLearn, .u16 = 10, .u32 = 3, .mac = *MacFromString(kMac1)};
  DpActions actions = {U16(T::kSetTtl, 9),
                       {.type = T::kController, .u16 = 2, .u32 = 99},
                       learn,
                       U32(T::kMeter, 5),
                       Output(1)};
  for (bool allow : {true, false}) {
    TestPacket pkt(frame);
    RecordingSink sink;
    sink.meter_allows = allow;
    ExecuteDpActions(pkt.buffer(), actions, sink);
    ASSERT_EQ(sink.punted.size(), 1u);
    EXPECT_EQ(sink.punted[0].port, 2u);            // reason
    EXPECT_EQ(sink.punted[0].tunnel.tun_id, 99u);  // id
    EXPECT_EQ(ParsePacket(sink.punted[0].bytes, 0).nw_ttl, 9);
    EXPECT_THAT(sink.learned, ElementsAre(learn));
    EXPECT_THAT(sink.metered, ElementsAre(std::pair<uint32_t, uint32_t>(5, frame.size())));
    EXPECT_EQ(sink.sent.size(), allow ? 1u : 0u);
  }
}

// Rewrites of a packet cut anywhere must stay inside it (the sanitizer build checks).
TEST(DpExecutorTest, TruncatedPacketsAreRewrittenSafely) {
  using T = DpActionType;
  DpActions all = {SetMac(T::kSetEthSrc, kMac2),
                   U32(T::kSetIpv4Src, 1),
                   U32(T::kSetIpv4Dst, 2),
                   U16(T::kSetTpSrc, 3),
                   U16(T::kSetTpDst, 4),
                   U16(T::kSetIpTos, 0xfc),
                   U16(T::kSetTtl, 5),
                   {.type = T::kDecTtl},
                   U16(T::kSetVlanTci, 6),
                   {.type = T::kPopVlan},
                   {.type = T::kPushVlan, .u16 = 7},
                   Output(1)};
  std::vector<std::vector<uint8_t>> frames = {
      Eth().Vlan(1).Ipv4("10.0.0.1", "10.0.0.2", {.options = {1, 1, 1, 1}}).Tcp(1, 2).Build(),
      Eth().Ipv6("::1", "::2").Ipv6DestOpts().Udp(1, 2).Build(),
  };
  for (const auto& frame : frames) {
    for (size_t len = 0; len <= frame.size(); ++len) {
      std::vector<uint8_t> cut(frame.begin(), frame.begin() + static_cast<long>(len));
      std::vector<uint8_t> storage(4 + len);  // exact size: any overrun is caught
      std::copy(cut.begin(), cut.end(), storage.begin() + 4);
      PacketBuffer pkt{storage.data() + 4, static_cast<uint32_t>(len), 4};
      RecordingSink sink;
      ExecuteDpActions(pkt, all, sink);
      for (const Sent& s : sink.sent) {
        EXPECT_GE(s.bytes.size(), len) << len;  // push may add 4 bytes; nothing shrinks it more
      }
    }
  }
}

}  // namespace
}  // namespace podswitch::core
