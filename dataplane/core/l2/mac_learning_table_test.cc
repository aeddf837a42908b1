#include "dataplane/core/l2/mac_learning_table.h"

#include <cstdint>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::core {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

constexpr MacAddr kMacA = {0x02, 0, 0, 0, 0, 0xaa};
constexpr MacAddr kMacB = {0x02, 0, 0, 0, 0, 0xbb};
constexpr MacAddr kMacC = {0x02, 0, 0, 0, 0, 0xcc};
constexpr MacAddr kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr MacAddr kMulticast = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

TEST(MacLearningTableTest, LearnThenLookup) {
  MacLearningTable table;
  EXPECT_EQ(table.Lookup(10, kMacA, 0), std::nullopt);
  EXPECT_EQ(table.Learn(10, kMacA, 1, 0), LearnResult::kNew);
  EXPECT_THAT(table.Lookup(10, kMacA, 0), Optional(1u));
  EXPECT_EQ(table.Lookup(20, kMacA, 0), std::nullopt) << "VLANs are separate";
  EXPECT_EQ(table.Lookup(10, kMacB, 0), std::nullopt);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.counters().learned, 1u);
}

TEST(MacLearningTableTest, SameMacInTwoVlansIsTwoEntries) {
  MacLearningTable table;
  EXPECT_EQ(table.Learn(10, kMacA, 1, 0), LearnResult::kNew);
  EXPECT_EQ(table.Learn(20, kMacA, 2, 0), LearnResult::kNew);
  EXPECT_THAT(table.Lookup(10, kMacA, 0), Optional(1u));
  EXPECT_THAT(table.Lookup(20, kMacA, 0), Optional(2u));
}

TEST(MacLearningTableTest, RefreshKeepsGenerationMoveChangesIt) {
  MacLearningTable table;
  table.Learn(10, kMacA, 1, 0);
  const uint64_t after_new = table.generation();
  EXPECT_EQ(table.Learn(10, kMacA, 1, 1000), LearnResult::kRefreshed);
  EXPECT_EQ(table.generation(), after_new) << "a refresh changes no lookup result";
  EXPECT_EQ(table.Learn(10, kMacA, 2, 2000), LearnResult::kMoved);
  EXPECT_NE(table.generation(), after_new);
  EXPECT_THAT(table.Lookup(10, kMacA, 2000), Optional(2u));
  EXPECT_EQ(table.counters().moved, 1u);
  EXPECT_EQ(table.counters().learned, 1u);
}

TEST(MacLearningTableTest, NewEntryChangesGeneration) {
  MacLearningTable table;
  const uint64_t before = table.generation();
  table.Learn(10, kMacA, 1, 0);
  EXPECT_NE(table.generation(), before);
}

TEST(MacLearningTableTest, MulticastAndBroadcastSourcesAreIgnored) {
  MacLearningTable table;
  const uint64_t before = table.generation();
  EXPECT_EQ(table.Learn(10, kBroadcast, 1, 0), LearnResult::kIgnored);
  EXPECT_EQ(table.Learn(10, kMulticast, 1, 0), LearnResult::kIgnored);
  EXPECT_EQ(table.Learn(4096, kMacA, 1, 0), LearnResult::kIgnored) << "VLAN out of range";
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.generation(), before);
  EXPECT_EQ(table.Lookup(10, kBroadcast, 0), std::nullopt);
}

TEST(MacLearningTableTest, AgingWithControlledTime) {
  MacLearningTable table({.aging_ms = 10'000});
  table.Learn(1, kMacA, 1, 0);
  table.Learn(1, kMacB, 2, 5'000);
  EXPECT_THAT(table.Lookup(1, kMacA, 9'999), Optional(1u));
  EXPECT_EQ(table.Lookup(1, kMacA, 10'000), std::nullopt) << "expired entries are misses";
  EXPECT_THAT(table.Lookup(1, kMacB, 10'000), Optional(2u));

  const uint64_t before = table.generation();
  EXPECT_EQ(table.Expire(9'999), 0u);
  EXPECT_EQ(table.generation(), before);
  EXPECT_EQ(table.Expire(10'000), 1u);
  EXPECT_NE(table.generation(), before);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.counters().expired, 1u);
  EXPECT_EQ(table.Expire(15'000), 1u);
  EXPECT_EQ(table.size(), 0u);
}

TEST(MacLearningTableTest, RefreshPostponesAging) {
  MacLearningTable table({.aging_ms = 10'000});
  table.Learn(1, kMacA, 1, 0);
  table.Learn(1, kMacB, 2, 1'000);
  table.Learn(1, kMacA, 1, 8'000);  // A is now the most recent
  EXPECT_EQ(table.Expire(12'000), 1u);
  EXPECT_THAT(table.Lookup(1, kMacA, 12'000), Optional(1u));
  EXPECT_EQ(table.Lookup(1, kMacB, 12'000), std::nullopt);
}

TEST(MacLearningTableTest, RelearningAnAgedOutEntryIsNew) {
  MacLearningTable table({.aging_ms = 10'000});
  table.Learn(1, kMacA, 1, 0);
  const uint64_t before = table.generation();
  EXPECT_EQ(table.Learn(1, kMacA, 1, 20'000), LearnResult::kNew);
  EXPECT_NE(table.generation(), before);
}

TEST(MacLearningTableTest, DefaultAgingIs300Seconds) {
  MacLearningTable table;
  EXPECT_EQ(table.aging_ms(), 300'000u);
  EXPECT_EQ(table.max_entries(), 8192u);
  table.Learn(1, kMacA, 1, 0);
  EXPECT_TRUE(table.Lookup(1, kMacA, 299'999).has_value());
  EXPECT_FALSE(table.Lookup(1, kMacA, 300'000).has_value());
}

TEST(MacLearningTableTest, ShorterAgingChangesGeneration) {
  MacLearningTable table;
  table.Learn(1, kMacA, 1, 0);
  const uint64_t before = table.generation();
  table.SetAgingMs(1'000);
  EXPECT_NE(table.generation(), before);
  EXPECT_FALSE(table.Lookup(1, kMacA, 1'000).has_value());
}

TEST(MacLearningTableTest, FullTableEvictsLeastRecentlySeen) {
  MacLearningTable table({.max_entries = 2});
  table.Learn(1, kMacA, 1, 0);
  table.Learn(1, kMacB, 2, 1);
  table.Learn(1, kMacA, 1, 2);  // refresh: B is now the least recently seen
  const uint64_t before = table.generation();
  EXPECT_EQ(table.Learn(1, kMacC, 3, 3), LearnResult::kNew);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.Lookup(1, kMacB, 3), std::nullopt);
  EXPECT_THAT(table.Lookup(1, kMacA, 3), Optional(1u));
  EXPECT_THAT(table.Lookup(1, kMacC, 3), Optional(3u));
  EXPECT_EQ(table.counters().evicted, 1u);
  EXPECT_NE(table.generation(), before);
}

TEST(MacLearningTableTest, ShrinkingEvicts) {
  MacLearningTable table;
  table.Learn(1, kMacA, 1, 0);
  table.Learn(1, kMacB, 2, 1);
  table.Learn(1, kMacC, 3, 2);
  table.SetMaxEntries(1);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_THAT(table.Lookup(1, kMacC, 2), Optional(3u));
  EXPECT_EQ(table.counters().evicted, 2u);
}

TEST(MacLearningTableTest, MacFloodStaysBounded) {
  MacLearningTable table({.max_entries = 1000});
  std::mt19937_64 rng(42);
  uint64_t now = 0;
  MacAddr last{};
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t bits = rng();
    MacAddr mac;
    for (int b = 0; b < 6; ++b) mac[b] = static_cast<uint8_t>(bits >> (8 * b));
    mac[0] &= 0xfe;  // unicast
    table.Learn(static_cast<uint16_t>(bits >> 52), mac, static_cast<uint32_t>(i % 16), now++);
    ASSERT_LE(table.size(), 1000u);
    last = mac;
  }
  EXPECT_EQ(table.size(), 1000u);
  EXPECT_EQ(table.counters().learned, table.size() + table.counters().evicted);
  EXPECT_EQ(table.Entries(now).size(), 1000u);
  // The most recent MAC survives; the table still works after the flood.
  EXPECT_EQ(table.Learn(1, kMacA, 7, now), LearnResult::kNew);
  EXPECT_THAT(table.Lookup(1, kMacA, now), Optional(7u));
}

TEST(MacLearningTableTest, FlushVariants) {
  MacLearningTable table;
  table.Learn(10, kMacA, 1, 0);
  table.Learn(10, kMacB, 2, 0);
  table.Learn(20, kMacC, 2, 0);
  table.Learn(20, kMacA, 3, 0);

  uint64_t before = table.generation();
  EXPECT_EQ(table.FlushPort(2), 2u);
  EXPECT_NE(table.generation(), before);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.Lookup(10, kMacB, 0), std::nullopt);

  before = table.generation();
  EXPECT_EQ(table.FlushPort(9), 0u);
  EXPECT_EQ(table.generation(), before) << "nothing removed, nothing changed";

  EXPECT_EQ(table.FlushVlan(20), 1u);
  EXPECT_THAT(table.Lookup(10, kMacA, 0), Optional(1u));
  EXPECT_EQ(table.Lookup(20, kMacA, 0), std::nullopt);

  table.Learn(30, kMacC, 4, 0);
  before = table.generation();
  EXPECT_EQ(table.FlushAll(), 2u);
  EXPECT_NE(table.generation(), before);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_THAT(table.Entries(0), IsEmpty());
  // Usable after a flush.
  EXPECT_EQ(table.Learn(10, kMacA, 1, 0), LearnResult::kNew);
  EXPECT_EQ(table.size(), 1u);
}

TEST(MacLearningTableTest, EntriesForFdbShow) {
  MacLearningTable table({.aging_ms = 60'000});
  table.Learn(10, kMacB, 3, 0);  // aged out by 60.5 s
  table.Learn(20, kMacB, 2, 1'000);
  table.Learn(10, kMacA, 2, 5'000);
  table.Learn(10, kMacC, 1, 9'000);
  EXPECT_THAT(table.Entries(60'500),
              ElementsAre(FdbEntry{.port = 1, .vlan = 10, .mac = kMacC, .age_seconds = 51},
                          FdbEntry{.port = 2, .vlan = 10, .mac = kMacA, .age_seconds = 55},
                          FdbEntry{.port = 2, .vlan = 20, .mac = kMacB, .age_seconds = 59}));
}

}  // namespace
}  // namespace podswitch::core
