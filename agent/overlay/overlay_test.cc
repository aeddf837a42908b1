// Overlay against an in-process fake of podswitchd's switch API: the tunnel port it asks for,
// the flows it keeps per remote node as the ClusterStore changes, and how it puts right what
// someone else changed in the switch.
#include "agent/overlay/overlay.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/switch/testing/fake_switch.h"
#include "dataplane/core/flow/flow_syntax.h"

namespace podswitch::agent::overlay {
namespace {

namespace v1 = switchd::v1;
using fakes::Eventually;
using fakes::FakeSwitch;

cluster::Node MakeNode(const std::string& name, const std::string& cidr, const std::string& ip) {
  cluster::Node node;
  node.meta.name = name;
  node.pod_cidrs = {cidr};
  node.internal_ip = ip;
  node.internal_ips = {ip};
  return node;
}

bool Contains(const std::vector<std::string>& texts, const std::string& part) {
  return std::any_of(texts.begin(), texts.end(),
                     [&](const std::string& text) { return text.find(part) != std::string::npos; });
}

class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("overlay_test.", getpid(), ".", counter_++);
    std::filesystem::create_directories(dir_);
    socket_ = (dir_ / "switchd.sock").string();
    client_ = std::make_unique<SwitchClient>(socket_, "overlay_test", absl::Seconds(2));
    store_.Apply("test", MakeNode("node-1", "10.225.1.0/24", "10.226.0.1"));
    store_.Apply("test", MakeNode("node-2", "10.225.2.0/24", "10.226.0.2"));
    store_.Apply("test", MakeNode("node-3", "10.225.3.0/24", "10.226.0.3"));
  }
  void TearDown() override {
    if (overlay_) overlay_->Stop();
    if (server_) server_->Shutdown();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void StartSwitch() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket_, grpc::InsecureServerCredentials());
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }

  void StartOverlay(absl::Duration resync_interval = absl::Seconds(10)) {
    auto overlay = Overlay::Create({.node_name = "node-1",
                                    .local_ip = "10.226.0.1",
                                    .vni = 1,
                                    .dst_port = 4789,
                                    .resync_interval = resync_interval,
                                    .retry_interval = absl::Milliseconds(50)},
                                   client_.get());
    ASSERT_TRUE(overlay.ok()) << overlay.status();
    overlay_ = std::move(*overlay);
    overlay_->Start(&store_);
  }

  size_t FlowCount() { return fake_.FlowTexts().size(); }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::string socket_;
  FakeSwitch fake_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<SwitchClient> client_;
  cluster::ClusterStore store_;
  std::unique_ptr<Overlay> overlay_;
};

TEST_F(OverlayTest, CreatesTunnelPortAndFlowsToEachRemoteNode) {
  StartSwitch();
  StartOverlay();
  ASSERT_TRUE(Eventually([&] { return overlay_->InSync(); }));
  std::optional<v1::Port> tun = fake_.Port("tun0");
  ASSERT_TRUE(tun.has_value());
  EXPECT_EQ(tun->bridge(), "br-int");
  EXPECT_EQ(tun->type(), "vxlan");
  EXPECT_EQ(tun->options().at("local_ip"), "10.226.0.1");
  EXPECT_EQ(tun->options().at("remote_ip"), "flow");
  EXPECT_EQ(tun->options().at("key"), "flow");
  EXPECT_EQ(tun->options().at("dst_port"), "4789");

  std::vector<std::string> flows = fake_.FlowTexts();
  EXPECT_EQ(flows.size(), 4u);
  EXPECT_TRUE(Contains(flows, "nw_dst=10.225.2.0/24 actions=set_field:10.226.0.2->tun_dst"));
  EXPECT_TRUE(Contains(flows, "tun_src=10.226.0.3,nw_src=10.225.3.0/24 actions=goto_table:10"));
  EXPECT_FALSE(Contains(flows, "10.225.1.0/24")) << "no tunnel to the local node";
  EXPECT_EQ(overlay_->RemoteNodes().size(), 2u);
}

TEST_F(OverlayTest, FollowsNodesAddedMovedAndDeleted) {
  StartSwitch();
  StartOverlay();
  ASSERT_TRUE(Eventually([&] { return FlowCount() == 4; }));

  store_.Delete({.kind = cluster::ObjectKind::kNode, .name = "node-3"});
  ASSERT_TRUE(Eventually([&] { return FlowCount() == 2; }));
  EXPECT_FALSE(Contains(fake_.FlowTexts(), "10.225.3.0/24"));

  // A moved node's flows change in place: added first, the old admission flow then deleted
  // strictly, never the whole cookie (which would leave a moment with no route).
  int cookie_deletes = fake_.cookie_deletes();
  store_.Apply("test", MakeNode("node-2", "10.225.2.0/24", "10.226.0.22"));
  ASSERT_TRUE(Eventually([&] { return Contains(fake_.FlowTexts(), "tun_src=10.226.0.22"); }));
  ASSERT_TRUE(Eventually([&] { return FlowCount() == 2; }));
  EXPECT_FALSE(Contains(fake_.FlowTexts(), "10.226.0.2->tun_dst"));
  EXPECT_FALSE(Contains(fake_.FlowTexts(), "tun_src=10.226.0.2,"));
  EXPECT_EQ(fake_.cookie_deletes(), cookie_deletes);

  store_.Apply("test", MakeNode("node-4", "10.225.4.0/24", "10.226.0.4"));
  ASSERT_TRUE(Eventually([&] { return Contains(fake_.FlowTexts(), "nw_dst=10.225.4.0/24"); }));
  EXPECT_EQ(FlowCount(), 4u);

  // A node that loses its InternalIP has nowhere to tunnel to.
  cluster::Node no_ip = MakeNode("node-4", "10.225.4.0/24", "");
  no_ip.internal_ips.clear();
  store_.Apply("test", no_ip);
  ASSERT_TRUE(Eventually([&] { return FlowCount() == 2; }));
}

TEST_F(OverlayTest, ResyncRestoresLostFlowsAndRemovesStaleOnes) {
  StartSwitch();
  // Left by an earlier agent: a node the cluster no longer has. Not an overlay flow: stays.
  fake_.PutPort([] {
    v1::Port port;
    port.set_bridge("br-int");
    port.set_name("podswitch0");
    port.set_type("tap");
    return port;
  }());
  fake_.AddFlowDirectly(absl::StrCat("cookie=0x", absl::Hex(RemoteNodeFlowCookie("node-9")),
                                     ",table=10,priority=100,ip,nw_dst=10.225.9.0/24,"
                                     "actions=output:podswitch0"));
  fake_.AddFlowDirectly("cookie=0x1,table=10,priority=10,ip,actions=output:podswitch0");
  StartOverlay(absl::Milliseconds(200));
  ASSERT_TRUE(Eventually([&] { return FlowCount() == 5 && overlay_->InSync(); }));
  EXPECT_FALSE(Contains(fake_.FlowTexts(), "10.225.9.0/24"));
  EXPECT_TRUE(Contains(fake_.FlowTexts(), "cookie=0x1,"));

  fake_.ClearFlows();  // as if someone ran del-flows br-int
  ASSERT_TRUE(Eventually([&] { return FlowCount() == 4; }));

  // In sync, a resync only dumps: nothing is rewritten.
  ASSERT_TRUE(Eventually([&] { return overlay_->InSync(); }));
  int changes = fake_.change_calls();
  int dumps = fake_.dump_calls();
  ASSERT_TRUE(Eventually([&] { return fake_.dump_calls() >= dumps + 2; }));
  EXPECT_EQ(fake_.change_calls(), changes);
}

TEST_F(OverlayTest, RecreatesATunnelPortWithOtherOptions) {
  StartSwitch();
  v1::Port foreign;
  foreign.set_bridge("br-int");
  foreign.set_name("tun0");
  foreign.set_type("vxlan");
  (*foreign.mutable_options())["local_ip"] = "192.0.2.1";
  (*foreign.mutable_options())["remote_ip"] = "192.0.2.2";
  fake_.PutPort(foreign);
  StartOverlay();
  ASSERT_TRUE(Eventually([&] { return overlay_->InSync(); }));
  EXPECT_EQ(fake_.Port("tun0")->options().at("local_ip"), "10.226.0.1");
  EXPECT_EQ(fake_.Port("tun0")->options().at("remote_ip"), "flow");
  // The flows name the new tun0's number.
  EXPECT_TRUE(Contains(fake_.FlowTexts(), absl::StrCat("output:", fake_.Port("tun0")->ofport())));
}

TEST_F(OverlayTest, WaitsForPodswitchd) {
  StartOverlay();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_FALSE(overlay_->InSync());
  StartSwitch();
  ASSERT_TRUE(Eventually([&] { return overlay_->InSync() && FlowCount() == 4; }));
  EXPECT_TRUE(fake_.Port("tun0").has_value());
}

TEST(OverlayCreateTest, RefusesBadOptions) {
  SwitchClient client("/nonexistent.sock", "test");
  EXPECT_EQ(Overlay::Create({.node_name = "n", .local_ip = "10.0.0.300"}, &client).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Overlay::Create({.node_name = "n", .local_ip = "10.0.0.1", .vni = 1u << 24}, &client)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Overlay::Create({.node_name = "n", .local_ip = "10.0.0.1", .dst_port = 0}, &client)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Overlay::Create({.node_name = "", .local_ip = "10.0.0.1"}, &client).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Overlay::Create({.node_name = "n", .local_ip = "10.0.0.1"}, &client).ok());
}

}  // namespace
}  // namespace podswitch::agent::overlay
