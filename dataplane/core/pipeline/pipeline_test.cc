// Flow-mod semantics of the pipeline: add/replace, modify, strict and non-strict delete,
// cookies, timeouts, and the checks that refuse flows the datapath cannot run.
#include "dataplane/core/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include "dataplane/core/flow/flow_syntax.h"

namespace podswitch::core {
namespace {

FlowSpec Spec(std::string_view text, FlowTextMode mode = FlowTextMode::kAdd) {
  auto spec = ParseFlow(text, mode);
  EXPECT_TRUE(spec.ok()) << text << ": " << spec.status();
  return spec.ok() ? *spec : FlowSpec{};
}

// A filter the way del-flows/dump-flows build one from flow text.
FlowFilter Filter(std::string_view text, bool strict = false) {
  return FilterFromSpec(Spec(text, FlowTextMode::kMatchOnly), strict);
}

class PipelineTest : public ::testing::Test {
 protected:
  void Add(std::string_view text, uint64_t now_ms = 0) {
    absl::Status status = pipeline_.AddFlow(Spec(text), now_ms);
    ASSERT_TRUE(status.ok()) << text << ": " << status;
  }
  Pipeline pipeline_;
};

TEST_F(PipelineTest, AddingTheSameMatchAndPriorityReplaces) {
  Add("priority=10,ip,nw_dst=10.0.0.1,actions=output:1");
  Add("priority=10,ip,nw_dst=10.0.0.1,actions=output:2");
  Add("priority=11,ip,nw_dst=10.0.0.1,actions=output:3");
  EXPECT_EQ(pipeline_.flow_count(), 2u);
  auto flows = pipeline_.DumpFlows({});
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0]->priority, 11);  // highest priority first
  EXPECT_EQ(FormatActions(flows[1]->actions), "output:2");
}

TEST_F(PipelineTest, NonStrictDeleteRemovesEveryMoreSpecificFlow) {
  Add("priority=10,ip,nw_dst=10.0.0.1,actions=output:1");
  Add("priority=20,tcp,nw_dst=10.0.0.1,tp_dst=80,actions=output:1");
  Add("priority=30,ip,nw_dst=10.0.0.2,actions=output:1");
  Add("table=2,priority=10,ip,nw_dst=10.0.0.1,actions=output:1");
  EXPECT_EQ(pipeline_.DeleteFlows(Filter("ip,nw_dst=10.0.0.1")), 3u);
  EXPECT_EQ(pipeline_.flow_count(), 1u);
}

TEST_F(PipelineTest, StrictDeleteNeedsExactMatchAndPriority) {
  Add("priority=10,ip,nw_dst=10.0.0.1,actions=output:1");
  Add("priority=20,ip,nw_dst=10.0.0.1,actions=output:1");
  EXPECT_EQ(pipeline_.DeleteFlows(Filter("priority=10,ip", /*strict=*/true)), 0u);
  EXPECT_EQ(pipeline_.DeleteFlows(Filter("priority=10,ip,nw_dst=10.0.0.1", true)), 1u);
  EXPECT_EQ(pipeline_.flow_count(), 1u);
}

TEST_F(PipelineTest, CookieMaskAndOutPortSelectFlows) {
  Add("cookie=0x1234,priority=1,actions=output:1");
  Add("cookie=0x1299,priority=2,actions=output:2");
  Add("cookie=0x5500,priority=3,actions=output:2");
  EXPECT_EQ(pipeline_.DumpFlows(Filter("cookie=0x1200/0xff00")).size(), 2u);
  EXPECT_EQ(pipeline_.DumpFlows(Filter("out_port=2")).size(), 2u);
  EXPECT_EQ(pipeline_.DeleteFlows(Filter("cookie=0x1200/0xff00,out_port=2")), 1u);
}

TEST_F(PipelineTest, ModifyReplacesActionsOfSelectedFlows) {
  Add("priority=10,ip,actions=output:1");
  Add("priority=10,arp,actions=output:1");
  auto changed = pipeline_.ModifyFlows(Filter("ip"), Spec("actions=output:9").actions);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 1u);
  EXPECT_EQ(FormatActions(pipeline_.DumpFlows(Filter("ip"))[0]->actions), "output:9");
}

TEST_F(PipelineTest, IdleAndHardTimeoutsExpireFlows) {
  Add("priority=1,idle_timeout=10,actions=output:1", 0);
  Add("priority=2,hard_timeout=30,actions=output:1", 0);
  Add("priority=3,actions=output:1", 0);
  EXPECT_EQ(pipeline_.ExpireFlows(9'000), 0u);
  EXPECT_EQ(pipeline_.ExpireFlows(10'000), 1u);
  EXPECT_EQ(pipeline_.ExpireFlows(30'000), 1u);
  EXPECT_EQ(pipeline_.flow_count(), 1u);
}

TEST_F(PipelineTest, EveryFlowModChangesTheGeneration) {
  uint64_t g0 = pipeline_.generation();
  Add("actions=output:1");
  uint64_t g1 = pipeline_.generation();
  EXPECT_NE(g0, g1);
  pipeline_.DeleteFlows({});
  EXPECT_NE(pipeline_.generation(), g1);
}

TEST_F(PipelineTest, RefusesFlowsTheDatapathCannotRun) {
  // The flow syntax already refuses these; the pipeline checks again for other callers.
  FlowSpec backwards;
  backwards.table = 3;
  backwards.actions = {GotoTableAction{2}};
  EXPECT_EQ(pipeline_.AddFlow(backwards, 0).code(), absl::StatusCode::kInvalidArgument);
  FlowSpec not_last = backwards;
  not_last.actions = {GotoTableAction{4}, OutputAction{1}};
  EXPECT_EQ(pipeline_.AddFlow(not_last, 0).code(), absl::StatusCode::kInvalidArgument);
  absl::Status ipv6 = pipeline_.AddFlow(Spec("ipv6,actions=set_field:::1->ipv6_src"), 0);
  EXPECT_EQ(ipv6.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(ipv6.message().find("ipv6_src"), std::string::npos) << ipv6;
  EXPECT_EQ(pipeline_.flow_count(), 0u);
}

}  // namespace
}  // namespace podswitch::core
