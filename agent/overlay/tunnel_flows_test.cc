#include "agent/overlay/tunnel_flows.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "agent/podnet/pod_flows.h"
#include "dataplane/core/flow/flow_syntax.h"

namespace podswitch::agent::overlay {
namespace {

using ::testing::ElementsAre;

constexpr uint32_t kTunnelOfport = 7;

cluster::Node MakeNode(std::string name, std::vector<std::string> pod_cidrs,
                       std::string internal_ip) {
  cluster::Node node;
  node.meta.name = std::move(name);
  node.pod_cidrs = std::move(pod_cidrs);
  node.internal_ip = internal_ip;
  if (!internal_ip.empty()) node.internal_ips = {internal_ip};
  return node;
}

// Parses a flow as podswitchd does when tun0 is ofport kTunnelOfport.
absl::StatusOr<core::FlowSpec> Parse(const std::string& text) {
  return core::ParseFlow(text, core::FlowTextMode::kAdd, [](std::string_view name) {
    return name == kTunnelPort ? std::optional<uint32_t>(kTunnelOfport) : std::nullopt;
  });
}

TEST(RemoteNodeFlowCookieTest, TaggedStableAndDistinctFromPodAndBaseCookies) {
  uint64_t cookie = RemoteNodeFlowCookie("node-2");
  EXPECT_EQ(cookie & kRemoteNodeCookieMask, kRemoteNodeCookieTag);
  EXPECT_EQ(cookie, RemoteNodeFlowCookie("node-2"));
  EXPECT_NE(cookie, RemoteNodeFlowCookie("node-3"));
  EXPECT_NE(cookie, kBaseFlowCookie);
  // Pod cookies live under another top byte, whatever the name.
  for (const char* name : {"node-2", "psw1234abcd", "node-3", ""}) {
    EXPECT_NE(PodFlowCookie(name) & kRemoteNodeCookieMask, kRemoteNodeCookieTag) << name;
    EXPECT_EQ(RemoteNodeFlowCookie(name) & kRemoteNodeCookieMask, kRemoteNodeCookieTag) << name;
  }
}

TEST(RemoteNodeFlowCookieTest, ThousandNodesGetThousandCookies) {
  std::set<uint64_t> cookies;
  for (int i = 0; i < 1000; ++i) cookies.insert(RemoteNodeFlowCookie("node-" + std::to_string(i)));
  EXPECT_EQ(cookies.size(), 1000u);
}

TEST(RemoteNodeCookieFilterTest, SelectsTheTagByteOnly) {
  EXPECT_EQ(RemoteNodeCookieFilter(), "cookie=0x200000000000000/0xff00000000000000");
  EXPECT_TRUE(core::ParseFlow(RemoteNodeCookieFilter(), core::FlowTextMode::kMatchOnly).ok());
}

TEST(RemoteNodeFromNodeTest, RemoteNodeWithCidrAndInternalIp) {
  auto remote = RemoteNodeFromNode(MakeNode("node-2", {"10.225.2.0/24"}, "10.226.0.2"), "node-1");
  ASSERT_TRUE(remote.has_value());
  EXPECT_EQ(remote->name, "node-2");
  EXPECT_THAT(remote->pod_cidrs, ElementsAre("10.225.2.0/24"));
  EXPECT_EQ(remote->internal_ip, "10.226.0.2");
}

TEST(RemoteNodeFromNodeTest, TheLocalNodeGetsNoTunnel) {
  EXPECT_FALSE(RemoteNodeFromNode(MakeNode("node-1", {"10.225.1.0/24"}, "10.226.0.1"), "node-1"));
}

TEST(RemoteNodeFromNodeTest, NodesWithoutCidrOrIpv4InternalIpAreLeftOut) {
  EXPECT_FALSE(RemoteNodeFromNode(MakeNode("node-2", {}, "10.226.0.2"), "node-1"));
  EXPECT_FALSE(RemoteNodeFromNode(MakeNode("node-2", {"10.225.2.0/24"}, ""), "node-1"));
  EXPECT_FALSE(RemoteNodeFromNode(MakeNode("node-2", {"10.225.2.0/24"}, "fd00::2"), "node-1"));
  EXPECT_FALSE(
      RemoteNodeFromNode(MakeNode("node-2", {"fd00:10:244:2::/64"}, "10.226.0.2"), "node-1"));
}

TEST(RemoteNodeFromNodeTest, DualStackKeepsTheIpv4Cidrs) {
  auto remote = RemoteNodeFromNode(
      MakeNode("node-2", {"10.225.2.0/24", "fd00:10:244:2::/64", "10.225.102.0/24"}, "10.226.0.2"),
      "node-1");
  ASSERT_TRUE(remote.has_value());
  EXPECT_THAT(remote->pod_cidrs, ElementsAre("10.225.2.0/24", "10.225.102.0/24"));
}

TEST(RemoteNodeFlowsTest, RouteOutAndAdmitInPerCidr) {
  RemoteNode node{.name = "node-2", .pod_cidrs = {"10.225.2.0/24"}, .internal_ip = "10.226.0.2"};
  std::string cookie = "cookie=0x" + absl::StrCat(absl::Hex(RemoteNodeFlowCookie("node-2"))) + ",";
  EXPECT_THAT(
      RemoteNodeFlows(node, 1),
      ElementsAre(
          cookie + "table=10,priority=100,ip,nw_dst=10.225.2.0/24,actions=set_field:10.226.0.2"
                   "->tun_dst,set_field:0x1->tun_id,output:tun0",
          cookie + "table=0,priority=100,in_port=tun0,tun_id=0x1,tun_src=10.226.0.2,ip,nw_src="
                   "10.225.2.0/24,actions=goto_table:10"));
}

TEST(RemoteNodeFlowsTest, EveryFlowParsesAsPodswitchdParsesIt) {
  RemoteNode node{.name = "node-9",
                  .pod_cidrs = {"10.225.9.0/24", "10.230.0.0/16"},
                  .internal_ip = "192.168.7.9"};
  std::vector<std::string> flows = RemoteNodeFlows(node, 0xabcdef);
  ASSERT_EQ(flows.size(), 4u);
  for (const std::string& text : flows) {
    absl::StatusOr<core::FlowSpec> spec = Parse(text);
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.status();
    EXPECT_EQ(spec->cookie, RemoteNodeFlowCookie("node-9"));
    EXPECT_EQ(spec->priority, 100);
  }
  absl::StatusOr<core::FlowSpec> out = Parse(flows[2]);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->table, 10);
  EXPECT_EQ(core::FormatMatch(out->match), "ip,nw_dst=10.230.0.0/16");
  EXPECT_EQ(core::FormatActions(out->actions),
            "set_field:192.168.7.9->tun_dst,set_field:0xabcdef->tun_id,output:7");
  absl::StatusOr<core::FlowSpec> in = Parse(flows[3]);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->table, 0);
  EXPECT_EQ(core::FormatActions(in->actions), "goto_table:10");
}

TEST(RemoteNodeFlowsTest, RemoteCidrsRankBelowLocalPodsAndAboveTheDefaultRoute) {
  // In table 10 a local pod's delivery flow wins over any remote CIDR, and a remote CIDR wins
  // over "all other IP to the gateway".
  NodeNetwork local{
      .pod_cidr = "10.225.1.0/24", .gateway_ip = "10.225.1.1", .gateway_mac = "0a:58:0a:e1:01:01"};
  std::vector<std::string> flows = BaseFlows(local);
  for (std::string& flow :
       PodFlows(local, {.port = "psw1", .ip = "10.225.1.5", .mac = "0a:58:0a:e1:01:05"})) {
    flows.push_back(std::move(flow));
  }
  std::map<std::string, int32_t> table10;  // match -> priority
  for (const std::string& text : flows) {
    auto spec = core::ParseFlow(text, core::FlowTextMode::kAdd, [](std::string_view name) {
      return std::optional<uint32_t>(name == kGatewayPort ? 1 : 2);
    });
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.status();
    if (spec->table == 10) table10[core::FormatMatch(spec->match)] = spec->priority;
  }
  RemoteNode node{.name = "node-2", .pod_cidrs = {"10.225.2.0/24"}, .internal_ip = "10.226.0.2"};
  absl::StatusOr<core::FlowSpec> remote = Parse(RemoteNodeFlows(node, 1)[0]);
  ASSERT_TRUE(remote.ok());
  ASSERT_TRUE(table10.contains("ip"));
  ASSERT_TRUE(table10.contains("ip,nw_dst=10.225.1.5"));
  EXPECT_LT(table10["ip"], remote->priority);
  EXPECT_GT(table10["ip,nw_dst=10.225.1.5"], remote->priority);
}

TEST(TunnelPortOptionsTest, LocalIpFixedRemoteAndKeyPerFlow) {
  auto options = TunnelPortOptions("10.226.0.1", 4789);
  EXPECT_EQ(options.at("local_ip"), "10.226.0.1");
  EXPECT_EQ(options.at("remote_ip"), "flow");
  EXPECT_EQ(options.at("key"), "flow");
  EXPECT_EQ(options.at("dst_port"), "4789");
  EXPECT_EQ(options.size(), 4u);
}

}  // namespace
}  // namespace podswitch::agent::overlay
