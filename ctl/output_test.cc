// Tests of podswitchctl's text layouts (as ovs-ofctl/ovs-appctl print them) and JSON output.
#include "ctl/output.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::ctl {
namespace {

using ::testing::HasSubstr;

switchd::Flow IcmpDrop() {
  switchd::Flow flow;
  flow.set_table(0);
  flow.set_priority(100);
  flow.set_match("icmp");
  flow.set_actions("drop");
  flow.set_n_packets(5);
  flow.set_n_bytes(490);
  flow.set_duration_sec(12.3456);
  flow.set_idle_age_sec(1.7);
  return flow;
}

TEST(FormatFlowLine, WithStatsLikeOvsOfctl) {
  EXPECT_EQ(FormatFlowLine(IcmpDrop(), /*show_stats=*/true),
            " cookie=0x0, duration=12.346s, table=0, n_packets=5, n_bytes=490, idle_age=1, "
            "priority=100,icmp actions=drop");
}

TEST(FormatFlowLine, NoStats) {
  EXPECT_EQ(FormatFlowLine(IcmpDrop(), /*show_stats=*/false), " priority=100,icmp actions=drop");
}

TEST(FormatFlowLine, NoStatsKeepsNonZeroTableCookieAndTimeouts) {
  switchd::Flow flow = IcmpDrop();
  flow.set_table(3);
  flow.set_cookie(0xbeef);
  flow.set_idle_timeout(60);
  EXPECT_EQ(FormatFlowLine(flow, false),
            " cookie=0xbeef, table=3, idle_timeout=60, priority=100,icmp actions=drop");
}

TEST(FormatFlowLine, DefaultPriorityAndEmptyMatch) {
  switchd::Flow flow;
  flow.set_priority(32768);
  flow.set_actions("NORMAL");
  EXPECT_EQ(FormatFlowLine(flow, false), " actions=NORMAL");
  flow.set_priority(0);
  EXPECT_EQ(FormatFlowLine(flow, false), " priority=0 actions=NORMAL");
  EXPECT_THAT(FormatFlowLine(flow, true), HasSubstr("idle_age=0, priority=0 actions=NORMAL"));
}

TEST(FormatFdbTable, LikeOvsAppctl) {
  switchd::DumpFdbResponse fdb;
  auto* e = fdb.add_entries();
  e->set_port(1);
  e->set_vlan(0);
  e->set_mac("50:54:00:00:00:01");
  e->set_age_sec(3);
  e = fdb.add_entries();
  e->set_port(12);
  e->set_vlan(10);
  e->set_mac("50:54:00:00:00:02");
  e->set_age_sec(120);
  EXPECT_EQ(FormatFdbTable(fdb),
            " port  VLAN  MAC                Age\n"
            "    1     0  50:54:00:00:00:01    3\n"
            "   12    10  50:54:00:00:00:02  120\n");
}

TEST(FormatShow, BridgesPortsAndInterfaces) {
  switchd::ListBridgesResponse bridges;
  switchd::Bridge* br = bridges.add_bridges();
  br->set_name("br0");
  switchd::Port* p = br->add_ports();
  p->set_name("vm1");
  p->set_type("vhostuser");
  p->set_ofport(2);
  p->set_admin_up(true);
  p->set_link_state("down");
  p->set_error("could not open socket");
  p = br->add_ports();
  p->set_name("p1");
  p->set_type("afxdp");
  p->set_ofport(1);
  p->set_tag(10);
  p->set_admin_up(true);
  p->set_link_state("up");
  (*p->mutable_options())["ifname"] = "veth1";
  switchd::HealthResponse health;
  health.set_version("0.1.0");
  health.set_db_path("/var/lib/podswitch/conf.db");
  EXPECT_EQ(FormatShow(bridges, health),
            "podswitchd /var/lib/podswitch/conf.db\n"
            "    Bridge br0\n"
            "        Port p1\n"
            "            tag: 10\n"
            "            Interface p1\n"
            "                type: afxdp\n"
            "                ofport: 1\n"
            "                options: {ifname=veth1}\n"
            "                link_state: up\n"
            "        Port vm1\n"
            "            Interface vm1\n"
            "                type: vhostuser\n"
            "                ofport: 2\n"
            "                link_state: down\n"
            "                error: \"could not open socket\"\n"
            "    podswitchd_version: \"0.1.0\"\n");
}

TEST(FormatPortStats, RxAndTxLines) {
  switchd::DumpPortStatsResponse stats;
  auto* p = stats.add_ports();
  p->set_ofport(1);
  p->set_name("p1");
  p->set_rx_packets(5);
  p->set_rx_bytes(490);
  p->set_tx_packets(4);
  p->set_tx_bytes(392);
  p->set_tx_dropped(1);
  EXPECT_EQ(FormatPortStats("br0", stats),
            "br0: 1 ports\n"
            "  port  1 (p1): rx pkts=5, bytes=490, drop=0, errs=0\n"
            "                tx pkts=4, bytes=392, drop=1, errs=0\n");
}

TEST(FormatPortStats, TypeSpecificCountersOnAThirdLineSorted) {
  switchd::DumpPortStatsResponse stats;
  auto* p = stats.add_ports();
  p->set_ofport(9);
  p->set_name("tun0");
  (*p->mutable_details())["tx_too_big"] = 2;
  (*p->mutable_details())["decap_dropped"] = 1;
  EXPECT_EQ(FormatPortStats("br-int", stats),
            "br-int: 1 ports\n"
            "  port  9 (tun0): rx pkts=0, bytes=0, drop=0, errs=0\n"
            "                  tx pkts=0, bytes=0, drop=0, errs=0\n"
            "                  decap_dropped=1, tx_too_big=2\n");
}

TEST(FormatPmdStats, CountersAndCyclePercentages) {
  switchd::DumpPmdStatsResponse stats;
  auto* pmd = stats.add_pmds();
  pmd->set_id(0);
  pmd->set_lcore(1);
  pmd->set_packets(100);
  pmd->set_batches(4);
  pmd->set_busy_cycles(250);
  pmd->set_idle_cycles(750);
  std::string text = FormatPmdStats(stats);
  EXPECT_THAT(text, HasSubstr("pmd thread id 0 lcore 1:\n"));
  EXPECT_THAT(text, HasSubstr("  packets received: 100\n"));
  EXPECT_THAT(text, HasSubstr("avg. packets per batch: 25.00"));
  EXPECT_THAT(text, HasSubstr("  idle cycles: 750 (75.00%)\n"));
  EXPECT_THAT(text, HasSubstr("  processing cycles: 250 (25.00%)\n"));
}

TEST(FormatTrace, ServerTextWinsElseSteps) {
  switchd::TraceResponse trace;
  trace.set_text("bridge(\"br0\")\nDatapath actions: drop");
  EXPECT_EQ(FormatTrace(trace), "bridge(\"br0\")\nDatapath actions: drop\n");
  trace.clear_text();
  auto* step = trace.add_steps();
  step->set_matched(true);
  step->set_priority(100);
  step->set_rule("icmp actions=drop");
  trace.set_datapath_actions("drop");
  EXPECT_EQ(FormatTrace(trace), " 0. icmp actions=drop, priority 100\nDatapath actions: drop\n");
}

TEST(FormatChangeLogEntry, SeqUtcTimeClientSummary) {
  switchd::ChangeLogEntry entry;
  entry.set_seq(12);
  entry.set_time_unix_ms(1700000000123);
  entry.set_client("podswitchctl");
  entry.set_summary("add-port br0 p1");
  EXPECT_EQ(FormatChangeLogEntry(entry),
            "    12  2023-11-14T22:13:20.123Z  podswitchctl  add-port br0 p1");
}

TEST(FormatColumnValue, LikeOvsVsctlGet) {
  EXPECT_EQ(FormatColumnValue(10), "10");
  EXPECT_EQ(FormatColumnValue(nullptr), "[]");
  EXPECT_EQ(FormatColumnValue(nlohmann::json::array()), "[]");
  EXPECT_EQ(FormatColumnValue({10, 20}), "[10, 20]");
  EXPECT_EQ(FormatColumnValue("afxdp"), "afxdp");
  EXPECT_EQ(FormatColumnValue("10.0.0.2"), "\"10.0.0.2\"");
  EXPECT_EQ(FormatColumnValue(nlohmann::json({{"ifname", "veth1"}, {"remote_ip", "10.0.0.2"}})),
            "{ifname=veth1, remote_ip=\"10.0.0.2\"}");
}

TEST(MessageToJson, ValidJsonWithProtoNamesAndNumbers) {
  switchd::DumpFlowsResponse flows;
  *flows.add_flows() = IcmpDrop();
  flows.mutable_flows(0)->set_n_bytes(1ull << 40);
  std::string text = MessageToJson(flows).dump();
  nlohmann::json parsed = nlohmann::json::parse(text);  // throws if invalid
  ASSERT_TRUE(parsed["flows"].is_array());
  const nlohmann::json& flow = parsed["flows"][0];
  for (const char* key :
       {"table", "priority", "cookie", "match", "actions", "text", "n_packets", "n_bytes",
        "duration_sec", "idle_age_sec", "idle_timeout", "hard_timeout"}) {
    EXPECT_TRUE(flow.contains(key)) << key;
  }
  EXPECT_EQ(flow["n_bytes"], 1ull << 40);
  EXPECT_TRUE(flow["n_bytes"].is_number());
  EXPECT_EQ(flow["match"], "icmp");
}

TEST(MessageToJson, OptionalMapsAndRepeated) {
  switchd::Port port;
  port.set_name("p1");
  port.add_trunks(10);
  (*port.mutable_options())["ifname"] = "veth1";
  nlohmann::json json = MessageToJson(port);
  EXPECT_TRUE(json["tag"].is_null());
  EXPECT_EQ(json["trunks"], nlohmann::json({10}));
  EXPECT_EQ(json["options"], nlohmann::json({{"ifname", "veth1"}}));
  EXPECT_TRUE(json["admin_up"].is_null());  // optional since podswitchd: absent = up
  port.set_tag(0);
  port.set_admin_up(false);
  EXPECT_EQ(MessageToJson(port)["tag"], 0);
  EXPECT_EQ(MessageToJson(port)["admin_up"], false);
}

TEST(MessageToJson, FdbEntriesHaveTheirKeys) {
  switchd::DumpFdbResponse fdb;
  auto* e = fdb.add_entries();
  e->set_port(1);
  e->set_mac("50:54:00:00:00:01");
  nlohmann::json json = nlohmann::json::parse(MessageToJson(fdb)["entries"].dump());
  EXPECT_EQ(json[0]["port"], 1);
  EXPECT_EQ(json[0]["vlan"], 0);
  EXPECT_EQ(json[0]["mac"], "50:54:00:00:00:01");
  EXPECT_TRUE(json[0].contains("age_sec"));
  EXPECT_TRUE(json[0].contains("port_name"));
}

TEST(ChangeLogEntryToJson, DecodesDetails) {
  switchd::ChangeLogEntry entry;
  entry.set_seq(3);
  entry.set_details_json(R"({"bridge":"br0"})");
  nlohmann::json json = ChangeLogEntryToJson(entry);
  EXPECT_EQ(json["details"]["bridge"], "br0");
  EXPECT_FALSE(json.contains("details_json"));
  entry.set_details_json("not json");
  EXPECT_EQ(ChangeLogEntryToJson(entry)["details_json"], "not json");
}

}  // namespace
}  // namespace podswitch::ctl
