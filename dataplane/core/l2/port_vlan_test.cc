#include "dataplane/core/l2/port_vlan.h"

#include <optional>
#include <string>
#include <vector>

#include "dataplane/core/packet/flow_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::core {
namespace {

using ::testing::HasSubstr;

PortVlanConfig Access(uint16_t tag) { return {.tag = tag}; }
PortVlanConfig Trunk(std::vector<uint16_t> trunks = {}) { return {.trunks = std::move(trunks)}; }
PortVlanConfig NativeTagged(uint16_t tag, std::vector<uint16_t> trunks = {}) {
  return {.tag = tag, .trunks = std::move(trunks), .mode = VlanMode::kNativeTagged};
}
PortVlanConfig NativeUntagged(uint16_t tag, std::vector<uint16_t> trunks = {}) {
  return {.tag = tag, .trunks = std::move(trunks), .mode = VlanMode::kNativeUntagged};
}

constexpr uint16_t kUntagged = 0;
constexpr uint16_t kPriorityTagged = kVlanPresent | 0xa000;  // PCP 5, VID 0
constexpr uint16_t Tagged(uint16_t vid) { return kVlanPresent | vid; }

TEST(PortVlanConfigTest, EffectiveModeFollowsOvsDefaults) {
  EXPECT_EQ(Access(10).EffectiveMode(), VlanMode::kAccess);
  EXPECT_EQ(Trunk().EffectiveMode(), VlanMode::kTrunk);
  EXPECT_EQ(Trunk({10}).EffectiveMode(), VlanMode::kTrunk);
  EXPECT_EQ(NativeTagged(10).EffectiveMode(), VlanMode::kNativeTagged);
  EXPECT_EQ(NativeUntagged(10).EffectiveMode(), VlanMode::kNativeUntagged);
}

struct ValidateCase {
  std::string name;
  PortVlanConfig config;
  std::string error;  // empty = valid
};

TEST(PortVlanConfigTest, Validate) {
  const std::vector<ValidateCase> cases = {
      {"access", Access(10), ""},
      {"access VLAN 0", Access(0), ""},
      {"access VLAN 4095", Access(4095), ""},
      {"trunk all", Trunk(), ""},
      {"trunk some", Trunk({0, 10, 4095}), ""},
      {"native-tagged", NativeTagged(10, {20}), ""},
      {"native-untagged", NativeUntagged(10), ""},
      {"tag out of range", Access(4096), "tag 4096 is out of range"},
      {"trunk out of range", Trunk({10, 5000}), "trunks entry 5000 is out of range"},
      {"access with trunks", {.tag = 10, .trunks = {20}}, "trunks must be empty"},
      {"explicit access without tag", {.mode = VlanMode::kAccess}, "access needs a tag"},
      {"trunk with tag", {.tag = 10, .mode = VlanMode::kTrunk}, "trunk takes no tag"},
      {"native-tagged without tag", {.mode = VlanMode::kNativeTagged}, "native-tagged needs a tag"},
      {"native-untagged without tag",
       {.trunks = {10}, .mode = VlanMode::kNativeUntagged},
       "native-untagged needs a tag"},
  };
  for (const auto& c : cases) {
    const absl::Status status = ValidatePortVlanConfig(c.config);
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << c.name << ": " << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
      EXPECT_THAT(status.message(), HasSubstr(c.error)) << c.name;
    }
  }
}

struct IngressCase {
  std::string name;
  PortVlanConfig config;
  uint16_t vlan_tci;
  std::optional<uint16_t> vlan;  // nullopt = dropped
};

TEST(IngressVlanTest, EveryModeAndTagState) {
  const std::vector<IngressCase> cases = {
      {"access untagged", Access(10), kUntagged, 10},
      {"access priority-tagged", Access(10), kPriorityTagged, 10},
      {"access tagged with its own VLAN", Access(10), Tagged(10), std::nullopt},
      {"access tagged other VLAN", Access(10), Tagged(20), std::nullopt},
      {"trunk-all untagged", Trunk(), kUntagged, 0},
      {"trunk-all priority-tagged", Trunk(), kPriorityTagged, 0},
      {"trunk-all tagged", Trunk(), Tagged(20), 20},
      {"trunk-all tagged 4095", Trunk(), Tagged(4095), 4095},
      {"trunk-some untagged (VLAN 0 not trunked)", Trunk({10, 20}), kUntagged, std::nullopt},
      {"trunk-some priority-tagged", Trunk({10, 20}), kPriorityTagged, std::nullopt},
      {"trunk-some tagged member", Trunk({10, 20}), Tagged(20), 20},
      {"trunk-some tagged non-member", Trunk({10, 20}), Tagged(30), std::nullopt},
      {"trunk with VLAN 0 untagged", Trunk({0, 10}), kUntagged, 0},
      {"trunk PCP does not change the VLAN", Trunk(), Tagged(20) | 0xe000, 20},
      {"native-tagged untagged", NativeTagged(10, {20}), kUntagged, 10},
      {"native-tagged priority-tagged", NativeTagged(10, {20}), kPriorityTagged, 10},
      {"native-tagged tagged native", NativeTagged(10, {20}), Tagged(10), 10},
      {"native-tagged tagged trunk", NativeTagged(10, {20}), Tagged(20), 20},
      {"native-tagged tagged non-member", NativeTagged(10, {20}), Tagged(30), std::nullopt},
      {"native-untagged untagged", NativeUntagged(10, {20}), kUntagged, 10},
      {"native-untagged priority-tagged", NativeUntagged(10, {20}), kPriorityTagged, 10},
      {"native-untagged tagged native", NativeUntagged(10, {20}), Tagged(10), 10},
      {"native-untagged tagged trunk", NativeUntagged(10, {20}), Tagged(20), 20},
      {"native-untagged tagged non-member", NativeUntagged(10, {20}), Tagged(30), std::nullopt},
      {"native-untagged all trunks", NativeUntagged(10), Tagged(30), 30},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IngressVlan(c.config, c.vlan_tci), c.vlan) << c.name;
  }
}

struct EgressCase {
  std::string name;
  PortVlanConfig config;
  uint16_t vlan;
  EgressTagging tagging;
};

TEST(EgressTest, EveryModeAndVlan) {
  using enum EgressTagging;
  const std::vector<EgressCase> cases = {
      {"access own VLAN", Access(10), 10, kUntagged},
      {"access other VLAN", Access(10), 20, kNotMember},
      {"access other VLAN 0", Access(10), 0, kNotMember},
      {"access VLAN 0 port", Access(0), 0, kUntagged},
      {"trunk-all VLAN", Trunk(), 20, kTagged},
      {"trunk-all VLAN 0", Trunk(), 0, kUntagged},
      {"trunk-some member", Trunk({10, 20}), 20, kTagged},
      {"trunk-some non-member", Trunk({10, 20}), 30, kNotMember},
      {"trunk-some VLAN 0 not trunked", Trunk({10, 20}), 0, kNotMember},
      {"trunk VLAN 0 trunked", Trunk({0, 10}), 0, kUntagged},
      {"native-tagged native", NativeTagged(10, {20}), 10, kTagged},
      {"native-tagged trunk", NativeTagged(10, {20}), 20, kTagged},
      {"native-tagged non-member", NativeTagged(10, {20}), 30, kNotMember},
      {"native-tagged VLAN 0", NativeTagged(10), 0, kNotMember},
      {"native-untagged native", NativeUntagged(10, {20}), 10, kUntagged},
      {"native-untagged trunk", NativeUntagged(10, {20}), 20, kTagged},
      {"native-untagged non-member", NativeUntagged(10, {20}), 30, kNotMember},
      {"native-untagged all trunks", NativeUntagged(10), 4095, kTagged},
      {"native-untagged VLAN 0", NativeUntagged(10), 0, kNotMember},
      {"out of range", Trunk(), 4096, kNotMember},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Egress(c.config, c.vlan), c.tagging) << c.name;
    EXPECT_EQ(c.config.CarriesVlan(c.vlan), c.tagging != kNotMember) << c.name;
  }
}

}  // namespace
}  // namespace podswitch::core
