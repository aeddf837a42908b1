// The underlay lookups of VXLAN tunnel ports against a real kernel. The test process moves
// into a network namespace of its own (the kernel deletes it, and with it the veth pairs, when
// the process exits), wired to a peer namespace:
//
//   this process's namespace               peer namespace psd<pid>ul
//   u0 10.227.1.1/24, mtu 1450  <--veth-->  u1 10.227.1.2/24
//   u2 10.227.3.1/24            <--veth-->  u3 10.227.3.2/24
//   10.227.2.0/24 via 10.227.1.2
#include "dataplane/dpdk/underlay.h"

#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <regex>
#include <string>
#include <thread>

#include "dataplane/core/packet/addr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dpdk/test_support.h"

namespace podswitch::dpdk {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::NamePrefix;
using ::testing::Not;
using testing::Sh;
using testing::ShOut;

uint32_t Ip(const char* text) { return core::Ipv4FromString(text).value(); }

int Ifindex(const char* name) { return static_cast<int>(if_nametoindex(name)); }

// The MAC of interface `name` as `ip` prints it; `ns_args` is "-n NS" for the peer's.
std::string LinkMac(const std::string& ns_args, const std::string& name) {
  std::string out = ShOut("ip " + ns_args + " -o link show " + name);
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("link/ether ([0-9a-f:]{17})"))) return "?";
  return m[1];
}

// Calls LookupNextHopMac until it stops answering UNAVAILABLE, for up to two seconds.
absl::StatusOr<core::MacAddr> PollNextHopMac(uint32_t remote_ip, int uplink_ifindex) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (true) {
    absl::StatusOr<core::MacAddr> mac = LookupNextHopMac(remote_ip, uplink_ifindex);
    if (!absl::IsUnavailable(mac.status()) || std::chrono::steady_clock::now() > deadline) {
      return mac;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

class UnderlayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    if (unshare(CLONE_NEWNET) != 0) {
      setup_error_ = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    peer_ = NamePrefix() + "ul";
    const std::string peer = " -n " + peer_ + " ";
    bool ok = Sh("ip netns add " + peer_) == 0 &&
              Sh("ip link add u0 type veth peer name u1 netns " + peer_) == 0 &&
              Sh("ip link add u2 type veth peer name u3 netns " + peer_) == 0 &&
              Sh("ip link set lo up") == 0 && Sh("ip link set u0 mtu 1450 up") == 0 &&
              Sh("ip addr add 10.227.1.1/24 dev u0") == 0 && Sh("ip link set u2 up") == 0 &&
              Sh("ip addr add 10.227.3.1/24 dev u2") == 0 &&
              Sh("ip" + peer + "link set u1 up") == 0 &&
              Sh("ip" + peer + "addr add 10.227.1.2/24 dev u1") == 0 &&
              Sh("ip" + peer + "link set u3 up") == 0 &&
              Sh("ip" + peer + "addr add 10.227.3.2/24 dev u3") == 0 &&
              Sh("ip route add 10.227.2.0/24 via 10.227.1.2") == 0;
    if (!ok) setup_error_ = "could not build the test namespaces (see [sh] lines above)";
  }

  static void TearDownTestSuite() {
    if (!peer_.empty()) Sh("ip netns del " + peer_ + " 2>/dev/null || true");
  }

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    ASSERT_THAT(setup_error_, IsEmpty());
  }

  static std::string PeerMac() { return LinkMac("-n " + peer_, "u1"); }

  static inline std::string peer_;
  static inline std::string setup_error_;
};

TEST_F(UnderlayTest, FindUplinkReadsTheInterfaceThatHasTheAddress) {
  absl::StatusOr<UplinkInterface> uplink = FindUplink(Ip("10.227.1.1"));
  ASSERT_TRUE(uplink.ok()) << uplink.status();
  EXPECT_EQ(uplink->name, "u0");
  EXPECT_EQ(uplink->ifindex, Ifindex("u0"));
  EXPECT_EQ(core::MacToString(uplink->mac), LinkMac("", "u0"));
  EXPECT_EQ(uplink->mtu, 1450u);

  absl::StatusOr<UplinkInterface> other = FindUplink(Ip("10.227.3.1"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->name, "u2");
}

TEST_F(UnderlayTest, FindUplinkOfAnAddressNobodyHasIsNotFound) {
  // 10.227.1.2 is the peer namespace's, not this one's.
  for (const char* address : {"10.227.9.9", "10.227.1.2"}) {
    absl::StatusOr<UplinkInterface> uplink = FindUplink(Ip(address));
    EXPECT_TRUE(absl::IsNotFound(uplink.status())) << uplink.status();
    EXPECT_THAT(uplink.status().message(), HasSubstr(address));
  }
}

TEST_F(UnderlayTest, FindUplinkRefusesAnInterfaceWithoutEthernetAddress) {
  absl::StatusOr<UplinkInterface> uplink = FindUplink(Ip("127.0.0.1"));
  EXPECT_TRUE(absl::IsFailedPrecondition(uplink.status())) << uplink.status();
  EXPECT_THAT(uplink.status().message(), HasSubstr("lo"));
}

TEST_F(UnderlayTest, OnLinkPeerIsUnavailableUntilArpResolvedIt) {
  Sh("ip neigh flush dev u0");
  Sh("ip -n " + peer_ + " neigh flush dev u1");
  absl::StatusOr<core::MacAddr> first = LookupNextHopMac(Ip("10.227.1.2"), Ifindex("u0"));
  EXPECT_TRUE(absl::IsUnavailable(first.status())) << first.status();
  EXPECT_THAT(first.status().message(), AllOf(HasSubstr("10.227.1.2"), HasSubstr("u0")));

  absl::StatusOr<core::MacAddr> mac = PollNextHopMac(Ip("10.227.1.2"), Ifindex("u0"));
  ASSERT_TRUE(mac.ok()) << mac.status();
  EXPECT_EQ(core::MacToString(*mac), PeerMac());
  // Nothing else in this namespace sends IPv4: the peer learnt u0's MAC from the ARP request
  // the lookup's NTF_USE made the kernel send.
  EXPECT_THAT(ShOut("ip -n " + peer_ + " neigh show 10.227.1.1 dev u1"),
              HasSubstr(LinkMac("", "u0")));
}

TEST_F(UnderlayTest, AddressBehindTheGatewayGetsTheGatewaysMac) {
  absl::StatusOr<core::MacAddr> mac = PollNextHopMac(Ip("10.227.2.5"), Ifindex("u0"));
  ASSERT_TRUE(mac.ok()) << mac.status();
  EXPECT_EQ(core::MacToString(*mac), PeerMac());
  // The gateway was resolved, not the remote address.
  EXPECT_THAT(ShOut("ip neigh show 10.227.2.5"), IsEmpty());
}

TEST_F(UnderlayTest, StaleEntryIsReturnedAndReconfirmed) {
  ASSERT_EQ(Sh("ip neigh replace 10.227.1.2 dev u0 lladdr " + PeerMac() + " nud stale"), 0);
  absl::StatusOr<core::MacAddr> mac = LookupNextHopMac(Ip("10.227.1.2"), Ifindex("u0"));
  ASSERT_TRUE(mac.ok()) << mac.status();
  EXPECT_EQ(core::MacToString(*mac), PeerMac());
  // The kernel moved the entry on (DELAY, then a probe) as if its own traffic had used it.
  EXPECT_THAT(ShOut("ip neigh show 10.227.1.2 dev u0"), Not(HasSubstr("STALE")));
}

TEST_F(UnderlayTest, UnansweredNeighbourStaysUnavailable) {
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<core::MacAddr> mac = LookupNextHopMac(Ip("10.227.1.77"), Ifindex("u0"));
    EXPECT_TRUE(absl::IsUnavailable(mac.status())) << mac.status();
    EXPECT_THAT(mac.status().message(), HasSubstr("10.227.1.77"));
  }
}

TEST_F(UnderlayTest, NoRouteIsNotFound) {
  absl::StatusOr<core::MacAddr> mac = LookupNextHopMac(Ip("10.227.9.9"), Ifindex("u0"));
  EXPECT_TRUE(absl::IsNotFound(mac.status())) << mac.status();
  EXPECT_THAT(mac.status().message(), HasSubstr("10.227.9.9"));
}

TEST_F(UnderlayTest, RouteThroughAnotherInterfaceIsFailedPrecondition) {
  absl::StatusOr<core::MacAddr> mac = LookupNextHopMac(Ip("10.227.3.2"), Ifindex("u0"));
  EXPECT_TRUE(absl::IsFailedPrecondition(mac.status())) << mac.status();
  EXPECT_THAT(mac.status().message(), AllOf(HasSubstr("u2"), HasSubstr("u0")));

  // This host's own address: a local route, through loopback.
  mac = LookupNextHopMac(Ip("10.227.1.1"), Ifindex("u0"));
  EXPECT_TRUE(absl::IsFailedPrecondition(mac.status())) << mac.status();
  EXPECT_THAT(mac.status().message(), HasSubstr("local"));
}

}  // namespace
}  // namespace podswitch::dpdk
