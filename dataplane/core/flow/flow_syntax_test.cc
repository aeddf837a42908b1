// Whole flows: header fields, modes, prerequisites of actions, and errors that point.
#include "dataplane/core/flow/flow_syntax.h"

#include <gtest/gtest.h>

#include <string>

namespace podswitch::core {
namespace {

TEST(FlowSyntaxTest, ParsesHeaderMatchAndActions) {
  auto f = ParseFlow(
      "cookie=0x1f, table=2, priority=100, idle_timeout=10, hard_timeout=20, "
      "tcp,nw_src=10.0.0.0/24,tp_dst=80 actions=load:0x1->reg0[],goto_table:3",
      FlowTextMode::kAdd);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->cookie, 0x1fu);
  EXPECT_EQ(f->cookie_mask, 0u);
  EXPECT_EQ(f->table, 2);
  EXPECT_EQ(f->priority, 100);
  EXPECT_EQ(f->idle_timeout, 10);
  EXPECT_EQ(f->hard_timeout, 20);
  EXPECT_EQ(f->out_port, kPortNone);
  EXPECT_EQ(f->match.value.nw_src, 0x0a000000u);
  EXPECT_EQ(f->match.value.tp_dst, 80);
  ASSERT_EQ(f->actions.size(), 2u);
  EXPECT_EQ(std::get<GotoTableAction>(f->actions[1]).table, 3);
  EXPECT_EQ(FormatFlow(*f),
            "cookie=0x1f, table=2, priority=100, idle_timeout=10, hard_timeout=20, "
            "tcp,nw_src=10.0.0.0/24,tp_dst=80 actions=load:0x1->reg0[],goto_table:3");
}

TEST(FlowSyntaxTest, DefaultsAndOvsDumpFormAreAccepted) {
  auto f = ParseFlow("actions=normal", FlowTextMode::kAdd);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->table, 0);
  EXPECT_EQ(f->priority, 32768);
  EXPECT_EQ(FormatFlow(*f), "table=0, priority=32768 actions=NORMAL");

  // What ovs-ofctl dump-flows prints can be fed back: statistics are ignored.
  f = ParseFlow(
      " cookie=0x0, duration=12.345s, table=0, n_packets=10, n_bytes=1000, idle_age=3, "
      "priority=0 actions=drop",
      FlowTextMode::kAdd);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->priority, 0);
  EXPECT_TRUE(f->actions.empty());

  f = ParseFlow("priority=5,ip,actions=output:1", FlowTextMode::kAdd);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(FormatFlow(*f), "table=0, priority=5, ip actions=output:1");

  f = ParseFlow("priority=5,ip actions=", FlowTextMode::kAdd);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->actions.empty());
  EXPECT_EQ(FormatFlow(*f), "table=0, priority=5, ip actions=drop");
}

TEST(FlowSyntaxTest, ModesDecideWhatIsAllowed) {
  auto del = ParseFlow("out_port=3,cookie=0x10/0xff,ip", FlowTextMode::kMatchOnly);
  ASSERT_TRUE(del.ok()) << del.status();
  EXPECT_EQ(del->out_port, 3u);
  EXPECT_EQ(del->cookie_mask, 0xffu);
  EXPECT_EQ(del->table, kTableAll);

  auto all_bits = ParseFlow("cookie=0x10/-1", FlowTextMode::kMatchOnly);
  ASSERT_TRUE(all_bits.ok()) << all_bits.status();
  EXPECT_EQ(all_bits->cookie_mask, ~uint64_t{0});

  auto del_table = ParseFlow("table=3", FlowTextMode::kMatchOnly);
  ASSERT_TRUE(del_table.ok());
  EXPECT_EQ(del_table->table, 3);
  EXPECT_TRUE(ParseFlow("table=255", FlowTextMode::kMatchOnly).ok());
  EXPECT_TRUE(ParseFlow("", FlowTextMode::kMatchOnly).ok());

  auto mod = ParseFlow("ip actions=mod_nw_ttl:3", FlowTextMode::kModify);
  ASSERT_TRUE(mod.ok()) << mod.status();
  EXPECT_EQ(mod->table, kTableAll);
  EXPECT_EQ(FormatFlow(*mod), "priority=32768, ip actions=mod_nw_ttl:3");
  // mod-flows filters flows; the flows it changes carry the prerequisites.
  EXPECT_TRUE(ParseFlow("in_port=1 actions=mod_nw_src:10.0.0.1", FlowTextMode::kModify).ok());
  EXPECT_FALSE(ParseFlow("in_port=1 actions=mod_nw_src:10.0.0.1", FlowTextMode::kAdd).ok());
  EXPECT_TRUE(ParseFlow("cookie=0x1/0x1 actions=drop", FlowTextMode::kModify).ok());
}

TEST(FlowSyntaxTest, ActionsAreCheckedAgainstTheMatchInAddMode) {
  EXPECT_TRUE(ParseFlow("ip actions=mod_nw_src:10.0.0.1", FlowTextMode::kAdd).ok());
  EXPECT_TRUE(ParseFlow("arp actions=set_field:10.0.0.1->arp_spa", FlowTextMode::kAdd).ok());
  EXPECT_TRUE(ParseFlow("tcp actions=move:reg0[0..15]->tp_dst[]", FlowTextMode::kAdd).ok());
  EXPECT_TRUE(ParseFlow("table=1 actions=goto_table:2", FlowTextMode::kAdd).ok());
  EXPECT_TRUE(
      ParseFlow("actions=load:1->reg0[],set_field:00:00:00:00:00:01->dl_src", FlowTextMode::kAdd)
          .ok());
}

TEST(FlowSyntaxTest, ResolvesPortNamesEverywhere) {
  PortNameResolver ports = [](std::string_view name) -> std::optional<uint32_t> {
    if (name == "pod1") return 4;
    if (name == "gw0") return 2;
    return std::nullopt;
  };
  auto f = ParseFlow("in_port=pod1 actions=output:gw0", FlowTextMode::kAdd, ports);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->match.value.in_port, 4u);
  EXPECT_EQ(FormatFlow(*f), "table=0, priority=32768, in_port=4 actions=output:2");
  auto d = ParseFlow("out_port=gw0", FlowTextMode::kMatchOnly, ports);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->out_port, 2u);
}

struct ErrorCase {
  const char* text;
  FlowTextMode mode;
  int column;
  const char* token;
  const char* message;
};

const ErrorCase kErrorCases[] = {
    {"table=0, priority=100, ip,nw_src=10.0.0.300 actions=drop", FlowTextMode::kAdd, 27,
     "nw_src=10.0.0.300", "invalid IPv4 address"},
    {"priority=100,ip", FlowTextMode::kAdd, 16, "", "missing actions="},
    {"ip actions=drop", FlowTextMode::kMatchOnly, 4, "actions=drop", "not allowed"},
    {"table=254 actions=drop", FlowTextMode::kAdd, 1, "table=254", "out of range"},
    {"table=255 actions=drop", FlowTextMode::kAdd, 1, "table=255", "out of range"},
    {"table=254", FlowTextMode::kMatchOnly, 1, "table=254", "255 for every table"},
    {"priority=65536 actions=drop", FlowTextMode::kAdd, 1, "priority=65536", "out of range"},
    {"priority=-1 actions=drop", FlowTextMode::kAdd, 1, "priority=-1", "invalid number"},
    {"priority actions=drop", FlowTextMode::kAdd, 1, "priority", "needs a value"},
    {"priority=1,priority=2 actions=drop", FlowTextMode::kAdd, 12, "priority=2", "given twice"},
    {"idle_timeout=65536 actions=drop", FlowTextMode::kAdd, 1, "idle_timeout=65536",
     "out of range"},
    {"cookie=0x1/0x1 actions=drop", FlowTextMode::kAdd, 1, "cookie=0x1/0x1", "cookie mask"},
    {"out_port=1 actions=drop", FlowTextMode::kAdd, 1, "out_port=1", "only for del-flows"},
    {"out_port=nope", FlowTextMode::kMatchOnly, 1, "out_port=nope", "unknown port nope"},
    {"ip actions=mod_tp_dst:80", FlowTextMode::kAdd, 12, "mod_tp_dst:80",
     "tp_dst requires tcp or udp"},
    {"actions=mod_nw_src:10.0.0.1", FlowTextMode::kAdd, 9, "mod_nw_src:10.0.0.1",
     "nw_src requires ip or arp (dl_type=0x0800 or 0x0806)"},
    {"ip actions=move:reg0[]->arp_spa[]", FlowTextMode::kAdd, 12, "move:reg0[]->arp_spa[]",
     "arp_spa requires arp"},
    {"actions=move:nw_src[]->reg0[]", FlowTextMode::kAdd, 9, "move:nw_src[]->reg0[]",
     "nw_src requires"},
    {"table=3 actions=goto_table:3", FlowTextMode::kAdd, 17, "goto_table:3", "later table than 3"},
    {"ip,nw_src=1.2.3.4,nw_src=1.2.3.4 actions=drop", FlowTextMode::kAdd, 19, "nw_src=1.2.3.4",
     "overlaps \"nw_src=1.2.3.4\" at column 4"},
    {"ip actions=output:1,bogus", FlowTextMode::kAdd, 21, "bogus", "unknown action bogus"},
    {"ip,tp_dst=80 actions=drop", FlowTextMode::kAdd, 4, "tp_dst=80", "requires tcp or udp"},
};

TEST(FlowSyntaxTest, ErrorsNameTheTokenAndColumn) {
  for (const ErrorCase& c : kErrorCases) {
    auto f = ParseFlow(c.text, c.mode);
    ASSERT_FALSE(f.ok()) << c.text;
    std::string msg(f.status().message());
    std::string where = "at column " + std::to_string(c.column) + ", \"" + c.token + "\": ";
    EXPECT_NE(msg.find(where), std::string::npos) << c.text << " -> " << msg;
    EXPECT_NE(msg.find(c.message), std::string::npos) << c.text << " -> " << msg;
    EXPECT_EQ(msg.rfind(std::string("flow \"") + c.text + "\": at column", 0), 0u) << msg;
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(FlowSyntaxTest, LongTextIsShortenedInErrors) {
  std::string text = "ip," + std::string(500, ' ') + "bogus actions=drop";
  auto f = ParseFlow(text, FlowTextMode::kAdd);
  ASSERT_FALSE(f.ok());
  EXPECT_LT(f.status().message().size(), 400u);
  EXPECT_NE(f.status().message().find("at column 504, \"bogus\""), std::string::npos)
      << f.status().message();
}

// Flows as the agent and operators write them; each must print back to something that
// parses to the same flow, and print identically the second time.
const char* const kHandWritten[] = {
    "table=0, priority=200, in_port=2, dl_src=0a:58:0a:f4:00:05 actions=goto_table:10",
    "table=10, priority=200, ip,in_port=2,dl_src=0a:58:0a:f4:00:05,nw_src=10.244.0.5 "
    "actions=goto_table:20",
    "table=10, priority=200, arp,in_port=2,arp_spa=10.244.0.5,arp_sha=0a:58:0a:f4:00:05 "
    "actions=goto_table:20",
    "table=20, priority=190, ct_state=-trk,ip actions=resubmit(,21)",
    "table=21, priority=200, ct_state=+trk+est-new,ip actions=goto_table:40",
    "table=30, priority=200, ip,reg1=0x3 actions=conjunction(7,1/3)",
    "table=30, priority=200, tcp,tp_dst=8080 actions=conjunction(7,3/3),conjunction(8,2/2)",
    "table=30, priority=200, conj_id=7,ip actions=load:0x7->reg3[],goto_table:40",
    "table=40, priority=200, ip,nw_dst=10.244.1.0/24 actions=mod_dl_src:0a:58:0a:f4:00:01,"
    "load:0xc0a80102->NXM_NX_TUN_IPV4_DST[],set_tunnel:0x1,output:1",
    "table=40, priority=200, ip,nw_dst=10.244.0.5 actions=dec_ttl,"
    "set_field:0a:58:0a:f4:00:05->eth_dst,output:3",
    "table=50, priority=0 actions=drop",
    "table=50, priority=10, dl_vlan=100,dl_vlan_pcp=3 actions=strip_vlan,NORMAL",
    "table=50, priority=10, vlan_tci=0 actions=push_vlan:0x8100,mod_vlan_vid:5,output:4",
    "priority=300, udp6,ipv6_src=fd00::/8,tp_dst=53 actions=controller(reason=no_match,id=4)",
    "priority=1, icmp6,icmpv6_type=135,nd_target=fd00::1,nd_sll=00:00:00:00:00:09 actions=log",
    "priority=1, icmp,icmp_type=8,icmp_code=0,nw_ttl=1 actions=CONTROLLER:128",
    "priority=1, tcp,tcp_flags=+syn-ack,nw_frag=no actions=meter:1,output:LOCAL",
    "priority=1, pkt_err=truncated actions=drop",
    "priority=1, tun_id=0x5,tun_src=192.168.1.10,metadata=0x1/0x1 actions=move:"
    "NXM_NX_TUN_ID[0..31]->NXM_NX_REG0[],resubmit(1,3),output:in_port",
    "priority=1, ip,ip_dscp=10,nw_ecn=1 actions=mod_nw_tos:40,flood,all",
};

TEST(FlowSyntaxTest, HandWrittenFlowsRoundTrip) {
  for (const char* text : kHandWritten) {
    auto f = ParseFlow(text, FlowTextMode::kAdd);
    ASSERT_TRUE(f.ok()) << text << ": " << f.status();
    std::string printed = FormatFlow(*f);
    auto again = ParseFlow(printed, FlowTextMode::kAdd);
    ASSERT_TRUE(again.ok()) << printed << ": " << again.status();
    EXPECT_EQ(*again, *f) << text << "\n -> " << printed;
    EXPECT_EQ(FormatFlow(*again), printed);
  }
}

}  // namespace
}  // namespace podswitch::core
