#include "dataplane/core/l2/normal_switch.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::core {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;

constexpr MacAddr kMacA = {0x02, 0, 0, 0, 0, 0xaa};
constexpr MacAddr kMacB = {0x02, 0, 0, 0, 0, 0xbb};
constexpr MacAddr kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr MacAddr kMulticast = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
constexpr uint16_t kUntagged = 0;
constexpr uint16_t Tagged(uint16_t vid, uint16_t pcp = 0) {
  return kVlanPresent | static_cast<uint16_t>(pcp << 13) | vid;
}

DpAction Out(uint32_t port) { return {.type = DpActionType::kOutput, .u32 = port}; }
DpAction Pop() { return {.type = DpActionType::kPopVlan}; }
DpAction Push(uint16_t tci, uint32_t tpid = 0x8100) {
  return {.type = DpActionType::kPushVlan, .u16 = tci, .u32 = tpid};
}
DpAction SetTci(uint16_t tci) { return {.type = DpActionType::kSetVlanTci, .u16 = tci}; }
DpAction LearnAction(const MacAddr& mac, uint16_t vlan, uint32_t port) {
  return {.type = DpActionType::kLearn, .u16 = vlan, .u32 = port, .mac = mac};
}

FlowKey Key(uint32_t in_port, const MacAddr& src, const MacAddr& dst, uint16_t vlan_tci) {
  FlowKey key{};
  key.in_port = in_port;
  key.dl_src = src;
  key.dl_dst = dst;
  key.dl_type = 0x0800;
  key.nw_src = 0x0a000001;
  key.vlan_tci = vlan_tci;
  key.vlan_tpid = (vlan_tci & kVlanPresent) ? 0x8100 : 0;
  key.vlan_count = (vlan_tci & kVlanPresent) ? 1 : 0;
  return key;
}

// Ports: 1, 2 access VLAN 10; 3 access VLAN 20; 4 trunk (all); 5 trunk {20};
// 6 native-untagged 10 + {20}; 7 access 10 no-flood; 8 access 10 down.
class NormalSwitchTest : public ::testing::Test {
 protected:
  NormalSwitchTest() : normal_(&macs_) {
    normal_.SetPorts({
        {.port_no = 6, .vlan = {.tag = 10, .trunks = {20}, .mode = VlanMode::kNativeUntagged}},
        {.port_no = 1, .vlan = {.tag = 10}},
        {.port_no = 2, .vlan = {.tag = 10}},
        {.port_no = 3, .vlan = {.tag = 20}},
        {.port_no = 4, .vlan = {}},
        {.port_no = 5, .vlan = {.trunks = {20}}},
        {.port_no = 7, .vlan = {.tag = 10}, .flood = false},
        {.port_no = 8, .vlan = {.tag = 10}, .up = false},
    });
  }

  DpActions Decide(const FlowKey& key) {
    DpActions actions;
    wildcards_ = FlowKey{};
    normal_.Decide(key, now_ms_, &actions, &wildcards_);
    return actions;
  }

  // Teaches the switch that `mac` lives behind `port` by sending a frame from it.
  void Teach(const MacAddr& mac, uint32_t port, uint16_t vlan_tci) {
    ASSERT_NE(normal_.LearnFrom(Key(port, mac, kBroadcast, vlan_tci), now_ms_),
              LearnResult::kIgnored);
  }

  MacLearningTable macs_;
  NormalSwitch normal_;
  FlowKey wildcards_{};
  uint64_t now_ms_ = 1'000;
};

TEST_F(NormalSwitchTest, TwoAccessPortsInTheSameVlanForward) {
  Teach(kMacB, 2, kUntagged);
  EXPECT_THAT(Decide(Key(1, kMacA, kMacB, kUntagged)),
              ElementsAre(LearnAction(kMacA, 10, 1), Out(2)));
}

TEST_F(NormalSwitchTest, UnknownUnicastFloodsToVlanMembersOnly) {
  // VLAN 10: 2 untagged, 4 tagged, 6 native untagged; not 3/5 (VLAN 20), 7 (no-flood),
  // 8 (down) or 1 (ingress).
  EXPECT_THAT(Decide(Key(1, kMacA, kMacB, kUntagged)),
              ElementsAre(LearnAction(kMacA, 10, 1), Out(2), Push(10), Out(4), Pop(), Out(6)));
}

TEST_F(NormalSwitchTest, BroadcastAndMulticastFlood) {
  const DpActions flood = Decide(Key(1, kMacA, kMacB, kUntagged));
  EXPECT_EQ(Decide(Key(1, kMacA, kBroadcast, kUntagged)), flood);
  EXPECT_EQ(Decide(Key(1, kMacA, kMulticast, kUntagged)), flood);
}

TEST_F(NormalSwitchTest, DifferentVlansAreIsolated) {
  Teach(kMacB, 3, kUntagged);  // B is in VLAN 20 only
  const DpActions actions = Decide(Key(1, kMacA, kMacB, kUntagged));
  EXPECT_THAT(actions, Not(Contains(Out(3))));
  EXPECT_THAT(actions, Not(Contains(Out(5))));
  EXPECT_THAT(actions, Contains(Out(2)));

  // VLAN 20 floods reach only VLAN 20 members, tagged on the trunks, and the packet gets
  // its original (absent) tag back afterwards.
  EXPECT_THAT(Decide(Key(3, kMacB, kBroadcast, kUntagged)),
              ElementsAre(LearnAction(kMacB, 20, 3), Push(20), Out(4), Out(5), Out(6), Pop()));
}

TEST_F(NormalSwitchTest, TrunkIngressKeepsVidAndPcp) {
  EXPECT_THAT(
      Decide(Key(4, kMacA, kBroadcast, Tagged(20, 3))),
      ElementsAre(LearnAction(kMacA, 20, 4), Pop(), Out(3), Push(20 | 3 << 13), Out(5), Out(6)));
}

TEST_F(NormalSwitchTest, TrunkDropsVlansItDoesNotCarry) {
  EXPECT_THAT(Decide(Key(5, kMacA, kBroadcast, Tagged(10))), IsEmpty());
  EXPECT_THAT(Decide(Key(5, kMacA, kBroadcast, kUntagged)), IsEmpty()) << "VLAN 0 not trunked";
}

TEST_F(NormalSwitchTest, AccessPortDropsTaggedFrames) {
  EXPECT_THAT(Decide(Key(1, kMacA, kBroadcast, Tagged(10))), IsEmpty());
  FlowKey expected{};
  expected.in_port = UINT32_MAX;
  expected.vlan_tci = UINT16_MAX;
  EXPECT_EQ(wildcards_, expected) << "the drop depended on in_port and the tag only";
}

TEST_F(NormalSwitchTest, LearnedDestinationGoesToOnePortTagged) {
  Teach(kMacB, 4, Tagged(10));
  EXPECT_THAT(Decide(Key(1, kMacA, kMacB, kUntagged)),
              ElementsAre(LearnAction(kMacA, 10, 1), Push(10), Out(4), Pop()));
}

TEST_F(NormalSwitchTest, TagIsRestoredAfterOutputs) {
  Teach(kMacB, 2, kUntagged);
  EXPECT_THAT(Decide(Key(4, kMacA, kMacB, Tagged(10, 5))),
              ElementsAre(LearnAction(kMacA, 10, 4), Pop(), Out(2), Push(10 | 5 << 13)));
}

TEST_F(NormalSwitchTest, RestoreKeepsAn8021adTpid) {
  Teach(kMacB, 2, kUntagged);
  FlowKey key = Key(4, kMacA, kMacB, Tagged(10));
  key.vlan_tpid = 0x88a8;
  EXPECT_THAT(Decide(key), ElementsAre(LearnAction(kMacA, 10, 4), Pop(), Out(2), Push(10, 0x88a8)));
  EXPECT_EQ(wildcards_.vlan_tpid, UINT16_MAX);
}

TEST_F(NormalSwitchTest, PriorityTaggedAccessFrameIsRetaggedForTheTrunk) {
  Teach(kMacB, 4, Tagged(10));
  EXPECT_THAT(
      Decide(Key(1, kMacA, kMacB, Tagged(0, 5))),
      ElementsAre(LearnAction(kMacA, 10, 1), SetTci(10 | 5 << 13), Out(4), SetTci(5 << 13)));
}

TEST_F(NormalSwitchTest, NativeUntaggedPortTagsOtherVlans) {
  EXPECT_THAT(Decide(Key(6, kMacA, kBroadcast, kUntagged)),
              ElementsAre(LearnAction(kMacA, 10, 6), Out(1), Out(2), Push(10), Out(4), Pop()));
  EXPECT_THAT(Decide(Key(6, kMacA, kBroadcast, Tagged(20))),
              ElementsAre(LearnAction(kMacA, 20, 6), Pop(), Out(3), Push(20), Out(4), Out(5)));
}

TEST_F(NormalSwitchTest, DownPortGetsNothing) {
  EXPECT_EQ(normal_.LearnFrom(Key(8, kMacB, kBroadcast, kUntagged), now_ms_),
            LearnResult::kIgnored);
  macs_.Learn(10, kMacB, 8, now_ms_);  // learned before the port went down
  const DpActions actions = Decide(Key(1, kMacA, kMacB, kUntagged));
  EXPECT_THAT(actions, Not(Contains(Out(8))));
  EXPECT_THAT(actions, Contains(Out(2))) << "a MAC behind a down port is flooded for";
  EXPECT_THAT(Decide(Key(8, kMacA, kBroadcast, kUntagged)), IsEmpty());
}

TEST_F(NormalSwitchTest, NoFloodPortStillGetsKnownDestinations) {
  macs_.Learn(10, kMacB, 7, now_ms_);
  EXPECT_THAT(Decide(Key(1, kMacA, kMacB, kUntagged)),
              ElementsAre(LearnAction(kMacA, 10, 1), Out(7)));
}

TEST_F(NormalSwitchTest, HairpinIsDropped) {
  Teach(kMacB, 1, kUntagged);
  EXPECT_THAT(Decide(Key(1, kMacA, kMacB, kUntagged)), ElementsAre(LearnAction(kMacA, 10, 1)));
}

TEST_F(NormalSwitchTest, MulticastSourceIsNotLearned) {
  const DpActions actions = Decide(Key(1, kMulticast, kBroadcast, kUntagged));
  EXPECT_THAT(actions, ElementsAre(Out(2), Push(10), Out(4), Pop(), Out(6)));
  EXPECT_EQ(normal_.LearnFrom(Key(1, kMulticast, kBroadcast, kUntagged), now_ms_),
            LearnResult::kIgnored);
}

TEST_F(NormalSwitchTest, UnknownInPortIsDropped) {
  EXPECT_THAT(Decide(Key(99, kMacA, kBroadcast, kUntagged)), IsEmpty());
}

TEST_F(NormalSwitchTest, WildcardsCoverTheFieldsNormalReads) {
  Teach(kMacB, 2, kUntagged);
  Decide(Key(1, kMacA, kMacB, kUntagged));
  FlowKey expected{};
  expected.in_port = UINT32_MAX;
  expected.vlan_tci = UINT16_MAX;
  expected.dl_src.fill(0xff);
  expected.dl_dst.fill(0xff);
  EXPECT_EQ(wildcards_, expected) << "nothing beyond L2 (dl_type, nw_src...) is read";
}

TEST_F(NormalSwitchTest, WildcardsAreOredIntoExistingBits) {
  DpActions actions;
  FlowKey wildcards{};
  wildcards.nw_src = UINT32_MAX;
  normal_.Decide(Key(1, kMacA, kMacB, kUntagged), now_ms_, &actions, &wildcards);
  EXPECT_EQ(wildcards.nw_src, UINT32_MAX);
  EXPECT_EQ(wildcards.in_port, UINT32_MAX);
}

TEST_F(NormalSwitchTest, DecideDoesNotLearnButTheLearnActionDoes) {
  const DpActions actions = Decide(Key(1, kMacA, kMacB, kUntagged));
  EXPECT_EQ(macs_.size(), 0u);
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(normal_.Learn(actions.front(), now_ms_), LearnResult::kNew);
  EXPECT_THAT(macs_.Lookup(10, kMacA, now_ms_), Optional(1u));
  EXPECT_EQ(normal_.Learn(actions.front(), now_ms_ + 1), LearnResult::kRefreshed);
  EXPECT_EQ(normal_.Learn(Out(2), now_ms_), LearnResult::kIgnored);
  // The reply now goes straight back.
  EXPECT_THAT(Decide(Key(2, kMacB, kMacA, kUntagged)),
              ElementsAre(LearnAction(kMacB, 10, 2), Out(1)));
}

TEST_F(NormalSwitchTest, AgedOutDestinationFloodsAgain) {
  Teach(kMacB, 2, kUntagged);
  now_ms_ += macs_.aging_ms();
  EXPECT_THAT(Decide(Key(1, kMacA, kMacB, kUntagged)), Contains(Out(4)));
}

TEST_F(NormalSwitchTest, SetPortsChangesConfigGenerationAndLastDuplicateWins) {
  const uint64_t before = normal_.config_generation();
  normal_.SetPorts({{.port_no = 1, .vlan = {.tag = 10}},
                    {.port_no = 2, .vlan = {.tag = 10}},
                    {.port_no = 2, .vlan = {.tag = 20}},
                    {.port_no = 3, .vlan = {.tag = 20}}});
  EXPECT_NE(normal_.config_generation(), before);
  EXPECT_THAT(Decide(Key(3, kMacA, kBroadcast, kUntagged)),
              ElementsAre(LearnAction(kMacA, 20, 3), Out(2)));
}

// Split horizon: ports 1, 2 local, 11, 12 tunnels (a full mesh of VTEPs), all VLAN-less.
class NormalSwitchTunnelTest : public NormalSwitchTest {
 protected:
  NormalSwitchTunnelTest() {
    normal_.SetPorts({
        {.port_no = 1, .vlan = {}},
        {.port_no = 2, .vlan = {}},
        {.port_no = 11, .vlan = {}, .tunnel = true},
        {.port_no = 12, .vlan = {}, .tunnel = true},
    });
  }
};

TEST_F(NormalSwitchTunnelTest, BroadcastFromATunnelFloodsToLocalPortsOnly) {
  EXPECT_THAT(Decide(Key(11, kMacA, kBroadcast, kUntagged)),
              ElementsAre(LearnAction(kMacA, 0, 11), Out(1), Out(2)));
  EXPECT_THAT(Decide(Key(12, kMacA, kMacB, kUntagged)),
              ElementsAre(LearnAction(kMacA, 0, 12), Out(1), Out(2)))
      << "unknown unicast too";
  FlowKey expected{};
  expected.in_port = UINT32_MAX;
  expected.vlan_tci = UINT16_MAX;
  expected.dl_src.fill(0xff);
  expected.dl_dst.fill(0xff);
  EXPECT_EQ(wildcards_, expected) << "in_port already tells tunnel from local";
}

TEST_F(NormalSwitchTunnelTest, BroadcastFromALocalPortFloodsToEveryTunnel) {
  EXPECT_THAT(Decide(Key(1, kMacA, kBroadcast, kUntagged)),
              ElementsAre(LearnAction(kMacA, 0, 1), Out(2), Out(11), Out(12)));
}

TEST_F(NormalSwitchTunnelTest, MacLearnedBehindATunnelIsNotReachedFromAnother) {
  Teach(kMacB, 12, kUntagged);
  EXPECT_THAT(Decide(Key(11, kMacA, kMacB, kUntagged)), ElementsAre(LearnAction(kMacA, 0, 11)));
  EXPECT_THAT(Decide(Key(1, kMacA, kMacB, kUntagged)),
              ElementsAre(LearnAction(kMacA, 0, 1), Out(12)));
  Teach(kMacB, 2, kUntagged);
  EXPECT_THAT(Decide(Key(11, kMacA, kMacB, kUntagged)),
              ElementsAre(LearnAction(kMacA, 0, 11), Out(2)));
}

}  // namespace
}  // namespace podswitch::core
