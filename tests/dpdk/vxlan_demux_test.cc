// VXLAN ports sharing local_ip:4789 against real kernel VTEPs: each datagram reaches the most
// specific port only (core/tunnel/vxlan_demux.h), and fixed-key ports to one remote do not
// see each other's VNIs. The test process moves into a network namespace of its own, wired to
// a peer namespace whose kernel VXLAN devices send ARP requests (pings nobody answers):
//
//   this process's namespace                     peer namespace psd<pid>vd
//   v0 10.227.5.1/24            <--veth-->       v1 10.227.5.2/24, 10.227.5.3/24
//                                                vxlan VNI 100, 200, 500 from .2; 300, 400 from .3
//
// Ports here: tun0 (flow, flow), a100 (.2, 100), a200 (.2, 200), k300 (flow, 300),
// r3 (.3, flow). Expected owners: (.2,100) a100, (.2,200) a200, (.3,300) k300 (a fixed key
// outranks a fixed remote, as in Open vSwitch), (.3,400) r3, (.2,500) tun0.
#include <rte_mbuf.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/core/fastpath/packet_processor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dpdk/test_support.h"

namespace podswitch::dpdk {
namespace {

using ::testing::IsEmpty;
using testing::NamePrefix;
using testing::OpenPort;
using testing::Sh;
using testing::TestPool;

[[maybe_unused]] const bool kRegistered = [] {
  testing::RegisterEalEnvironment("psd_vxlan_demux_test");
  return true;
}();

constexpr uint32_t kRemote2 = 0x0ae30502;      // 10.227.5.2
constexpr uint32_t kRemote3 = 0x0ae30503;      // 10.227.5.3
using Source = std::pair<uint32_t, uint32_t>;  // (outer source, VNI)

// The peer's kernel VTEPs: name, VNI, local address; each gets 192.168.<vni/100>.2/24.
struct KernelVtep {
  const char* name;
  uint32_t vni;
  const char* local;
};
constexpr KernelVtep kVteps[] = {{"a100", 100, "10.227.5.2"},
                                 {"a200", 200, "10.227.5.2"},
                                 {"a500", 500, "10.227.5.2"},
                                 {"b300", 300, "10.227.5.3"},
                                 {"b400", 400, "10.227.5.3"}};

class VxlanDemuxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0 || TestPool() == nullptr) return;
    if (unshare(CLONE_NEWNET) != 0) {
      setup_error_ = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    peer_ = NamePrefix() + "vd";
    const std::string in_peer = "ip netns exec " + peer_ + " ";
    bool ok = Sh("ip netns add " + peer_) == 0 &&
              Sh(in_peer + "sysctl -qw net.ipv6.conf.default.disable_ipv6=1") == 0 &&
              Sh("ip link add v0 type veth peer name v1 netns " + peer_) == 0 &&
              Sh("ip link set lo up") == 0 && Sh("ip link set v0 up") == 0 &&
              Sh("ip addr add 10.227.5.1/24 dev v0") == 0 &&
              Sh(in_peer + "ip link set v1 up") == 0 &&
              Sh(in_peer + "ip addr add 10.227.5.2/24 dev v1") == 0 &&
              Sh(in_peer + "ip addr add 10.227.5.3/24 dev v1") == 0;
    for (const KernelVtep& vtep : kVteps) {
      ok = ok &&
           Sh(in_peer + "ip link add " + vtep.name + " type vxlan id " + std::to_string(vtep.vni) +
              " local " + vtep.local + " remote 10.227.5.1 dstport 4789 dev v1") == 0 &&
           Sh(in_peer + "ip addr add 192.168." + std::to_string(vtep.vni / 100) + ".2/24 dev " +
              vtep.name) == 0 &&
           Sh(in_peer + "ip link set " + vtep.name + " up") == 0;
    }
    if (!ok) setup_error_ = "could not build the test namespaces (see [sh] lines above)";
  }

  static void TearDownTestSuite() {
    if (!peer_.empty()) Sh("ip netns del " + peer_ + " 2>/dev/null || true");
  }

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    if (TestPool() == nullptr) GTEST_SKIP() << "EAL did not start";
    ASSERT_THAT(setup_error_, IsEmpty());
  }

  // Every peer VTEP sends ARP requests for its .1 for a while (nobody answers them).
  static void StartPeerTraffic() {
    for (const KernelVtep& vtep : kVteps) {
      Sh("ip netns exec " + peer_ + " ping -q -c 4 -i 0.2 -W 1 192.168." +
         std::to_string(vtep.vni / 100) + ".1 >/dev/null 2>&1 &");
    }
  }

  // Polls `ports` for `seconds`, returning per port which (source, VNI) pairs it received.
  static std::map<std::string, std::set<Source>> Receive(
      const std::vector<std::unique_ptr<Port>>& ports, double seconds) {
    std::map<std::string, std::set<Source>> got;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    rte_mbuf* mbufs[core::kMaxBatch];
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& port : ports) {
        uint16_t n = port->RxBurst(mbufs, core::kMaxBatch);
        for (uint16_t i = 0; i < n; ++i) {
          const core::TunnelIngress& t = port->rx_tunnels()[i];
          got[port->name()].insert({t.tun_src, t.tun_id});
          rte_pktmbuf_free(mbufs[i]);
        }
      }
      usleep(1000);
    }
    return got;
  }

  static uint64_t Detail(const Port& port, const std::string& name) {
    for (const auto& [key, value] : port.stats().details) {
      if (key == name) return value;
    }
    ADD_FAILURE() << "port " << port.name() << " has no counter " << name;
    return 0;
  }

  static inline std::string peer_;
  static inline std::string setup_error_;
};

std::map<std::string, std::string> Options(const char* remote, const char* key) {
  return {{"local_ip", "10.227.5.1"}, {"remote_ip", remote}, {"key", key}};
}

TEST_F(VxlanDemuxTest, EachDatagramGoesToTheMostSpecificPortOnly) {
  std::vector<std::unique_ptr<Port>> ports;
  ports.push_back(OpenPort("tun0", "vxlan", Options("flow", "flow")));
  ports.push_back(OpenPort("a100", "vxlan", Options("10.227.5.2", "100")));
  ports.push_back(OpenPort("a200", "vxlan", Options("10.227.5.2", "200")));
  ports.push_back(OpenPort("k300", "vxlan", Options("flow", "300")));
  ports.push_back(OpenPort("r3", "vxlan", Options("10.227.5.3", "flow")));
  for (const auto& port : ports) ASSERT_NE(port, nullptr);

  StartPeerTraffic();
  std::map<std::string, std::set<Source>> got = Receive(ports, 2.5);
  using Sources = std::set<Source>;
  EXPECT_EQ(got["tun0"], (Sources{{kRemote2, 500}}));
  EXPECT_EQ(got["a100"], (Sources{{kRemote2, 100}}));
  EXPECT_EQ(got["a200"], (Sources{{kRemote2, 200}}));
  EXPECT_EQ(got["k300"], (Sources{{kRemote3, 300}}));
  EXPECT_EQ(got["r3"], (Sources{{kRemote3, 400}}));

  // The kernel filter keeps the fixed-key ports' rings free of the other VNIs; what the less
  // specific ports skip is counted apart from broken datagrams.
  EXPECT_EQ(Detail(*ports[1], "decap_dropped"), 0u);
  EXPECT_EQ(Detail(*ports[2], "decap_dropped"), 0u);
  EXPECT_EQ(Detail(*ports[0], "decap_dropped"), 0u);
  EXPECT_GT(Detail(*ports[0], "rx_other_tunnel"), 0u) << "tun0 saw and left the others' traffic";
  EXPECT_GT(Detail(*ports[4], "rx_other_tunnel"), 0u) << "r3 left (.3, 300) to k300";
  EXPECT_EQ(Detail(*ports[1], "rx_other_tunnel"), 0u);
}

TEST_F(VxlanDemuxTest, AClosedPortsDatagramsGoBackToTheFlowBasedPort) {
  std::vector<std::unique_ptr<Port>> ports;
  ports.push_back(OpenPort("tun0", "vxlan", Options("flow", "flow")));
  ports.push_back(OpenPort("a100", "vxlan", Options("10.227.5.2", "100")));
  for (const auto& port : ports) ASSERT_NE(port, nullptr);
  StartPeerTraffic();
  std::map<std::string, std::set<Source>> got = Receive(ports, 1.5);
  EXPECT_FALSE(got["tun0"].contains({kRemote2, 100}));
  EXPECT_TRUE(got["a100"].contains({kRemote2, 100}));

  ports.pop_back();  // a100 closes
  StartPeerTraffic();
  got = Receive(ports, 1.5);
  EXPECT_TRUE(got["tun0"].contains({kRemote2, 100}));
  EXPECT_TRUE(got["tun0"].contains({kRemote3, 400}));
}

}  // namespace
}  // namespace podswitch::dpdk
