#include "agent/l2net/segment_tunnels.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/switch/testing/fake_switch.h"

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

namespace v1 = switchd::v1;
using fakes::Eventually;

// The loop against an in-process fake of podswitchd.
class SegmentTunnelsLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("segment_tunnels_test.", getpid(), ".", counter_++);
    std::filesystem::create_directories(dir_);
    std::string socket = (dir_ / "switchd.sock").string();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials());
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<SwitchClient>(socket, "segment_tunnels_test", absl::Seconds(2));
    for (int n = 1; n <= 3; ++n) {
      cluster::Node node;
      node.meta.name = absl::StrCat("node-", n);
      node.internal_ip = absl::StrCat("10.226.0.", n);
      node.internal_ips = {node.internal_ip};
      store_.Apply("test", node);
    }
    auto tunnels = SegmentTunnels::Create({.node_name = "node-1",
                                           .local_ip = "10.226.0.1",
                                           .resync_interval = absl::Milliseconds(100),
                                           .retry_interval = absl::Milliseconds(50)},
                                          client_.get(), [this] {
                                            absl::MutexLock lock(&mu_);
                                            return segments_;
                                          });
    ASSERT_TRUE(tunnels.ok()) << tunnels.status();
    tunnels_ = std::move(*tunnels);
  }
  void TearDown() override {
    if (tunnels_) tunnels_->Stop();
    server_->Shutdown();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  void SetSegments(std::set<Segment> segments) {
    {
      absl::MutexLock lock(&mu_);
      segments_ = std::move(segments);
    }
    tunnels_->Wake();
  }
  bool HasPort(uint32_t vni, const std::string& ip) {
    auto port = fake_.Port(SegmentTunnelPortName(vni, ip));
    return port.has_value() && port->bridge() == "br-vx" && port->options().at("remote_ip") == ip &&
           port->options().at("key") == absl::StrCat(vni);
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  fakes::FakeSwitch fake_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<SwitchClient> client_;
  cluster::ClusterStore store_;
  std::unique_ptr<SegmentTunnels> tunnels_;
  absl::Mutex mu_;
  std::set<Segment> segments_ ABSL_GUARDED_BY(mu_);
};

TEST_F(SegmentTunnelsLoopTest, PortsFollowNodesAndMembersAndAreRepaired) {
  SetSegments({{"br-vx", 100}});
  v1::Port foreign;
  foreign.set_bridge("br-vx");
  foreign.set_name("uplink0");
  foreign.set_type("afpacket");
  fake_.PutPort(foreign);
  tunnels_->Start(&store_);
  ASSERT_TRUE(Eventually([&] { return HasPort(100, "10.226.0.2") && HasPort(100, "10.226.0.3"); }));
  EXPECT_FALSE(fake_.Port(SegmentTunnelPortName(100, "10.226.0.1")).has_value()) << "not to itself";

  store_.Delete({.kind = cluster::ObjectKind::kNode, .name = "node-3"});
  ASSERT_TRUE(Eventually([&] { return !fake_.Port(SegmentTunnelPortName(100, "10.226.0.3")); }));
  EXPECT_TRUE(HasPort(100, "10.226.0.2"));

  // Someone deletes a tunnel port: the resync puts it back.
  fake_.DeletePortDirectly(SegmentTunnelPortName(100, "10.226.0.2"));
  ASSERT_TRUE(Eventually([&] { return HasPort(100, "10.226.0.2"); }));

  // The last local member leaves: the segment's ports go, the operator's port stays.
  SetSegments({});
  ASSERT_TRUE(Eventually([&] { return !fake_.Port(SegmentTunnelPortName(100, "10.226.0.2")); }));
  EXPECT_TRUE(fake_.Port("uplink0").has_value());
}

TEST_F(SegmentTunnelsLoopTest, ReachesOnlyNodesWithMembersWhenTheClusterSaysWhich) {
  SetSegments({{"br-vx", 100}});
  tunnels_->Start(&store_);
  ASSERT_TRUE(Eventually([&] { return HasPort(100, "10.226.0.2") && HasPort(100, "10.226.0.3"); }));

  cluster::NetworkAttachmentDefinition definition;
  definition.meta = {.name = "vx100", .namespace_ = "app"};
  definition.config = R"({"cniVersion":"1.0.0","name":"vx100","type":"podswitch","vni":100})";
  store_.Apply("test", definition);
  cluster::Pod pod;
  pod.meta = {
      .name = "b", .namespace_ = "app", .annotations = {{cluster::kNetworksAnnotation, "vx100"}}};
  pod.node_name = "node-2";
  pod.phase = "Running";
  store_.Apply("test", pod);
  ASSERT_TRUE(Eventually([&] { return !fake_.Port(SegmentTunnelPortName(100, "10.226.0.3")); }));
  EXPECT_TRUE(HasPort(100, "10.226.0.2"));

  pod.meta.name = "c";
  pod.node_name = "node-3";
  store_.Apply("test", pod);
  ASSERT_TRUE(Eventually([&] { return HasPort(100, "10.226.0.3"); }));
}

}  // namespace
}  // namespace podswitch::agent::l2net
