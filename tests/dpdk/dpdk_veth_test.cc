// Pods (network namespaces) whose veths are af_xdp or af_packet ports of a bridge with
// NORMAL: ping and TCP between them, VLAN tags kept, ports added and removed under traffic,
// a pod's interface deleted under the switch, and the CPU an idle PMD burns.
#include <rte_mempool.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <thread>

#include "dataplane/dpdk/pmd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dpdk/test_support.h"

namespace podswitch::dpdk {
namespace {

using namespace testing;  // NOLINT: the test helpers

[[maybe_unused]] const bool kRegistered = [] {
  RegisterEalEnvironment("psd_veth_test");
  return true;
}();

class VethDatapathTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (TestPool() == nullptr) GTEST_SKIP() << "EAL did not start";
    ASSERT_TRUE(TestRangeFreeInRootNamespace()) << "10.250.0.0/16 is in use on this host";
    absl::StatusOr<std::unique_ptr<Datapath>> dp = Datapath::Start({.pmd_threads = 1});
    ASSERT_TRUE(dp.ok()) << dp.status();
    dp_ = std::move(*dp);
    ASSERT_TRUE(dp_->AddBridge("br0").ok());
    ASSERT_TRUE(AddFlow(*dp_, "br0", "priority=0,actions=NORMAL").ok());
  }

  // A pod named <prefix><id> with host-side veth <prefix>h<id>.
  ScopedPod& MakePod(char id, const std::string& ip_cidr) {
    std::string prefix = NamePrefix();
    pods_.push_back(std::make_unique<ScopedPod>(prefix + id, prefix + "h" + id, ip_cidr));
    EXPECT_TRUE(pods_.back()->ok()) << "could not create pod " << id;
    return *pods_.back();
  }

  void Attach(const ScopedPod& pod, uint32_t ofport, core::PortVlanConfig vlan = {}) {
    std::unique_ptr<Port> port = OpenPort(pod.host_if(), GetParam());
    ASSERT_NE(port, nullptr);
    absl::Status status = dp_->AttachPort("br0", ofport, std::move(port), std::move(vlan));
    ASSERT_TRUE(status.ok()) << status;
  }

  // Pods are declared first so they outlive the Datapath whose ports sit on their veths.
  std::vector<std::unique_ptr<ScopedPod>> pods_;
  std::unique_ptr<Datapath> dp_;
};

TEST_P(VethDatapathTest, PingAndTcpBetweenPods) {
  ScopedPod& a = MakePod('a', "10.250.1.1/24");
  ScopedPod& b = MakePod('b', "10.250.1.2/24");
  Attach(a, 1);
  Attach(b, 2);
  PingResult ping = Ping(a, b.ip(), 3, 0.2);
  EXPECT_EQ(ping.received, 3) << "sent " << ping.sent;

  auto server = std::async(std::launch::async, [&] {
    return ShOut("ip netns exec " + b.ns() + " timeout 20 nc -l -N 5001 | wc -c");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Sh("head -c 4000000 /dev/urandom | ip netns exec " + a.ns() + " timeout 20 nc -N " +
               b.ip() + " 5001"),
            0);
  EXPECT_EQ(server.get(), "4000000\n");

  auto macs =
      dp_->RunOnBridge("br0", [](BridgeContext& br) { return br.pipeline().macs().size(); });
  ASSERT_TRUE(macs.ok());
  EXPECT_EQ(*macs, 2u);
}

// Sends and receives raw 802.1Q frames on a pod's eth0 (this kernel has no 8021q module, so
// no VLAN interfaces). "send VID": five broadcast frames tagged VID, EtherType 0x88b5.
// "recv SECONDS": prints "vlan=VID" or "vlan=none" for the first 0x88b5 frame, reading the
// tag from the frame or, when the kernel took it out, from PACKET_AUXDATA.
constexpr char kVlanScript[] = R"(
import select, socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0))
if sys.argv[1] == "send":
    frame = (bytes.fromhex("ffffffffffff02000000000a") + struct.pack("!HHH", 0x8100, int(sys.argv[2]), 0x88b5)
             + b"podswitch-vlan-test" + bytes(40))
    for _ in range(5):
        s.send(frame)
        time.sleep(0.05)
    sys.exit(0)
s.setsockopt(263, 8, 1)  # SOL_PACKET, PACKET_AUXDATA
deadline = time.time() + float(sys.argv[2])
while time.time() < deadline:
    if not select.select([s], [], [], 0.1)[0]:
        continue
    data, anc, _, addr = s.recvmsg(4096, socket.CMSG_SPACE(32))
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    vlan = None
    for level, kind, cdata in anc:
        if level == 263 and kind == 8:
            status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", cdata[:20])
            if status & 0x10:  # TP_STATUS_VLAN_VALID
                vlan = tci & 0xfff
    etype = data[12:14]
    if etype == b"\x81\x00":
        vlan = struct.unpack("!H", data[14:16])[0] & 0xfff
        etype = data[16:18]
    if etype == b"\x88\xb5":
        print("vlan=%s" % ("none" if vlan is None else vlan))
        sys.exit(0)
print("nothing")
)";

TEST_P(VethDatapathTest, VlanTagSurvivesEveryPort) {
  // A (trunk) sends frames tagged 10. B is an access port of VLAN 10: it must get them
  // untagged; a frame whose tag was lost on the way in would be in VLAN 0 and never reach B.
  // C is a trunk: it must get them still tagged 10 (the tag went out through the port).
  ScopedPod& a = MakePod('a', "10.250.1.1/24");
  ScopedPod& b = MakePod('b', "10.250.1.2/24");
  ScopedPod& c = MakePod('c', "10.250.1.3/24");
  Attach(a, 1);
  Attach(b, 2, {.tag = 10});
  Attach(c, 3, {.trunks = {10}});
  std::string script = "/tmp/" + NamePrefix() + "_vlan.py";
  {
    std::ofstream out(script);
    out << kVlanScript;
  }
  auto receive = [&](const ScopedPod& pod) {
    return std::async(std::launch::async, [&pod, script] {
      return ShOut("ip netns exec " + pod.ns() + " /usr/bin/python3 " + script + " recv 4");
    });
  };
  auto at_b = receive(b);
  auto at_c = receive(c);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(a.Exec("/usr/bin/python3 " + script + " send 10"), 0);
  EXPECT_EQ(at_b.get(), "vlan=none\n");
  EXPECT_EQ(at_c.get(), "vlan=10\n");
  std::remove(script.c_str());
}

TEST_P(VethDatapathTest, HotPlugDoesNotDisturbOtherPorts) {
  ScopedPod& a = MakePod('a', "10.250.1.1/24");
  ScopedPod& b = MakePod('b', "10.250.1.2/24");
  ScopedPod& c = MakePod('c', "10.250.1.3/24");
  Attach(a, 1);
  Attach(b, 2);
  ASSERT_EQ(Ping(a, b.ip(), 1, 0.2).received, 1);  // ARP settled
  auto ping = std::async(std::launch::async, [&] { return Ping(a, b.ip(), 40, 0.05); });
  for (int round = 0; round < 3; ++round) {
    Attach(c, 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    absl::StatusOr<std::unique_ptr<Port>> detached = dp_->DetachPort("br0", 3);
    ASSERT_TRUE(detached.ok()) << detached.status();
    detached->reset();  // closed while the others forward
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  PingResult result = ping.get();
  EXPECT_EQ(result.sent, 40);
  EXPECT_GE(result.received, result.sent - 1);
}

TEST_P(VethDatapathTest, DeletedInterfaceDetachesItsPortOnly) {
  ScopedPod& a = MakePod('a', "10.250.1.1/24");
  ScopedPod& b = MakePod('b', "10.250.1.2/24");
  ScopedPod& c = MakePod('c', "10.250.1.3/24");
  Attach(a, 1);
  Attach(b, 2);
  Attach(c, 3);
  ASSERT_EQ(Ping(a, c.ip(), 1, 0.2).received, 1);
  ASSERT_EQ(Sh("ip netns del " + c.ns()), 0);  // the pod goes, and its veth pair with it
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (dp_->ports_lost() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(dp_->ports_lost(), 1u);
  absl::StatusOr<std::vector<AttachedPortStats>> ports = dp_->GetPortStats("br0");
  ASSERT_TRUE(ports.ok());
  EXPECT_EQ(ports->size(), 2u);
  PingResult ping = Ping(a, b.ip(), 3, 0.2);
  EXPECT_EQ(ping.received, 3);
}

TEST_P(VethDatapathTest, IdlePmdUsesLittleCpu) {
  ScopedPod& a = MakePod('a', "10.250.1.1/24");
  ScopedPod& b = MakePod('b', "10.250.1.2/24");
  Attach(a, 1);
  Attach(b, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<PmdStats> pmds = dp_->GetPmdStats();
  ASSERT_EQ(pmds.size(), 1u);
  double before = ThreadCpuSeconds(pmds[0].tid);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  double share = (ThreadCpuSeconds(pmds[0].tid) - before) / 2.0;
  std::printf("idle PMD with 2 %s ports: %.2f%% of a core\n", GetParam().c_str(), share * 100);
  EXPECT_LT(share, 0.05);
  // Traffic still flows right after the idle period (the PMD wakes up).
  EXPECT_EQ(Ping(a, b.ip(), 2, 0.2).received, 2);
}

// Opening and closing a port on the same interface again and again must work and give back
// every mbuf (DPDK 22.11's af_xdp keeps its socket and fill queue on close: see port.cc).
TEST_P(VethDatapathTest, ReopeningAPortLeaksNothing) {
  ScopedPod& a = MakePod('a', "10.250.1.1/24");
  unsigned before = rte_mempool_avail_count(TestPool());
  for (int round = 0; round < 3; ++round) {
    std::unique_ptr<Port> port = OpenPort(a.host_if(), GetParam());
    ASSERT_NE(port, nullptr) << "round " << round;
  }
  EXPECT_EQ(rte_mempool_avail_count(TestPool()), before);
}

INSTANTIATE_TEST_SUITE_P(PortTypes, VethDatapathTest, ::testing::Values("afxdp", "afpacket"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace podswitch::dpdk
