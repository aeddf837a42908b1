#include "agent/overlay/flow_resync.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/overlay/tunnel_flows.h"
#include "dataplane/core/flow/flow_syntax.h"

namespace podswitch::agent::overlay {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr uint32_t kTunnelOfport = 3;

const RemoteNode kNode2{
    .name = "node-2", .pod_cidrs = {"10.225.2.0/24"}, .internal_ip = "10.226.0.2"};
const RemoteNode kNode3{
    .name = "node-3", .pod_cidrs = {"10.225.3.0/24"}, .internal_ip = "10.226.0.3"};

// A flow as podswitchd dumps it after an agent added `text` (ports by number, values in the
// printer's spelling). `text` may spell things differently from RemoteNodeFlows on purpose.
switchd::v1::Flow Installed(const std::string& text) {
  auto spec = core::ParseFlow(text, core::FlowTextMode::kAdd);
  EXPECT_TRUE(spec.ok()) << text << ": " << spec.status();
  switchd::v1::Flow flow;
  flow.set_table(spec->table);
  flow.set_priority(spec->priority);
  flow.set_cookie(spec->cookie);
  flow.set_match(core::FormatMatch(spec->match));
  flow.set_actions(core::FormatActions(spec->actions));
  flow.set_text(core::FormatFlow(*spec));
  return flow;
}

std::string CookieOf(const RemoteNode& node) {
  return absl::StrCat("cookie=0x", absl::Hex(RemoteNodeFlowCookie(node.name)), ",");
}

// node-2's two flows as another writer spelled them: numbers for tun0, decimal VNI.
std::vector<switchd::v1::Flow> Node2AsInstalled() {
  std::string cookie = CookieOf(kNode2);
  return {Installed(cookie +
                    "table=10,priority=100,ip,nw_dst=10.225.2.0/24,actions=set_field:10.226.0.2->"
                    "tun_dst,set_field:1->tun_id,output:3"),
          Installed(cookie + "table=0,priority=100,ip,in_port=3,tun_src=10.226.0.2,tun_id=1,nw_src="
                             "10.225.2.0/24,actions=goto_table:10")};
}

std::map<uint64_t, std::vector<std::string>> Desired(const std::vector<RemoteNode>& nodes) {
  std::map<uint64_t, std::vector<std::string>> desired;
  for (const RemoteNode& node : nodes) {
    desired[RemoteNodeFlowCookie(node.name)] = RemoteNodeFlows(node, 1);
  }
  return desired;
}

TEST(PlanResyncTest, NothingWantedNothingInstalled) {
  auto plan = PlanResync({}, {}, kTunnelOfport);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->empty());
}

TEST(PlanResyncTest, InstalledFlowsEqualToWantedOnesAreLeftAlone) {
  auto plan = PlanResync(Desired({kNode2}), Node2AsInstalled(), kTunnelOfport);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->empty()) << "rewrite " << plan->rewrite.size() << ", stale "
                             << plan->stale.size();
}

TEST(PlanResyncTest, MissingNodeIsWritten) {
  auto plan = PlanResync(Desired({kNode2, kNode3}), Node2AsInstalled(), kTunnelOfport);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->rewrite, ElementsAre(RemoteNodeFlowCookie("node-3")));
  EXPECT_THAT(plan->stale, IsEmpty());
}

TEST(PlanResyncTest, NodeNoLongerWantedIsStale) {
  auto plan = PlanResync({}, Node2AsInstalled(), kTunnelOfport);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->stale, ElementsAre(RemoteNodeFlowCookie("node-2")));
  EXPECT_THAT(plan->rewrite, IsEmpty());
}

TEST(PlanResyncTest, HalfOfANodesFlowsIsRewritten) {
  std::vector<switchd::v1::Flow> installed = Node2AsInstalled();
  installed.pop_back();
  auto plan = PlanResync(Desired({kNode2}), installed, kTunnelOfport);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->rewrite, ElementsAre(RemoteNodeFlowCookie("node-2")));
}

TEST(PlanResyncTest, MovedNodeIsRewritten) {
  RemoteNode moved = kNode2;
  moved.internal_ip = "10.226.0.22";
  auto plan = PlanResync(Desired({moved}), Node2AsInstalled(), kTunnelOfport);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->rewrite, ElementsAre(RemoteNodeFlowCookie("node-2")));
}

TEST(PlanResyncTest, RecreatedTunnelPortRewritesEveryNode) {
  // tun0 came back under another ofport: the installed flows point at the old number.
  auto plan = PlanResync(Desired({kNode2}), Node2AsInstalled(), kTunnelOfport + 1);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->rewrite, ElementsAre(RemoteNodeFlowCookie("node-2")));
}

TEST(PlanResyncTest, ExtraFlowUnderAWantedCookieIsRewritten) {
  std::vector<switchd::v1::Flow> installed = Node2AsInstalled();
  installed.push_back(Installed(CookieOf(kNode2) + "table=10,priority=5,ip,actions=drop"));
  installed.push_back(Node2AsInstalled()[0]);
  auto plan = PlanResync(Desired({kNode2, kNode3}), installed, kTunnelOfport);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->rewrite,
              UnorderedElementsAre(RemoteNodeFlowCookie("node-2"), RemoteNodeFlowCookie("node-3")));
}

TEST(PlanResyncTest, UnparsableWantedFlowIsAnError) {
  std::map<uint64_t, std::vector<std::string>> desired = {
      {RemoteNodeFlowCookie("x"), {"table=10,ip,nw_dst=10.0.0.0/33,actions=output:tun0"}}};
  auto plan = PlanResync(desired, {}, kTunnelOfport);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(plan.status().message()), ::testing::HasSubstr("10.0.0.0/33"));
}

}  // namespace
}  // namespace podswitch::agent::overlay
