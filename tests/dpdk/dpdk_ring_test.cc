// The DPDK layer without kernel interfaces: EAL arguments, port errors, and a Datapath whose
// bridges switch frames between net_ring ports that the test feeds and drains directly.
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "dataplane/core/testing/packet_builder.h"
#include "dataplane/dpdk/eal.h"
#include "dataplane/dpdk/pmd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dpdk/test_support.h"

namespace podswitch::dpdk {
namespace {

using core::PacketBuilder;
using ::testing::HasSubstr;
using namespace testing;  // NOLINT: the test helpers

[[maybe_unused]] const bool kRegistered = [] {
  RegisterEalEnvironment("psd_ring_test");
  return true;
}();

using Frames = std::vector<std::vector<uint8_t>>;

constexpr char kMacA[] = "02:00:00:00:00:0a";
constexpr char kMacB[] = "02:00:00:00:00:0b";

// A ring port handed to a Datapath, with the rings the test talks through.
struct RingPort {
  rte_ring* to_switch;
  rte_ring* from_switch;
};

void Inject(const RingPort& port, const std::vector<uint8_t>& frame) {
  rte_mbuf* m = rte_pktmbuf_alloc(TestPool());
  ASSERT_NE(m, nullptr);
  char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
  std::memcpy(data, frame.data(), frame.size());
  ASSERT_EQ(rte_ring_enqueue(port.to_switch, m), 0);
}

// Frames that left through `port` within `wait`.
std::vector<std::vector<uint8_t>> Drain(
    const RingPort& port, std::chrono::milliseconds wait = std::chrono::milliseconds(300)) {
  std::vector<std::vector<uint8_t>> frames;
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    void* obj;
    while (rte_ring_dequeue(port.from_switch, &obj) == 0) {
      auto* m = static_cast<rte_mbuf*>(obj);
      const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
      frames.emplace_back(p, p + m->data_len);
      rte_pktmbuf_free(m);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return frames;
}

std::vector<uint8_t> Frame(const char* src, const char* dst) {
  return PacketBuilder()
      .Eth(src, dst)
      .Ipv4("10.250.0.1", "10.250.0.2")
      .Udp(1000, 2000)
      .Payload(32)
      .Build();
}

class RingDatapathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (TestPool() == nullptr) GTEST_SKIP() << "EAL did not start";
    absl::StatusOr<std::unique_ptr<Datapath>> dp = Datapath::Start({.pmd_threads = 2});
    ASSERT_TRUE(dp.ok()) << dp.status();
    dp_ = std::move(*dp);
    ASSERT_TRUE(dp_->AddBridge("br0").ok());
    ASSERT_TRUE(AddFlow(*dp_, "br0", "priority=0,actions=NORMAL").ok());
  }

  RingPort Attach(uint32_t ofport, core::PortVlanConfig vlan = {}) {
    std::unique_ptr<Port> port = OpenPort("ring" + std::to_string(ofport), "ring");
    if (port == nullptr) return {};
    RingPort rings{port->ring_to_switch(), port->ring_from_switch()};
    absl::Status status = dp_->AttachPort("br0", ofport, std::move(port), std::move(vlan));
    EXPECT_TRUE(status.ok()) << status;
    return rings;
  }

  std::unique_ptr<Datapath> dp_;
};

TEST(EalArgsTest, NoHugepagesMeansNoHugeWithMemory) {
  EalOptions options{.instance = "x1", .pmd_lcores = {1}};
  std::vector<std::string> args = BuildEalArgs(options, HugepageState{.usable = false});
  EXPECT_THAT(args, ::testing::IsSupersetOf({"--file-prefix=x1", "--no-pci", "--no-huge", "-m",
                                             "1024", "--proc-type=primary"}));
  EXPECT_THAT(args, ::testing::Contains(HasSubstr(",1@1")));
  args = BuildEalArgs(options, HugepageState{.mounted = true, .free_mb = 1024, .usable = true});
  EXPECT_THAT(args, ::testing::Contains("--single-file-segments"));
  EXPECT_THAT(args, ::testing::Not(::testing::Contains("--no-huge")));
}

TEST(EalArgsTest, ExtraArgumentsComeLast) {
  EalOptions options{.extra_args = "  --log-level=debug  --vdev=net_null0 "};
  std::vector<std::string> args = BuildEalArgs(options, HugepageState{});
  ASSERT_GE(args.size(), 2u);
  EXPECT_EQ(args[args.size() - 2], "--log-level=debug");
  EXPECT_EQ(args.back(), "--vdev=net_null0");
}

TEST(EalArgsTest, PoolSizeGrowsWithPorts) {
  EXPECT_EQ(PacketPoolSize(1), 8191u);
  EXPECT_GE(PacketPoolSize(64), 64u * (kRxRingSize + kTxRingSize));
}

TEST(EalArgsTest, SecondStartIsRefused) {
  if (TestPool() == nullptr) GTEST_SKIP() << "EAL did not start";
  absl::Status status = StartEal({});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

TEST(PortTest, UnknownTypeListsValidTypes) {
  if (TestPool() == nullptr) GTEST_SKIP() << "EAL did not start";
  auto port = Port::Open({.name = "p1", .type = "vxlan2"}, TestPool());
  ASSERT_EQ(port.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(port.status().message()), HasSubstr("afxdp, afpacket, vhostuser"));
}

TEST(PortTest, MissingInterfaceIsNamed) {
  if (TestPool() == nullptr) GTEST_SKIP() << "EAL did not start";
  for (const char* type : {"afxdp", "afpacket"}) {
    auto port = Port::Open({.name = "psdnoveth0", .type = type}, TestPool());
    ASSERT_EQ(port.status().code(), absl::StatusCode::kNotFound) << type;
    EXPECT_THAT(std::string(port.status().message()),
                HasSubstr("no such network interface 'psdnoveth0'"));
  }
}

TEST(PortTest, NullPortOpensAndCloses) {
  if (TestPool() == nullptr) GTEST_SKIP() << "EAL did not start";
  for (int round = 0; round < 2; ++round) {  // the same vdev name is free again after close
    std::unique_ptr<Port> port = OpenPort("null0", "null");
    ASSERT_NE(port, nullptr);
    rte_mbuf* burst[4];
    EXPECT_EQ(port->RxBurst(burst, 4), 0);
  }
}

TEST_F(RingDatapathTest, NormalLearnsAndForwards) {
  RingPort a = Attach(1);
  RingPort b = Attach(2);
  RingPort c = Attach(3);
  // Unknown destination: flooded to 2 and 3 (one copy, one handed-over mbuf).
  Inject(a, Frame(kMacA, kMacB));
  EXPECT_EQ(Drain(b), Frames{Frame(kMacA, kMacB)});
  EXPECT_EQ(Drain(c).size(), 1u);
  // B answers: A was learned on port 1, so only port 1 sees it.
  Inject(b, Frame(kMacB, kMacA));
  EXPECT_EQ(Drain(a), Frames{Frame(kMacB, kMacA)});
  EXPECT_TRUE(Drain(c, std::chrono::milliseconds(50)).empty());
  absl::StatusOr<std::vector<AttachedPortStats>> stats = dp_->GetPortStats("br0");
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->size(), 3u);
  EXPECT_EQ((*stats)[0].stats.tx_packets, 1u);
  EXPECT_EQ((*stats)[0].stats.rx_packets, 1u);
}

TEST_F(RingDatapathTest, AccessPortFramesLeaveTrunkTagged) {
  RingPort access = Attach(1, {.tag = 10});
  RingPort trunk = Attach(2, {.trunks = {10, 20}});
  Inject(access, Frame(kMacA, kMacB));
  std::vector<std::vector<uint8_t>> out = Drain(trunk);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], PacketBuilder()
                        .Eth(kMacA, kMacB)
                        .Vlan(10)
                        .Ipv4("10.250.0.1", "10.250.0.2")
                        .Udp(1000, 2000)
                        .Payload(32)
                        .Build());
  // And back: the tag comes off toward the access port.
  Inject(trunk, PacketBuilder()
                    .Eth(kMacB, kMacA)
                    .Vlan(10)
                    .Ipv4("10.250.0.2", "10.250.0.1")
                    .Udp(2000, 1000)
                    .Payload(32)
                    .Build());
  EXPECT_EQ(Drain(access), Frames{PacketBuilder()
                                      .Eth(kMacB, kMacA)
                                      .Ipv4("10.250.0.2", "10.250.0.1")
                                      .Udp(2000, 1000)
                                      .Payload(32)
                                      .Build()});
}

TEST_F(RingDatapathTest, OutputToMissingPortIsCounted) {
  RingPort a = Attach(1);
  ASSERT_TRUE(AddFlow(*dp_, "br0", "priority=10,in_port=1,actions=output:9").ok());
  Inject(a, Frame(kMacA, kMacB));
  Drain(a, std::chrono::milliseconds(100));
  auto dropped =
      dp_->RunOnBridge("br0", [](BridgeContext& b) { return b.counters().dropped_no_port; });
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 1u);
}

TEST_F(RingDatapathTest, ControlErrorsAreClear) {
  EXPECT_EQ(dp_->AddBridge("br0").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(dp_->RunOnBridge("nope", [](BridgeContext&) {}).code(), absl::StatusCode::kNotFound);
  Attach(1);
  absl::Status taken = dp_->AttachPort("br0", 1, OpenPort("ring1b", "ring"));
  EXPECT_EQ(taken.code(), absl::StatusCode::kAlreadyExists) << taken;
  absl::Status bad_vlan = dp_->AttachPort("br0", 2, OpenPort("ring2", "ring"), {.tag = 4096});
  EXPECT_EQ(bad_vlan.code(), absl::StatusCode::kInvalidArgument) << bad_vlan;
  EXPECT_EQ(dp_->DetachPort("br0", 7).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::unique_ptr<Port>> detached = dp_->DetachPort("br0", 1);
  ASSERT_TRUE(detached.ok());
  EXPECT_EQ((*detached)->name(), "ring1");
}

TEST_F(RingDatapathTest, BridgesSpreadOverPmds) {
  ASSERT_TRUE(dp_->AddBridge("br1").ok());
  std::vector<PmdStats> pmds = dp_->GetPmdStats();
  ASSERT_EQ(pmds.size(), 2u);
  EXPECT_EQ(pmds[0].bridges, 1u);
  EXPECT_EQ(pmds[1].bridges, 1u);
  EXPECT_NE(pmds[0].tid, pmds[1].tid);
  ASSERT_TRUE(dp_->DeleteBridge("br1").ok());
  EXPECT_EQ(dp_->ListBridges(), std::vector<std::string>{"br0"});
}

TEST_F(RingDatapathTest, IdlePmdSleepsAndWakesFast) {
  RingPort a = Attach(1);
  RingPort b = Attach(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // settle into sleeping
  int tid = 0;
  for (const PmdStats& pmd : dp_->GetPmdStats()) {
    if (pmd.bridges == 1) tid = pmd.tid;
  }
  ASSERT_NE(tid, 0);
  double before = ThreadCpuSeconds(tid);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  double share = (ThreadCpuSeconds(tid) - before) / 2.0;
  std::printf("idle PMD with 2 ring ports: %.2f%% of a core\n", share * 100);
  EXPECT_LT(share, 0.05);
  // A command reaches a sleeping PMD at once.
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(dp_->RunOnBridge("br0", [](BridgeContext&) {}).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
  // And a frame still gets through promptly.
  Inject(a, Frame(kMacA, kMacB));
  EXPECT_EQ(Drain(b, std::chrono::milliseconds(50)).size(), 1u);
}

}  // namespace
}  // namespace podswitch::dpdk
