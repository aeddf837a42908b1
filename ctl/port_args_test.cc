// Tests of the COLUMN=VALUE parsing behind add-port, set, get and clear.
#include "ctl/port_args.h"

#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(ParseAddPortArgs, EveryColumn) {
  auto request = ParseAddPortArgs(
      "br0", "p1",
      {"type=afxdp", "tag=10", "trunks=10,20", "vlan_mode=native-untagged", "admin_state=down",
       "ofport_request=7", "options:ifname=veth1", "options:n_rxq=2"},
      /*may_exist=*/true);
  ASSERT_TRUE(request.ok()) << request.status();
  const switchd::Port& port = request->port();
  EXPECT_TRUE(request->may_exist());
  EXPECT_EQ(port.bridge(), "br0");
  EXPECT_EQ(port.name(), "p1");
  EXPECT_EQ(port.type(), "afxdp");
  ASSERT_TRUE(port.has_tag());
  EXPECT_EQ(port.tag(), 10u);
  EXPECT_THAT(port.trunks(), ElementsAre(10u, 20u));
  EXPECT_EQ(port.vlan_mode(), "native-untagged");
  EXPECT_FALSE(port.admin_up());
  EXPECT_EQ(port.ofport(), 7u);
  EXPECT_THAT(port.options(), UnorderedElementsAre(Pair("ifname", "veth1"), Pair("n_rxq", "2")));
}

TEST(ParseAddPortArgs, DefaultsLeaveTheServerToChoose) {
  auto request = ParseAddPortArgs("br0", "p1", {}, /*may_exist=*/false);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_FALSE(request->port().has_tag());
  EXPECT_EQ(request->port().type(), "");
  EXPECT_EQ(request->port().ofport(), 0u);
  EXPECT_TRUE(request->port().admin_up());
}

TEST(ParseAddPortArgs, OptionValueMayContainEqualsAndColons) {
  auto request =
      ParseAddPortArgs("br0", "vx", {"options:remote_ip=fd00::1", "options:k=a=b"}, false);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->port().options(),
              UnorderedElementsAre(Pair("remote_ip", "fd00::1"), Pair("k", "a=b")));
}

TEST(ParseAddPortArgs, TagOutOfRangeNamesTag) {
  auto request = ParseAddPortArgs("br0", "p1", {"tag=4096"}, false);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(request.status().message(), HasSubstr("tag=4096"));
  EXPECT_THAT(request.status().message(), HasSubstr("0 to 4095"));
}

TEST(ParseAddPortArgs, BadValuesNameColumnAndValue) {
  struct Case {
    const char* word;
    const char* expected;
  };
  for (const Case& c :
       {Case{"tag=x", "tag=x"}, Case{"tag=-1", "tag=-1"}, Case{"tag=", "tag="},
        Case{"tag=+5", "tag=+5"}, Case{"trunks=1,x", "\"x\""}, Case{"trunks=1,5000", "\"5000\""},
        Case{"trunks=[1,2", "missing ']'"}, Case{"vlan_mode=bogus", "vlan_mode=bogus"},
        Case{"admin_state=maybe", "admin_state=maybe"},
        Case{"ofport_request=0", "ofport_request=0"}, Case{"options:=v", "option key is empty"},
        Case{"options:k", "options:KEY=VALUE"}, Case{"options=x", "options:KEY"},
        Case{"tag", "COLUMN=VALUE"}, Case{"type=", "type"}}) {
    auto request = ParseAddPortArgs("br0", "p1", {c.word}, false);
    ASSERT_FALSE(request.ok()) << c.word;
    EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument) << c.word;
    EXPECT_THAT(request.status().message(), HasSubstr(c.expected)) << c.word;
  }
}

TEST(ParseAddPortArgs, UnknownColumnLikeOvsVsctl) {
  auto request = ParseAddPortArgs("br0", "p1", {"colour=blue"}, false);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().message(),
            "Port does not contain a column whose name matches \"colour\"");
}

TEST(ParseAddPortArgs, LongNamesAreTheServersJob) {
  auto request = ParseAddPortArgs("br0", "a-name-longer-than-15", {}, false);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->port().name(), "a-name-longer-than-15");
}

TEST(ParseTrunks, AcceptsOvsSpellings) {
  EXPECT_THAT(*ParseTrunks("10,20"), ElementsAre(10u, 20u));
  EXPECT_THAT(*ParseTrunks("[10, 20]"), ElementsAre(10u, 20u));
  EXPECT_THAT(*ParseTrunks("0,4095"), ElementsAre(0u, 4095u));
  EXPECT_TRUE(ParseTrunks("[]")->empty());
  EXPECT_FALSE(ParseTrunks("10,,20").ok());
}

TEST(ParseSetPortArgs, OnlyNamedColumnsChange) {
  auto request = ParseSetPortArgs(PortTable::kPort, "p1", {"tag=10"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->name(), "p1");
  ASSERT_TRUE(request->has_tag());
  EXPECT_EQ(request->tag(), 10u);
  EXPECT_FALSE(request->set_trunks());
  EXPECT_FALSE(request->has_vlan_mode());
  EXPECT_FALSE(request->has_admin_up());
  EXPECT_TRUE(request->set_options().empty());
}

TEST(ParseSetPortArgs, SeveralColumns) {
  auto request = ParseSetPortArgs(
      PortTable::kInterface, "p1",
      {"trunks=10,20", "vlan_mode=trunk", "admin_state=up", "options:remote_ip=10.0.0.2"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_TRUE(request->set_trunks());
  EXPECT_THAT(request->trunks(), ElementsAre(10u, 20u));
  EXPECT_EQ(request->vlan_mode(), "trunk");
  EXPECT_TRUE(request->admin_up());
  EXPECT_THAT(request->set_options(), UnorderedElementsAre(Pair("remote_ip", "10.0.0.2")));
}

TEST(ParseSetPortArgs, EmptySetClears) {
  auto request = ParseSetPortArgs(PortTable::kPort, "p1", {"tag=[]", "trunks=[]"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_TRUE(request->remove_tag());
  EXPECT_FALSE(request->has_tag());
  EXPECT_TRUE(request->set_trunks());
  EXPECT_TRUE(request->trunks().empty());
}

TEST(ParseSetPortArgs, Errors) {
  EXPECT_THAT(ParseSetPortArgs(PortTable::kPort, "p1", {}).status().message(),
              HasSubstr("COLUMN=VALUE"));
  EXPECT_THAT(ParseSetPortArgs(PortTable::kInterface, "p1", {"type=tap"}).status().message(),
              HasSubstr("cannot change type"));
  EXPECT_EQ(ParseSetPortArgs(PortTable::kInterface, "p1", {"ofport=3"}).status().message(),
            "cannot modify read-only column ofport in table Interface");
  EXPECT_EQ(ParseSetPortArgs(PortTable::kInterface, "p1", {"mtu=9000"}).status().message(),
            "Interface does not contain a column whose name matches \"mtu\"");
}

TEST(ParsePortTable, PortOrInterface) {
  EXPECT_EQ(*ParsePortTable("port"), PortTable::kPort);
  EXPECT_EQ(*ParsePortTable("Interface"), PortTable::kInterface);
  EXPECT_THAT(ParsePortTable("bridge").status().message(), HasSubstr("unknown table \"bridge\""));
}

switchd::Port SamplePort() {
  switchd::Port port;
  port.set_bridge("br0");
  port.set_name("p1");
  port.set_type("afxdp");
  port.set_ofport(3);
  port.set_tag(10);
  port.add_trunks(20);
  port.add_trunks(30);
  port.set_admin_up(true);
  port.set_link_state("up");
  (*port.mutable_options())["ifname"] = "veth1";
  (*port.mutable_options())["n_rxq"] = "2";
  return port;
}

TEST(ParseClearPortArgs, ClearsColumnsAndOptions) {
  auto request =
      ParseClearPortArgs(PortTable::kPort, SamplePort(), {"tag", "trunks", "vlan_mode", "options"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->name(), "p1");
  EXPECT_TRUE(request->remove_tag());
  EXPECT_TRUE(request->set_trunks());
  EXPECT_TRUE(request->trunks().empty());
  EXPECT_EQ(request->vlan_mode(), "");
  EXPECT_THAT(request->remove_options(), UnorderedElementsAre("ifname", "n_rxq"));

  request = ParseClearPortArgs(PortTable::kPort, SamplePort(), {"options:n_rxq"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->remove_options(), ElementsAre("n_rxq"));
  EXPECT_FALSE(request->remove_tag());

  EXPECT_FALSE(ParseClearPortArgs(PortTable::kPort, SamplePort(), {"type"}).ok());
  EXPECT_FALSE(ParseClearPortArgs(PortTable::kPort, SamplePort(), {"bogus"}).ok());
  EXPECT_FALSE(ParseClearPortArgs(PortTable::kPort, SamplePort(), {}).ok());
}

TEST(GetPortColumn, EveryColumn) {
  switchd::Port port = SamplePort();
  EXPECT_EQ(*GetPortColumn(PortTable::kPort, port, "tag"), 10);
  EXPECT_EQ(*GetPortColumn(PortTable::kPort, port, "trunks"), nlohmann::json({20, 30}));
  EXPECT_TRUE(GetPortColumn(PortTable::kPort, port, "vlan_mode")->is_null());
  EXPECT_EQ(*GetPortColumn(PortTable::kInterface, port, "type"), "afxdp");
  EXPECT_EQ(*GetPortColumn(PortTable::kInterface, port, "ofport"), 3);
  EXPECT_EQ(*GetPortColumn(PortTable::kInterface, port, "admin_state"), "up");
  EXPECT_EQ(*GetPortColumn(PortTable::kInterface, port, "link_state"), "up");
  EXPECT_TRUE(GetPortColumn(PortTable::kInterface, port, "error")->is_null());
  EXPECT_EQ(*GetPortColumn(PortTable::kInterface, port, "options"),
            nlohmann::json({{"ifname", "veth1"}, {"n_rxq", "2"}}));
  EXPECT_EQ(*GetPortColumn(PortTable::kInterface, port, "options:ifname"), "veth1");
  EXPECT_EQ(*GetPortColumn(PortTable::kPort, port, "bridge"), "br0");
  port.clear_tag();
  EXPECT_TRUE(GetPortColumn(PortTable::kPort, port, "tag")->is_null());
}

TEST(GetPortColumn, MissingKeyAndUnknownColumn) {
  auto missing = GetPortColumn(PortTable::kInterface, SamplePort(), "options:remote_ip");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "no key \"remote_ip\" in Interface record \"p1\" column options");
  EXPECT_EQ(GetPortColumn(PortTable::kPort, SamplePort(), "colour").status().message(),
            "Port does not contain a column whose name matches \"colour\"");
}

}  // namespace
}  // namespace podswitch::ctl
