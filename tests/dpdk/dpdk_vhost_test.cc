// A vhost-user port exchanging frames with a pod's veth through a bridge. The guest side is
// DPDK's own virtio-user driver (what dpdk-testpmd --vdev net_virtio_user0,path=SOCK runs),
// created in this process and driven directly by the test.
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "dataplane/dpdk/pmd.h"
#include "gtest/gtest.h"
#include "tests/dpdk/test_support.h"

namespace podswitch::dpdk {
namespace {

using namespace testing;  // NOLINT: the test helpers

[[maybe_unused]] const bool kRegistered = [] {
  RegisterEalEnvironment("psd_vhost_test");
  return true;
}();

// Prints "got" when a frame of EtherType 0x88b5 arrives on the pod's eth0 within 5 s.
constexpr char kRecvScript[] = R"(
import select, socket, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind(("eth0", 0))
deadline = time.time() + 5
while time.time() < deadline:
    if select.select([s], [], [], 0.1)[0]:
        print("got")
        break
)";

// The guest: a virtio-user ethdev connected to the switch's vhost-user socket.
class VirtioGuest {
 public:
  explicit VirtioGuest(const std::string& socket) : name_("net_virtio_user_" + NamePrefix()) {
    int rc = rte_eal_hotplug_add("vdev", name_.c_str(),
                                 absl::StrCat("path=", socket, ",queues=1").c_str());
    if (rc != 0 || rte_eth_dev_get_port_by_name(name_.c_str(), &port_) != 0) return;
    rte_eth_conf conf;
    std::memset(&conf, 0, sizeof(conf));
    ok_ = rte_eth_dev_configure(port_, 1, 1, &conf) == 0 &&
          rte_eth_rx_queue_setup(port_, 0, 256, SOCKET_ID_ANY, nullptr, TestPool()) == 0 &&
          rte_eth_tx_queue_setup(port_, 0, 256, SOCKET_ID_ANY, nullptr) == 0 &&
          rte_eth_dev_start(port_) == 0;
  }
  ~VirtioGuest() {
    rte_eth_dev_stop(port_);
    rte_eth_dev_close(port_);
    rte_eal_hotplug_remove("vdev", name_.c_str());
  }
  bool ok() const { return ok_; }

  // Sends `count` broadcast frames of EtherType 0x88b5; returns how many the ring took.
  int SendBroadcasts(int count) {
    int sent = 0;
    for (int i = 0; i < count; ++i) {
      rte_mbuf* m = rte_pktmbuf_alloc(TestPool());
      if (m == nullptr) break;
      uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 64));
      std::memset(p, 0, 64);
      std::memset(p, 0xff, 6);
      const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x77};
      std::memcpy(p + 6, src, 6);
      p[12] = 0x88;
      p[13] = 0xb5;
      if (rte_eth_tx_burst(port_, 0, &m, 1) == 1) {
        ++sent;
      } else {
        rte_pktmbuf_free(m);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return sent;
  }

  // Frames of `ether_type` received within `wait`.
  int Receive(uint16_t ether_type, std::chrono::milliseconds wait) {
    int count = 0;
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      rte_mbuf* burst[32];
      uint16_t n = rte_eth_rx_burst(port_, 0, burst, 32);
      for (uint16_t i = 0; i < n; ++i) {
        const uint8_t* p = rte_pktmbuf_mtod(burst[i], const uint8_t*);
        if (burst[i]->data_len >= 14 && ((p[12] << 8) | p[13]) == ether_type) ++count;
        rte_pktmbuf_free(burst[i]);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return count;
  }

 private:
  std::string name_;
  uint16_t port_ = 0;
  bool ok_ = false;
};

TEST(VhostUserTest, GuestAndPodExchangeFramesThroughTheBridge) {
  if (TestPool() == nullptr) GTEST_SKIP() << "EAL did not start";
  ASSERT_TRUE(TestRangeFreeInRootNamespace());
  ScopedPod pod(NamePrefix() + "a", NamePrefix() + "ha", "10.250.1.1/24");
  ASSERT_TRUE(pod.ok());
  absl::StatusOr<std::unique_ptr<Datapath>> dp = Datapath::Start({.pmd_threads = 1});
  ASSERT_TRUE(dp.ok()) << dp.status();
  ASSERT_TRUE((*dp)->AddBridge("br0").ok());
  ASSERT_TRUE(AddFlow(**dp, "br0", "priority=0,actions=NORMAL").ok());
  std::string socket = "/tmp/" + NamePrefix() + "_vhost.sock";
  ASSERT_TRUE(
      (*dp)
          ->AttachPort("br0", 1,
                       OpenPort("vhu0", "vhostuser",
                                {{"vhost-server-path", socket}, {"vhost-socket-mode", "660"}}))
          .ok());
  ASSERT_TRUE((*dp)->AttachPort("br0", 2, OpenPort(pod.host_if(), "afpacket")).ok());

  VirtioGuest guest(socket);
  ASSERT_TRUE(guest.ok());
  // The vhost port comes up once the guest has negotiated.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  bool up = false;
  while (!up && std::chrono::steady_clock::now() < deadline) {
    auto ports = (*dp)->GetPortStats("br0");
    up = ports.ok() && (*ports)[0].link.up;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(up) << "vhost-user link never came up";

  // Guest -> vhost-user port -> bridge -> pod.
  std::string script = "/tmp/" + NamePrefix() + "_recv.py";
  {
    std::ofstream out(script);
    out << kRecvScript;
  }
  auto at_pod = std::async(std::launch::async, [&] {
    return ShOut("ip netns exec " + pod.ns() + " /usr/bin/python3 " + script);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(guest.SendBroadcasts(10), 10);
  EXPECT_EQ(at_pod.get(), "got\n");
  std::remove(script.c_str());

  // Pod -> bridge -> vhost-user port -> guest: the pod's ARP broadcasts reach the guest.
  auto arps = std::async(std::launch::async,
                         [&] { return guest.Receive(0x0806, std::chrono::seconds(3)); });
  pod.Exec("ping -c 2 -W 1 10.250.1.99 >/dev/null");
  EXPECT_GE(arps.get(), 1);

  auto ports = (*dp)->GetPortStats("br0");
  ASSERT_TRUE(ports.ok());
  EXPECT_GE((*ports)[0].stats.rx_packets, 10u);
  EXPECT_GE((*ports)[0].stats.tx_packets, 1u);
}

}  // namespace
}  // namespace podswitch::dpdk
