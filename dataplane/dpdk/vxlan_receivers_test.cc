#include "dataplane/dpdk/vxlan_receivers.h"

#include <cstdint>
#include <memory>
#include <utility>

#include "gtest/gtest.h"

namespace podswitch::dpdk {
namespace {

constexpr uint32_t kLocal = 0xc0000201;
constexpr uint32_t kNode2 = 0xc0000202;
constexpr uint32_t kNode3 = 0xc0000203;
constexpr uint16_t kPort = 4789;

// What one registered port was told last, and how often.
struct Listener {
  std::unique_ptr<const core::VxlanClaims> claims;
  int updates = 0;

  VxlanReceivers::ClaimsCallback Callback() {
    return [this](std::unique_ptr<const core::VxlanClaims> c) {
      claims = std::move(c);
      ++updates;
    };
  }
};

TEST(VxlanReceiversTest, MeshPortsClaimTheirDatagramsFromTheFlowBasedPort) {
  VxlanReceivers registry;
  Listener tun0, to2, to3;
  auto r0 = registry.Register("tun0", kLocal, kPort, {}, tun0.Callback());
  ASSERT_NE(tun0.claims, nullptr) << "claims arrive before Register returns";
  EXPECT_TRUE(tun0.claims->empty());

  auto r2 =
      registry.Register("vx2", kLocal, kPort, {.remote_ip = kNode2, .key = 100}, to2.Callback());
  auto r3 =
      registry.Register("vx3", kLocal, kPort, {.remote_ip = kNode3, .key = 100}, to3.Callback());
  EXPECT_TRUE(tun0.claims->Claimed(kNode2, 100));
  EXPECT_TRUE(tun0.claims->Claimed(kNode3, 100));
  EXPECT_FALSE(tun0.claims->Claimed(kNode2, 1));
  EXPECT_TRUE(to2.claims->empty()) << "nothing outranks an exact port";
  EXPECT_TRUE(to3.claims->empty());

  r2.reset();  // the port to node 2 closes: tun0 takes its traffic again
  EXPECT_FALSE(tun0.claims->Claimed(kNode2, 100));
  EXPECT_TRUE(tun0.claims->Claimed(kNode3, 100));
  const int to3_updates = to3.updates;
  r3.reset();
  EXPECT_TRUE(tun0.claims->empty());
  EXPECT_EQ(to3.updates, to3_updates) << "a closed port hears nothing more";
}

TEST(VxlanReceiversTest, OtherAddressesAreIndependent) {
  VxlanReceivers registry;
  Listener tun0, other_port, other_ip;
  auto r0 = registry.Register("tun0", kLocal, kPort, {}, tun0.Callback());
  auto r1 = registry.Register("vx-8472", kLocal, 8472, {.remote_ip = kNode2, .key = 100},
                              other_port.Callback());
  auto r2 = registry.Register("vx-ip", kLocal + 1, kPort, {.remote_ip = kNode2, .key = 100},
                              other_ip.Callback());
  EXPECT_TRUE(tun0.claims->empty());
  EXPECT_EQ(tun0.updates, 1);
}

TEST(VxlanReceiversTest, EqualPortsBothKeepTheirDatagrams) {
  VxlanReceivers registry;
  Listener a, b;
  auto ra = registry.Register("a", kLocal, kPort, {.remote_ip = kNode2}, a.Callback());
  auto rb = registry.Register("b", kLocal, kPort, {.remote_ip = kNode2}, b.Callback());
  EXPECT_TRUE(a.claims->empty());
  EXPECT_TRUE(b.claims->empty());
}

TEST(VxlanReceiversTest, TheProcessRegistryIsOne) {
  EXPECT_EQ(&VxlanReceivers::Process(), &VxlanReceivers::Process());
}

}  // namespace
}  // namespace podswitch::dpdk
