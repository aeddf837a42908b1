#include "dataplane/core/tunnel/vxlan_demux.h"

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::core {
namespace {

using ::testing::Optional;

constexpr uint32_t kNode2 = 0xc0000202;  // 192.0.2.2
constexpr uint32_t kNode3 = 0xc0000203;

constexpr VxlanReceiveMatch kFlowFlow{};
constexpr VxlanReceiveMatch Exact(uint32_t remote, uint32_t key) {
  return {.remote_ip = remote, .key = key};
}
constexpr VxlanReceiveMatch RemoteOnly(uint32_t remote) { return {.remote_ip = remote}; }
constexpr VxlanReceiveMatch KeyOnly(uint32_t key) { return {.key = key}; }

TEST(VxlanDemuxTest, TheMostSpecificPortWinsInOpenVswitchOrder) {
  const std::vector<VxlanReceiveMatch> ports = {kFlowFlow, RemoteOnly(kNode2), KeyOnly(100),
                                                Exact(kNode2, 100)};
  EXPECT_THAT(VxlanClaimant(ports, kNode2, 100), Optional(3u)) << "remote and key";
  EXPECT_THAT(VxlanClaimant(ports, kNode3, 100), Optional(2u)) << "key only";
  EXPECT_THAT(VxlanClaimant(ports, kNode2, 7), Optional(1u)) << "remote only";
  EXPECT_THAT(VxlanClaimant(ports, kNode3, 7), Optional(0u)) << "flow-based";
  // A fixed key outranks a fixed remote, as in OVS's tnl_find.
  const std::vector<VxlanReceiveMatch> halves = {RemoteOnly(kNode2), KeyOnly(100)};
  EXPECT_THAT(VxlanClaimant(halves, kNode2, 100), Optional(1u));
  EXPECT_EQ(VxlanClaimant(halves, kNode3, 7), std::nullopt);
}

TEST(VxlanDemuxTest, FlowBasedPortLeavesTheMeshPortsTheirSegments) {
  // The agent's node: tun0 on br-int, plus one port per remote node for segment VNI 100.
  const std::vector<VxlanReceiveMatch> mesh = {Exact(kNode2, 100), Exact(kNode3, 100)};
  const VxlanClaims tun0 = VxlanClaims::Above(kFlowFlow, mesh);
  EXPECT_TRUE(tun0.Claimed(kNode2, 100));
  EXPECT_TRUE(tun0.Claimed(kNode3, 100));
  EXPECT_FALSE(tun0.Claimed(kNode2, 0)) << "the pod network's VNI stays with tun0";
  EXPECT_FALSE(tun0.Claimed(0xc0000204, 100)) << "a node without a port of its own";
  EXPECT_EQ(tun0.size(), 2u);
}

TEST(VxlanDemuxTest, PortsOfEqualOrLowerRankClaimNothing) {
  const std::vector<VxlanReceiveMatch> others = {kFlowFlow, RemoteOnly(kNode2), KeyOnly(100),
                                                 Exact(kNode2, 200), Exact(kNode2, 100)};
  EXPECT_TRUE(VxlanClaims::Above(Exact(kNode2, 100), others).empty());
  EXPECT_FALSE(VxlanClaims().Claimed(kNode2, 100));
}

TEST(VxlanDemuxTest, OnlyOverlappingPortsAreKept) {
  const std::vector<VxlanReceiveMatch> others = {Exact(kNode2, 100), Exact(kNode3, 100),
                                                 KeyOnly(100), KeyOnly(200)};
  const VxlanClaims claims = VxlanClaims::Above(RemoteOnly(kNode2), others);
  EXPECT_EQ(claims.size(), 3u) << "not the port to another remote";
  EXPECT_TRUE(claims.Claimed(kNode2, 100));
  EXPECT_TRUE(claims.Claimed(kNode2, 200));
  EXPECT_FALSE(claims.Claimed(kNode2, 300));
}

// Each port deciding alone from its claims accepts exactly what VxlanClaimant gives it.
TEST(VxlanDemuxTest, PerPortClaimsAgreeWithTheClaimant) {
  const std::vector<uint32_t> remotes = {kNode2, kNode3, 0xc0000204};
  const std::vector<uint32_t> keys = {0, 100, 200};
  std::vector<VxlanReceiveMatch> all;
  for (std::optional<uint32_t> r : {std::optional<uint32_t>(), std::optional(kNode2),
                                    std::optional(kNode3), std::optional(0xc0000204u)}) {
    for (std::optional<uint32_t> k :
         {std::optional<uint32_t>(), std::optional(0u), std::optional(100u), std::optional(200u)}) {
      all.push_back({.remote_ip = r, .key = k});
    }
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 500; ++round) {
    std::vector<VxlanReceiveMatch> ports;  // distinct, as the registry warns about equals
    for (const VxlanReceiveMatch& m : all) {
      if (rng() % 3 == 0) ports.push_back(m);
    }
    std::vector<VxlanClaims> claims;
    for (size_t i = 0; i < ports.size(); ++i) {
      std::vector<VxlanReceiveMatch> others = ports;
      others.erase(others.begin() + static_cast<std::ptrdiff_t>(i));
      claims.push_back(VxlanClaims::Above(ports[i], others));
    }
    for (uint32_t src : remotes) {
      for (uint32_t vni : keys) {
        std::optional<size_t> owner = VxlanClaimant(ports, src, vni);
        for (size_t i = 0; i < ports.size(); ++i) {
          bool takes = ports[i].Covers(src, vni) && !claims[i].Claimed(src, vni);
          EXPECT_EQ(takes, owner == i)
              << "round " << round << " port " << i << " src " << src << " vni " << vni;
        }
      }
    }
  }
}

}  // namespace
}  // namespace podswitch::core
