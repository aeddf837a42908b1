#include "agent/l2net/segment_members.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace podswitch::agent::l2net {
namespace {

using ::testing::ElementsAre;

TEST(ParseNetworksAnnotationTest, TextAndJsonFormsAsMultusReadsThem) {
  EXPECT_THAT(ParseNetworksAnnotation(" vx100, other/vlan10 , mac@net2,", "app"),
              ElementsAre(NetworkSelection{"app", "vx100"}, NetworkSelection{"other", "vlan10"},
                          NetworkSelection{"app", "mac"}));
  EXPECT_THAT(
      ParseNetworksAnnotation(R"([{"name":"vx100","interface":"net1"},{"name":"b","namespace":"x"},
                                  {"namespace":"no-name"}, 7])",
                              "app"),
      ElementsAre(NetworkSelection{"app", "vx100"}, NetworkSelection{"x", "b"}));
  EXPECT_TRUE(ParseNetworksAnnotation("[not json", "app").empty());
  EXPECT_TRUE(ParseNetworksAnnotation("", "app").empty());
}

TEST(VniOfConfigTest, PlainConfigOrThePodswitchEntryOfAConflist) {
  EXPECT_EQ(VniOfConfig(R"({"cniVersion":"1.0.0","type":"podswitch","bridge":"b","vni":100})"),
            100u);
  EXPECT_EQ(VniOfConfig(R"({"plugins":[{"type":"tuning"},{"type":"podswitch","vni":7}]})"), 7u);
  EXPECT_FALSE(VniOfConfig(R"({"type":"podswitch","bridge":"b","vlan":10})").has_value());
  EXPECT_FALSE(VniOfConfig(R"({"type":"podswitch","vni":16777216})").has_value());
  EXPECT_FALSE(VniOfConfig("garbage").has_value());
}

cluster::Pod PodOn(std::string name, std::string node, std::string networks,
                   std::string phase = "Running") {
  cluster::Pod pod;
  pod.meta.name = std::move(name);
  pod.meta.namespace_ = "app";
  pod.meta.annotations[cluster::kNetworksAnnotation] = std::move(networks);
  pod.node_name = std::move(node);
  pod.phase = std::move(phase);
  return pod;
}

TEST(ComputeSegmentMembershipTest, NodesWithScheduledPodsOnTheVni) {
  cluster::NetworkAttachmentDefinition vx;
  vx.meta = {.name = "vx100", .namespace_ = "app"};
  vx.config =
      R"({"cniVersion":"1.0.0","name":"vx100","type":"podswitch","bridge":"br-vx","vni":100})";
  cluster::NetworkAttachmentDefinition other_ns = vx;
  other_ns.meta.namespace_ = "elsewhere";
  other_ns.config = R"({"type":"podswitch","vni":200})";
  SegmentMembership membership = ComputeSegmentMembership(
      {PodOn("a", "node-1", "vx100"), PodOn("b", "node-2", "vx100@net1"), PodOn("c", "", "vx100"),
       PodOn("d", "node-3", "vx100", "Succeeded"), PodOn("e", "node-3", "vx200")},
      {vx, other_ns});
  EXPECT_EQ(membership.NodesOf(100), (std::set<std::string>{"node-1", "node-2"}));
  EXPECT_EQ(membership.NodesOf(200), std::set<std::string>{}) << "vx200 is not in namespace app";
  EXPECT_FALSE(membership.NodesOf(300).has_value()) << "no definition: every node";
  EXPECT_FALSE(ComputeSegmentMembership({PodOn("a", "node-1", "vx100")}, {}).NodesOf(100));
}

}  // namespace
}  // namespace podswitch::agent::l2net
