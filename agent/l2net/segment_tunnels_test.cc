#include "agent/l2net/segment_tunnels.h"

#include <gtest/gtest.h>

namespace podswitch::agent::l2net {
namespace {

TEST(SegmentTunnelsTest, OnePortPerRemoteNodeWithFixedRemoteAndKey) {
  SegmentTunnelOptions options{.node_name = "node-1", .local_ip = "10.226.0.1", .dst_port = 4789};
  auto ports = SegmentTunnelPorts({"br-vx", 100},
                                  {{"node-2", "10.226.0.2"}, {"node-3", "10.226.0.3"}}, options);
  ASSERT_EQ(ports.size(), 2u);
  const auto& port = ports.at(SegmentTunnelPortName(100, "10.226.0.2"));
  EXPECT_EQ(port.bridge(), "br-vx");
  EXPECT_EQ(port.type(), "vxlan");
  EXPECT_EQ(port.options().at("local_ip"), "10.226.0.1");
  EXPECT_EQ(port.options().at("remote_ip"), "10.226.0.2");
  EXPECT_EQ(port.options().at("key"), "100");
  EXPECT_EQ(port.options().at("dst_port"), "4789");
}

TEST(SegmentTunnelsTest, PortNamesAreStableShortAndDistinct) {
  std::string name = SegmentTunnelPortName(100, "10.226.0.2");
  EXPECT_EQ(name.size(), 15u);
  EXPECT_EQ(name.rfind(kSegmentTunnelPrefix, 0), 0u);
  EXPECT_EQ(name, SegmentTunnelPortName(100, "10.226.0.2"));
  EXPECT_NE(name, SegmentTunnelPortName(101, "10.226.0.2"));
  EXPECT_NE(name, SegmentTunnelPortName(100, "10.226.0.3"));
}

TEST(SegmentTunnelsTest, RefusesALocalIpThatIsNotIpv4) {
  auto tunnels = SegmentTunnels::Create({.node_name = "n", .local_ip = "fe80::1"}, nullptr,
                                        [] { return std::set<Segment>{}; });
  EXPECT_EQ(tunnels.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace podswitch::agent::l2net
