// Action syntax: every action parses, prints back canonically, and bad input is pointed at.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/core/flow/flow_syntax.h"

namespace podswitch::core {
namespace {

struct PrintCase {
  const char* text;
  const char* printed;  // FormatActions(ParseActions(text))
};

const PrintCase kPrintCases[] = {
    {"", "drop"},
    {"drop", "drop"},
    {"DROP", "drop"},
    {"output:2", "output:2"},
    {"2", "output:2"},
    {"output(port=3)", "output:3"},
    {"output:LOCAL", "LOCAL"},
    {"output:controller", "output:CONTROLLER"},
    {"output:4294967040", "output:4294967040"},
    {"in_port", "IN_PORT"},
    {"normal", "NORMAL"},
    {"NORMAL", "NORMAL"},
    {"flood", "FLOOD"},
    {"all", "ALL"},
    {"local", "LOCAL"},
    {"goto_table:5", "goto_table:5"},
    {"resubmit:3", "resubmit:3"},
    {"resubmit:in_port", "resubmit:IN_PORT"},
    {"resubmit(,4)", "resubmit(,4)"},
    {"resubmit(2,4)", "resubmit(2,4)"},
    {"resubmit(1,)", "resubmit:1"},
    {"resubmit( 1 , 4 )", "resubmit(1,4)"},
    {"push_vlan:0x8100", "push_vlan:0x8100"},
    {"push_vlan:0x88a8", "push_vlan:0x88a8"},
    {"pop_vlan", "pop_vlan"},
    {"strip_vlan", "pop_vlan"},
    {"mod_vlan_vid:100", "mod_vlan_vid:100"},
    {"mod_vlan_pcp:7", "mod_vlan_pcp:7"},
    {"mod_dl_src:00:11:22:33:44:55", "mod_dl_src:00:11:22:33:44:55"},
    {"mod_dl_dst:0A:00:00:00:00:01", "mod_dl_dst:0a:00:00:00:00:01"},
    {"mod_nw_src:10.0.0.1", "mod_nw_src:10.0.0.1"},
    {"mod_nw_dst:10.0.0.2", "mod_nw_dst:10.0.0.2"},
    {"mod_tp_src:1000", "mod_tp_src:1000"},
    {"mod_tp_dst:80", "mod_tp_dst:80"},
    {"mod_nw_tos:184", "mod_nw_tos:184"},
    {"mod_nw_ttl:9", "mod_nw_ttl:9"},
    {"dec_ttl", "dec_ttl"},
    {"set_field:00:11:22:33:44:55->eth_dst", "set_field:00:11:22:33:44:55->dl_dst"},
    {"set_field:10.0.0.1->ip_dst", "set_field:10.0.0.1->nw_dst"},
    {"set_field:0x5->reg0", "set_field:0x5->reg0"},
    {"set_field:0x5/0xf->reg0", "set_field:0x5/0xf->reg0"},
    {"set_field:10.0.0.0/8->nw_src", "set_field:10.0.0.0/8->nw_src"},
    {"set_field:fe80::1->ipv6_src", "set_field:fe80::1->ipv6_src"},
    {"set_field:7->dl_vlan", "set_field:7->dl_vlan"},
    {"set_field:LOCAL->in_port", "set_field:LOCAL->in_port"},
    {"set_tunnel:100", "set_tunnel:0x64"},
    {"set_tunnel64:0x1122334455", "set_tunnel:0x1122334455"},
    {"load:0x1->NXM_NX_REG0[]", "load:0x1->reg0[]"},
    {"load:5->reg1[0..3]", "load:0x5->reg1[0..3]"},
    {"load:1->reg2[31]", "load:0x1->reg2[31]"},
    {"load:0xabcd->reg3[16..31]", "load:0xabcd->reg3[16..31]"},
    {"load:0->reg4", "load:0x0->reg4[]"},
    {"load:0x64->NXM_NX_TUN_ID[0..31]", "load:0x64->tun_id[0..31]"},
    {"load:0xffffffffffffffffffffffffffffffff->ipv6_dst[]",
     "load:0xffffffffffffffffffffffffffffffff->ipv6_dst[]"},
    {"move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]", "move:dl_src[]->dl_dst[]"},
    {"move:reg0[0..15]->tp_dst[]", "move:reg0[0..15]->tp_dst[]"},
    {"move:reg1[3]->reg2[0]", "move:reg1[3]->reg2[0]"},
    {"move:ipv6_src[]->ipv6_dst[]", "move:ipv6_src[]->ipv6_dst[]"},
    {"move:ct_mark[]->reg0[]", "move:ct_mark[]->reg0[]"},
    {"controller", "CONTROLLER:65535"},
    {"controller:128", "CONTROLLER:128"},
    {"controller(reason=no_match)", "controller(reason=no_match)"},
    {"controller(id=5,max_len=100,reason=invalid_ttl)",
     "controller(reason=invalid_ttl,id=5,max_len=100)"},
    {"controller(reason=log)", "log"},
    {"controller(reason=7)", "controller(reason=7)"},
    {"controller()", "CONTROLLER:65535"},
    {"log", "log"},
    {"log(id=9)", "log(id=9)"},
    {"log(id=9,max_len=64)", "controller(reason=log,id=9,max_len=64)"},
    {"conjunction(1,1/2)", "conjunction(1,1/2)"},
    {"conjunction(4294967295, 64/64)", "conjunction(4294967295,64/64)"},
    {"conjunction(7,2/3),conjunction(8,1/2)", "conjunction(7,2/3),conjunction(8,1/2)"},
    {"meter:3", "meter:3"},
    {"output:1,output:2 dec_ttl,  goto_table:1", "output:1,output:2,dec_ttl,goto_table:1"},
    {"load:1->reg0[],resubmit(,3),output:1", "load:0x1->reg0[],resubmit(,3),output:1"},
};

TEST(ActionSyntaxTest, ParsesEveryActionAndPrintsItCanonically) {
  for (const PrintCase& c : kPrintCases) {
    auto a = ParseActions(c.text);
    ASSERT_TRUE(a.ok()) << c.text << ": " << a.status();
    EXPECT_EQ(FormatActions(*a), c.printed) << c.text;
    auto again = ParseActions(FormatActions(*a));
    ASSERT_TRUE(again.ok()) << c.text << ": " << again.status();
    EXPECT_EQ(*again, *a) << c.text;
  }
}

template <typename T>
T Only(const absl::StatusOr<ActionList>& list) {
  EXPECT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), 1u);
  return std::get<T>(list->front());
}

TEST(ActionSyntaxTest, BuildsTheActionStructs) {
  EXPECT_TRUE(ParseActions("drop")->empty());
  EXPECT_EQ(Only<OutputAction>(ParseActions("output:5")).port, 5u);
  EXPECT_EQ(Only<OutputAction>(ParseActions("normal")).port, kPortNormal);
  EXPECT_EQ(Only<GotoTableAction>(ParseActions("goto_table:9")).table, 9);
  auto r = Only<ResubmitAction>(ParseActions("resubmit(,4)"));
  EXPECT_EQ(r.in_port, kPortInPort);
  EXPECT_EQ(r.table, 4);
  r = Only<ResubmitAction>(ParseActions("resubmit:3"));
  EXPECT_EQ(r.in_port, 3u);
  EXPECT_EQ(r.table, 255);

  auto load = Only<SetFieldAction>(ParseActions("load:0x5->reg1[4..7]"));
  EXPECT_EQ(load.field, FieldId::kReg1);
  EXPECT_EQ(load.spelling, SetFieldAction::Spelling::kLoad);
  EXPECT_EQ(load.bits.value.regs[1], 0x50u);
  EXPECT_EQ(load.bits.mask.regs[1], 0xf0u);

  auto mod = Only<SetFieldAction>(ParseActions("mod_nw_tos:8"));
  EXPECT_EQ(mod.field, FieldId::kNwTos);
  EXPECT_EQ(mod.spelling, SetFieldAction::Spelling::kModShortcut);
  EXPECT_EQ(mod.bits.value.nw_tos, 8);
  EXPECT_EQ(mod.bits.mask.nw_tos, 0xfc);

  auto tun = Only<SetFieldAction>(ParseActions("set_tunnel:0x64"));
  EXPECT_EQ(tun.bits.value.tun_id, 0x64u);
  EXPECT_EQ(tun.bits.mask.tun_id, ~uint64_t{0});

  auto mac = Only<SetFieldAction>(ParseActions("set_field:00:11:22:33:44:55->eth_src"));
  EXPECT_EQ(mac.bits.value.dl_src, (MacAddr{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}));

  auto move = Only<MoveAction>(ParseActions("move:reg0[0..15]->tp_dst[]"));
  EXPECT_EQ(move.src, FieldId::kReg0);
  EXPECT_EQ(move.dst, FieldId::kTpDst);
  EXPECT_EQ(move.src_ofs, 0);
  EXPECT_EQ(move.n_bits, 16);

  auto ctl = Only<ControllerAction>(ParseActions("log(id=4)"));
  EXPECT_EQ(ctl.reason, 3);
  EXPECT_EQ(ctl.id, 4u);
  auto conj = Only<ConjunctionAction>(ParseActions("conjunction(10,2/3)"));
  EXPECT_EQ(conj.id, 10u);
  EXPECT_EQ(conj.clause, 2);
  EXPECT_EQ(conj.n_clauses, 3);
  EXPECT_EQ(Only<MeterAction>(ParseActions("meter:2")).id, 2u);
  EXPECT_EQ(Only<PushVlanAction>(ParseActions("push_vlan:0x88a8")).tpid, 0x88a8);
}

TEST(ActionSyntaxTest, OutputsToNamedPorts) {
  PortNameResolver ports = [](std::string_view name) -> std::optional<uint32_t> {
    if (name == "pod1") return 11;
    return std::nullopt;
  };
  EXPECT_EQ(Only<OutputAction>(ParseActions("output:pod1", ports)).port, 11u);
  EXPECT_EQ(Only<OutputAction>(ParseActions("pod1", ports)).port, 11u);
  EXPECT_EQ(Only<ResubmitAction>(ParseActions("resubmit(pod1,2)", ports)).in_port, 11u);
  EXPECT_FALSE(ParseActions("output:pod1").ok());
}

struct ErrorCase {
  const char* text;
  int column;
  const char* token;
  const char* message;
};

const ErrorCase kErrorCases[] = {
    {"output:1,frobnicate", 10, "frobnicate", "unknown action frobnicate"},
    {"output:", 1, "output:", "unknown port"},
    {"output:NONE", 1, "output:NONE", "cannot output to NONE"},
    {"output:4294967041", 1, "output:4294967041", "out of range"},
    {"output(port=1", 1, "output(port=1", "missing )"},
    {"output(max_len=1)", 1, "output(max_len=1)", "expected output(port=PORT)"},
    {"goto_table:254", 1, "goto_table:254", "out of range"},
    {"goto_table:1,output:2", 14, "output:2", "no action may follow goto_table"},
    {"drop,output:1", 1, "drop", "drop must be the only action"},
    {"normal:1", 1, "normal:1", "takes no argument"},
    {"resubmit", 1, "resubmit", "expected resubmit:PORT"},
    {"resubmit(1,2,3)", 1, "resubmit(1,2,3)", "expected resubmit(PORT,TABLE)"},
    {"push_vlan:0x0800", 1, "push_vlan:0x0800", "0x8100 or 0x88a8"},
    {"mod_vlan_vid:4096", 1, "mod_vlan_vid:4096", "out of range"},
    {"mod_vlan_pcp:8", 1, "mod_vlan_pcp:8", "out of range"},
    {"mod_nw_src:10.0.0.256", 1, "mod_nw_src:10.0.0.256", "invalid IPv4 address"},
    {"mod_nw_src:10.0.0.0/8", 1, "mod_nw_src:10.0.0.0/8", "takes no mask"},
    {"mod_nw_tos:3", 1, "mod_nw_tos:3", "multiple of 4"},
    {"mod_tp_dst:70000", 1, "mod_tp_dst:70000", "out of range"},
    {"set_field:1->nosuch", 1, "set_field:1->nosuch", "unknown field nosuch"},
    {"set_field:1", 1, "set_field:1", "expected VALUE->FIELD"},
    {"set_field:1->ct_state", 1, "set_field:1->ct_state", "ct_state is read-only"},
    {"set_field:1/1->nw_ttl", 1, "set_field:1/1->nw_ttl", "cannot be masked"},
    {"load:0x10->reg0[0..3]", 1, "load:0x10->reg0[0..3]", "does not fit in 4 bits"},
    {"load:1->reg0[32]", 1, "load:1->reg0[32]", "out of range"},
    {"load:1->reg0[5..2]", 1, "load:1->reg0[5..2]", "ends before it starts"},
    {"load:1->reg0[0..3", 1, "load:1->reg0[0..3", "expected ]"},
    {"load:x->reg0[]", 1, "load:x->reg0[]", "invalid number"},
    {"load:1->dl_type[]", 1, "load:1->dl_type[]", "dl_type is read-only"},
    {"move:reg0[]->tp_dst[]", 1, "move:reg0[]->tp_dst[]",
     "source has 32 bits but destination has 16"},
    {"move:reg0[]->conj_id[]", 1, "move:reg0[]->conj_id[]", "read-only"},
    {"move:reg0[]", 1, "move:reg0[]", "expected SRC[..]->DST[..]"},
    {"controller:70000", 1, "controller:70000", "out of range"},
    {"controller(reason=sometimes)", 1, "controller(reason=sometimes)", "unknown reason"},
    {"controller(userdata=1)", 1, "controller(userdata=1)", "unknown argument userdata"},
    {"log(reason=action)", 1, "log(reason=action)", "unknown argument reason"},
    {"log:1", 1, "log:1", "expected log or log(id=N)"},
    {"conjunction(1,3/2)", 1, "conjunction(1,3/2)", "clause must be between 1 and N"},
    {"conjunction(1,0/2)", 1, "conjunction(1,0/2)", "clause must be between 1 and N"},
    {"conjunction(1,1/1)", 1, "conjunction(1,1/1)", "2 to 64 clauses"},
    {"conjunction(1,1/65)", 1, "conjunction(1,1/65)", "out of range"},
    {"conjunction(1)", 1, "conjunction(1)", "expected conjunction(ID,K/N)"},
    {"conjunction:1", 1, "conjunction:1", "expected conjunction(ID,K/N)"},
    {"conjunction(1,1/2),output:1", 20, "output:1", "cannot be mixed"},
    {"output:1,conjunction(1,1/2)", 10, "conjunction(1,1/2)", "cannot be mixed"},
    {"meter:x", 1, "meter:x", "invalid number"},
};

TEST(ActionSyntaxTest, ErrorsNameTheTokenAndColumn) {
  for (const ErrorCase& c : kErrorCases) {
    auto a = ParseActions(c.text);
    ASSERT_FALSE(a.ok()) << c.text;
    std::string msg(a.status().message());
    std::string where = "at column " + std::to_string(c.column) + ", \"" + c.token + "\": ";
    EXPECT_NE(msg.find(where), std::string::npos) << c.text << " -> " << msg;
    EXPECT_NE(msg.find(c.message), std::string::npos) << c.text << " -> " << msg;
  }
}

}  // namespace
}  // namespace podswitch::core
