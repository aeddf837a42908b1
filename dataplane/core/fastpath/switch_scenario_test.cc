// Scenario tests of a bridge: flows in ovs-ofctl syntax, frames from the PacketBuilder, and
// what leaves which port, through the same fast path (caches included) podswitchd runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dataplane/core/fastpath/switch_harness.h"
#include "dataplane/core/packet/addr.h"

namespace podswitch::core {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kMac1[] = "00:00:00:00:00:01";
constexpr char kMac2[] = "00:00:00:00:00:02";
constexpr char kMac3[] = "00:00:00:00:00:03";
constexpr char kBroadcast[] = "ff:ff:ff:ff:ff:ff";

std::vector<uint8_t> Ping(const char* src_mac, const char* dst_mac, const char* src_ip,
                          const char* dst_ip, Ipv4Fields fields = {}) {
  return PacketBuilder()
      .Eth(src_mac, dst_mac)
      .Ipv4(src_ip, dst_ip, fields)
      .Icmp(8, 0)
      .Payload(16)
      .Build();
}

std::vector<uint8_t> TcpSyn(const char* src_ip, const char* dst_ip, uint16_t dport) {
  return PacketBuilder().Eth(kMac1, kMac2).Ipv4(src_ip, dst_ip).Tcp(40000, dport, kTcpSyn).Build();
}

TEST(SwitchScenarioTest, HighestPriorityFlowWins) {
  SwitchHarness sw;
  sw.AddFlow("priority=0,actions=output:2");
  sw.AddFlow("priority=100,icmp,actions=drop");
  EXPECT_THAT(sw.Send(1, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2")), IsEmpty());
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, TcpSyn("10.0.0.1", "10.0.0.2", 80))), ElementsAre(2));
}

TEST(SwitchScenarioTest, TunnelMetadataOfDecapsulatedPacketsIsMatchedAndCachedApart) {
  SwitchHarness sw;
  sw.AddFlow("priority=10,tun_id=5,actions=output:2");
  sw.AddFlow("priority=10,tun_id=6,tun_src=192.0.2.1,actions=output:3");
  sw.AddFlow("priority=0,actions=drop");
  std::vector<uint8_t> frame = Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2");
  TunnelIngress vni5[1] = {{.tun_id = 5, .tun_src = 0xc0000201, .tun_dst = 0xc0000202}};
  TunnelIngress vni6[1] = {{.tun_id = 6, .tun_src = 0xc0000201, .tun_dst = 0xc0000202}};
  TunnelIngress vni6_other_vtep[1] = {{.tun_id = 6, .tun_src = 0xc0000209}};
  // Twice each: the second packet of each comes from the caches, which must keep them apart.
  for (int round = 0; round < 2; ++round) {
    EXPECT_THAT(SwitchHarness::Ports(sw.SendFromTunnel(9, frame, vni5)), ElementsAre(2));
    EXPECT_THAT(SwitchHarness::Ports(sw.SendFromTunnel(9, frame, vni6)), ElementsAre(3));
    EXPECT_THAT(sw.SendFromTunnel(9, frame, vni6_other_vtep), IsEmpty());
    EXPECT_THAT(sw.Send(9, frame), IsEmpty());
  }
}

TEST(SwitchScenarioTest, SetTunnelFieldsReachTheTunnelOutput) {
  SwitchHarness sw;
  sw.AddFlow(
      "ip,nw_dst=10.244.2.0/24,actions=set_field:192.0.2.7->tun_dst,"
      "set_field:0x1->tun_id,output:4");
  std::vector<SentFrame> sent = sw.Send(1, Ping(kMac1, kMac2, "10.244.1.5", "10.244.2.9"));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].port, 4u);
  EXPECT_EQ(sent[0].tunnel.tun_dst, 0xc0000207u);
  EXPECT_EQ(sent[0].tunnel.tun_id, 1u);
}

TEST(SwitchScenarioTest, TableMissDrops) {
  SwitchHarness sw;
  sw.AddFlow("table=1,actions=output:2");
  EXPECT_THAT(sw.Send(1, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2")), IsEmpty());
}

TEST(SwitchScenarioTest, GotoTableAndResubmitWalkLaterTables) {
  SwitchHarness sw;
  sw.AddFlow("table=0,priority=10,ip,actions=goto_table:5");
  sw.AddFlow("table=5,priority=10,ip,nw_dst=10.0.0.2,actions=resubmit(,7),output:3");
  sw.AddFlow("table=7,actions=output:4");
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2"))),
              ElementsAre(4, 3));
}

TEST(SwitchScenarioTest, ResubmitLoopIsBoundedAndDrops) {
  SwitchHarness sw;
  sw.AddFlow("table=0,actions=output:2,resubmit(,0)");
  EXPECT_THAT(sw.Send(1, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2")), IsEmpty());
}

TEST(SwitchScenarioTest, OutputToInPortIsSkippedButInPortActionSends) {
  SwitchHarness sw;
  sw.AddFlow("priority=10,in_port=1,actions=output:1,output:2");
  sw.AddFlow("priority=10,in_port=3,actions=in_port");
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2"))),
              ElementsAre(2));
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(3, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2"))),
              ElementsAre(3));
}

TEST(SwitchScenarioTest, FloodAndAllSkipTheInputPort) {
  SwitchHarness sw;
  for (uint32_t port : {1, 2, 3}) sw.AddPort(port);
  sw.AddFlow("actions=flood");
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(2, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2"))),
              ElementsAre(1, 3));
}

TEST(SwitchScenarioTest, ConjunctionMatchesOnlyWhenEveryClauseMatches) {
  SwitchHarness sw;
  // Allow {10.0.0.1, 10.0.0.3} -> tcp ports {80, 443}; everything else goes to port 9.
  sw.AddFlow("priority=100,ip,nw_src=10.0.0.1,actions=conjunction(7,1/2)");
  sw.AddFlow("priority=100,ip,nw_src=10.0.0.3,actions=conjunction(7,1/2)");
  sw.AddFlow("priority=100,tcp,tp_dst=80,actions=conjunction(7,2/2)");
  sw.AddFlow("priority=100,tcp,tp_dst=443,actions=conjunction(7,2/2)");
  sw.AddFlow("priority=100,conj_id=7,ip,actions=output:5");
  sw.AddFlow("priority=1,actions=output:9");
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, TcpSyn("10.0.0.1", "10.0.0.2", 80))), ElementsAre(5));
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, TcpSyn("10.0.0.3", "10.0.0.2", 443))),
              ElementsAre(5));
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, TcpSyn("10.0.0.1", "10.0.0.2", 22))), ElementsAre(9));
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, TcpSyn("10.0.0.2", "10.0.0.2", 80))), ElementsAre(9));
}

TEST(SwitchScenarioTest, RewritesKeepChecksumsValid) {
  SwitchHarness sw;
  sw.AddFlow(
      "tcp,actions=mod_dl_src:02:00:00:00:00:aa,mod_nw_dst:192.168.7.7,mod_tp_dst:8080,"
      "output:2");
  auto sent = sw.Send(1, TcpSyn("10.0.0.1", "10.0.0.2", 80));
  ASSERT_EQ(sent.size(), 1u);
  FlowKey out = sent[0].key();
  EXPECT_EQ(out.dl_src, *MacFromString("02:00:00:00:00:aa"));
  EXPECT_EQ(out.nw_dst, *Ipv4FromString("192.168.7.7"));
  EXPECT_EQ(out.tp_dst, 8080);
  // A frame built from scratch with the new values has the same bytes (so the same sums).
  auto expected = PacketBuilder()
                      .Eth("02:00:00:00:00:aa", kMac2)
                      .Ipv4("10.0.0.1", "192.168.7.7")
                      .Tcp(40000, 8080, kTcpSyn)
                      .Build();
  EXPECT_EQ(sent[0].bytes, expected);
}

TEST(SwitchScenarioTest, DecTtlForwardsOrDropsExpiredPackets) {
  SwitchHarness sw;
  sw.AddFlow("ip,actions=dec_ttl,output:2");
  auto sent = sw.Send(1, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2", {.ttl = 64}));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].key().nw_ttl, 63);
  EXPECT_THAT(sw.Send(1, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2", {.ttl = 1})), IsEmpty());
}

TEST(SwitchScenarioTest, VlanPushSetAndPop) {
  SwitchHarness sw;
  sw.AddFlow("in_port=1,actions=mod_vlan_vid:42,output:2");
  sw.AddFlow("in_port=2,dl_vlan=42,actions=strip_vlan,output:1");
  auto tagged = sw.Send(1, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2"));
  ASSERT_EQ(tagged.size(), 1u);
  EXPECT_EQ(tagged[0].key().vlan_tci, kVlanPresent | 42);
  auto untagged = sw.Send(2, tagged[0].bytes);
  ASSERT_EQ(untagged.size(), 1u);
  EXPECT_EQ(untagged[0].bytes, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2"));
}

TEST(SwitchScenarioTest, RegistersCarryStateBetweenTables) {
  SwitchHarness sw;
  sw.AddFlow("table=0,in_port=1,actions=load:0x2->NXM_NX_REG0[],goto_table:1");
  sw.AddFlow("table=0,in_port=3,actions=move:NXM_OF_IN_PORT[]->NXM_NX_REG0[],goto_table:1");
  sw.AddFlow("table=1,reg0=2,actions=output:2");
  sw.AddFlow("table=1,reg0=3,actions=output:4");
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2"))),
              ElementsAre(2));
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(3, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2"))),
              ElementsAre(4));
}

TEST(SwitchScenarioTest, ControllerActionPuntsACopy) {
  SwitchHarness sw;
  sw.AddFlow("arp,actions=controller(id=77),output:2");
  auto arp = PacketBuilder()
                 .Eth(kMac1, kBroadcast)
                 .Arp(1, kMac1, "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2")
                 .Build();
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, arp)), ElementsAre(2));
  EXPECT_THAT(sw.punted, ElementsAre(77));
}

TEST(SwitchScenarioTest, NormalLearnsAndIsolatesVlans) {
  SwitchHarness sw;
  sw.AddPort(1, {.tag = 10});
  sw.AddPort(2, {.tag = 10});
  sw.AddPort(3, {.tag = 20});
  sw.AddPort(4, {.trunks = {10, 20}});
  sw.AddFlow("actions=NORMAL");

  // Unknown destination: flooded to VLAN 10's other members; the trunk gets it tagged.
  auto flooded = sw.Send(1, Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2"));
  ASSERT_THAT(SwitchHarness::Ports(flooded), ElementsAre(2, 4));
  EXPECT_EQ(flooded[0].key().vlan_tci, 0);
  EXPECT_EQ(flooded[1].key().vlan_tci, kVlanPresent | 10);

  // The reply goes straight back to the learned port, untagged.
  auto reply = sw.Send(2, Ping(kMac2, kMac1, "10.0.0.2", "10.0.0.1"));
  ASSERT_THAT(SwitchHarness::Ports(reply), ElementsAre(1));
  EXPECT_EQ(reply[0].key().vlan_tci, 0);

  // VLAN 20 never sees VLAN 10's hosts: a frame to kMac1 from port 3 floods within 20 only.
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(3, Ping(kMac3, kMac1, "10.0.0.3", "10.0.0.1"))),
              ElementsAre(4));
  // A tagged frame of VLAN 10 from the trunk reaches the access port untagged.
  auto from_trunk = sw.Send(
      4,
      PacketBuilder().Eth(kMac3, kMac1).Vlan(10).Ipv4("10.0.0.3", "10.0.0.1").Icmp(8, 0).Build());
  ASSERT_THAT(SwitchHarness::Ports(from_trunk), ElementsAre(1));
  EXPECT_EQ(from_trunk[0].key().vlan_tci, 0);
  EXPECT_EQ(sw.pipeline().macs().Lookup(10, *MacFromString(kMac3), sw.now_ms), 4u);
}

TEST(SwitchScenarioTest, NewRuleChangesCachedPath) {
  SwitchHarness sw;
  sw.AddFlow("priority=0,actions=output:2");
  auto ping = Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2");
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, ping)), ElementsAre(2));
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, ping)), ElementsAre(2));
  EXPECT_GE(sw.processor().stats().emc_hits, 1u);
  sw.AddFlow("priority=50,icmp,actions=drop");
  EXPECT_THAT(sw.Send(1, ping), IsEmpty());
  FlowFilter all;
  sw.pipeline().DeleteFlows(all);
  EXPECT_THAT(sw.Send(1, ping), IsEmpty());
}

TEST(SwitchScenarioTest, CacheHitsCountOnTheRules) {
  SwitchHarness sw;
  sw.AddFlow("table=0,ip,actions=goto_table:1");
  sw.AddFlow("table=1,actions=output:2");
  auto ping = Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2");
  for (int i = 0; i < 5; ++i) sw.Send(1, ping);
  for (const FlowRule* rule : sw.pipeline().DumpFlows({})) {
    EXPECT_EQ(rule->n_packets, 5u) << "table " << int(rule->table);
    EXPECT_EQ(rule->n_bytes, 5u * ping.size());
  }
  EXPECT_EQ(sw.processor().stats().misses, 1u);
}

TEST(SwitchScenarioTest, MalformedFramesAreCountedAndMatchable) {
  SwitchHarness sw;
  sw.AddFlow("priority=100,pkt_err=truncated,actions=output:7");
  sw.AddFlow("priority=0,actions=output:2");
  auto ping = Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2");
  ping.resize(20);  // cut inside the IPv4 header
  EXPECT_THAT(SwitchHarness::Ports(sw.Send(1, ping)), ElementsAre(7));
  EXPECT_EQ(sw.processor().stats().truncated, 1u);
}

TEST(SwitchScenarioTest, TraceShowsTablesRulesAndDisposition) {
  SwitchHarness sw;
  sw.AddFlow("table=0,cookie=0x2a,priority=100,icmp,actions=drop");
  sw.AddFlow("table=0,priority=0,actions=goto_table:3");
  sw.AddFlow("table=3,actions=output:2");
  Trace trace;
  sw.pipeline().Translate(ParsePacket(Ping(kMac1, kMac2, "10.0.0.1", "10.0.0.2"), 1), sw.now_ms,
                          &trace);
  ASSERT_EQ(trace.steps.size(), 1u);
  EXPECT_EQ(trace.steps[0].cookie, 0x2au);
  EXPECT_EQ(trace.steps[0].priority, 100);
  EXPECT_EQ(trace.disposition, "drop");
  EXPECT_THAT(trace.ToString(), ::testing::HasSubstr("priority 100, cookie 0x2a"));

  Trace tcp_trace;
  sw.pipeline().Translate(ParsePacket(TcpSyn("10.0.0.1", "10.0.0.2", 80), 1), sw.now_ms,
                          &tcp_trace);
  ASSERT_EQ(tcp_trace.steps.size(), 2u);
  EXPECT_EQ(tcp_trace.steps[1].table, 3);
  EXPECT_EQ(tcp_trace.disposition, "output to port 2");
}

}  // namespace
}  // namespace podswitch::core
