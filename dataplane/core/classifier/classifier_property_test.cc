// Property tests of the classifier against a brute-force linear scan, over random rule sets
// on a small field universe so that random keys hit, miss and overlap often. Every test is
// seeded and reproducible: the seed is in each failure message and PODSWITCH_TEST_SEED
// overrides it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "dataplane/core/classifier/classifier.h"
#include "dataplane/core/classifier/classifier_test_util.h"

namespace podswitch::core::classifier_test {
namespace {

uint64_t TestSeed(uint64_t fallback) {
  const char* env = std::getenv("PODSWITCH_TEST_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 0) : fallback;
}

// Draws rules and keys from a few values per field, so that they collide.
class Universe {
 public:
  explicit Universe(std::mt19937_64& rng) : rng_(rng) {}

  // A key whose every field is one of the universe's values, or random bits now and then.
  FlowKey RandomKey() {
    FlowKey key{};
    key.in_port = Pick({1u, 2u, 3u, 4u});
    key.dl_type = Pick<uint16_t>({0x0800, 0x86dd, 0x0806});
    key.nw_src = Address();
    key.nw_dst = Address();
    key.tp_dst = Chance(0.2) ? static_cast<uint16_t>(rng_()) : Pick<uint16_t>({80, 443, 0x1f90});
    key.regs[0] = Chance(0.2) ? static_cast<uint32_t>(rng_()) : Pick({0u, 1u, 0xff00u, 0x10001u});
    key.vlan_tci = Pick<uint16_t>({0, kVlanPresent | 10, kVlanPresent | 20, 0x2000 | 10});
    return key;
  }

  // A key that matches `rule` on its mask (and anything from the universe elsewhere), with
  // one bit flipped now and then so that it just misses.
  FlowKey KeyNear(const TestRule& rule) {
    FlowKey key = RandomKey();
    for (size_t i = 0; i < kFlowKeyWords; ++i) {
      uint64_t mask = FlowKeyWord(rule.match.mask, i);
      SetFlowKeyWord(key, i, (FlowKeyWord(key, i) & ~mask) | FlowKeyWord(rule.match.value, i));
    }
    if (Chance(0.2)) {
      size_t word = rng_() % kFlowKeyWords;
      SetFlowKeyWord(key, word, FlowKeyWord(key, word) ^ (uint64_t{1} << (rng_() % 64)));
    }
    return key;
  }

  // A rule on a random subset of the fields, with random prefixes and masks.
  TestRule RandomRule(int32_t priority, int id) {
    TestRule rule{.priority = priority, .id = id};
    FlowKey v = RandomKey();
    Match& m = rule.match;
    if (Chance(0.4)) SetField(m, &FlowKey::in_port, v.in_port);
    if (Chance(0.5)) SetField(m, &FlowKey::dl_type, v.dl_type);
    if (Chance(0.4)) SetField(m, &FlowKey::nw_src, v.nw_src, PrefixMask(Pick({8, 16, 24, 32})));
    if (Chance(0.3)) SetField(m, &FlowKey::nw_dst, v.nw_dst, PrefixMask(Pick({0, 16, 30, 32})));
    if (Chance(0.3)) {
      uint16_t mask = Pick<uint16_t>({0xffff, 0xff00, 0x00ff, 0xfff0, 0x0001});
      SetField(m, &FlowKey::tp_dst, v.tp_dst, mask);
    }
    if (Chance(0.3)) SetReg(m, 0, v.regs[0], Pick({~0u, 0xffu, 0xff00u, 0x1u, 0x10000u}));
    if (Chance(0.2)) {
      uint16_t mask = Pick<uint16_t>({0xffff, kVlanPresent | kVlanVidMask, kVlanPcpMask});
      SetField(m, &FlowKey::vlan_tci, v.vlan_tci, mask);
    }
    return rule;
  }

  // A key that agrees with `key` on the bits of `wildcards` and is random elsewhere.
  FlowKey KeyAgreeingOn(const FlowKey& key, const FlowKey& wildcards) {
    FlowKey other = RandomKey();
    for (size_t i = 0; i < kFlowKeyWords; ++i) {
      uint64_t w = FlowKeyWord(wildcards, i);
      uint64_t noise = Chance(0.1) ? rng_() : FlowKeyWord(other, i);
      SetFlowKeyWord(other, i, (FlowKeyWord(key, i) & w) | (noise & ~w));
    }
    return other;
  }

  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  template <typename T>
  T Pick(std::initializer_list<T> values) {
    return *(values.begin() + rng_() % values.size());
  }

 private:
  uint32_t Address() {
    return Pick({0x0a000001u, 0x0a000102u, 0x0a010001u, 0x0b000001u, 0xc0a80101u});
  }

  std::mt19937_64& rng_;
};

// A classifier and the rules it should hold, owned here.
class Harness {
 public:
  Harness(std::mt19937_64& rng, bool distinct_priorities)
      : rng_(rng), universe_(rng), distinct_(distinct_priorities) {}

  void InsertRandomRule() {
    int32_t priority;
    if (distinct_) {
      do {
        priority = static_cast<int32_t>(rng_() % 200) - 50;
      } while (!used_priorities_.insert(priority).second);
    } else {
      priority = static_cast<int32_t>(rng_() % 3);
    }
    owned_.push_back(std::make_unique<TestRule>(universe_.RandomRule(priority, next_id_++)));
    live_.push_back(owned_.back().get());
    classifier_.Insert(owned_.back().get());
  }

  void RemoveRandomRule() {
    if (live_.empty()) return;
    size_t i = rng_() % live_.size();
    ASSERT_TRUE(classifier_.Remove(live_[i]));
    ASSERT_FALSE(classifier_.Remove(live_[i]));
    used_priorities_.erase(live_[i]->priority);
    live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  // A key near a live rule most of the time, otherwise anything from the universe.
  FlowKey RandomKey() {
    if (!live_.empty() && universe_.Chance(0.8)) {
      return universe_.KeyNear(*live_[rng_() % live_.size()]);
    }
    return universe_.RandomKey();
  }

  void CheckCounts() {
    std::set<std::vector<uint64_t>> masks;
    for (const TestRule* rule : live_) {
      std::vector<uint64_t> words;
      for (size_t i = 0; i < kFlowKeyWords; ++i) words.push_back(FlowKeyWord(rule->match.mask, i));
      masks.insert(words);
    }
    EXPECT_EQ(classifier_.size(), live_.size());
    EXPECT_EQ(classifier_.subtable_count(), masks.size());
    EXPECT_EQ(classifier_.empty(), live_.empty());
  }

  Classifier<TestRule> classifier_;
  std::mt19937_64& rng_;
  Universe universe_;
  bool distinct_;
  std::vector<std::unique_ptr<TestRule>> owned_;
  std::vector<const TestRule*> live_;
  std::set<int32_t> used_priorities_;
  int next_id_ = 0;
};

constexpr int kRounds = 60;
constexpr int kStepsPerRound = 120;
constexpr int kSoundnessKeys = 6;

TEST(ClassifierPropertyTest, LookupAgreesWithBruteForceAndWildcardsAreSound) {
  const uint64_t seed = TestSeed(0x5eed0001);
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed=" + std::to_string(seed) + " (set PODSWITCH_TEST_SEED to replay)");
  int lookups = 0;
  for (int round = 0; round < kRounds && !HasFailure(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Harness h(rng, /*distinct_priorities=*/true);
    int initial = static_cast<int>(rng() % 40);
    for (int i = 0; i < initial; ++i) h.InsertRandomRule();
    for (int step = 0; step < kStepsPerRound && !HasFailure(); ++step) {
      uint64_t action = rng() % 10;
      if (action == 0) h.InsertRandomRule();
      if (action == 1) h.RemoveRandomRule();
      FlowKey key = h.RandomKey();
      FlowKey wildcards{};
      const TestRule* found = h.classifier_.Lookup(key, &wildcards);
      ++lookups;
      const TestRule* expected = BruteForceLookup(h.live_, key);
      ASSERT_EQ(found, expected) << "step " << step;
      // The wildcards cover the result's own mask (a megaflow must check it).
      if (found != nullptr) {
        EXPECT_EQ(MaskedKey(found->match.mask, wildcards), found->match.mask);
      }
      for (int k = 0; k < kSoundnessKeys; ++k) {
        FlowKey other = h.universe_.KeyAgreeingOn(key, wildcards);
        const TestRule* other_found = h.classifier_.Lookup(other, nullptr);
        ++lookups;
        ASSERT_EQ(other_found, found) << "step " << step << ": a key equal under the wildcards";
        ASSERT_EQ(BruteForceLookup(h.live_, other), found) << "step " << step;
      }
    }
    h.CheckCounts();
  }
  EXPECT_GT(lookups, 10000);
}

TEST(ClassifierPropertyTest, ForEachMatchAgreesWithBruteForce) {
  const uint64_t seed = TestSeed(0x5eed0002);
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed=" + std::to_string(seed) + " (set PODSWITCH_TEST_SEED to replay)");
  for (int round = 0; round < kRounds && !HasFailure(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Harness h(rng, /*distinct_priorities=*/true);
    int initial = static_cast<int>(rng() % 40);
    for (int i = 0; i < initial; ++i) h.InsertRandomRule();
    for (int step = 0; step < kStepsPerRound / 2 && !HasFailure(); ++step) {
      if (rng() % 8 == 0) h.InsertRandomRule();
      if (rng() % 8 == 0) h.RemoveRandomRule();
      FlowKey key = h.RandomKey();
      std::vector<const TestRule*> expected;
      for (const TestRule* rule : h.live_) {
        if (rule->match.Matches(key)) expected.push_back(rule);
      }
      std::sort(expected.begin(), expected.end(),
                [](const TestRule* a, const TestRule* b) { return a->priority > b->priority; });
      ASSERT_EQ(AllMatches(h.classifier_, key, nullptr), expected) << "step " << step;

      // Stopping after `limit` matches: the visited prefix is right, and its wildcards are
      // sound (any key equal under them visits the same prefix).
      size_t limit = 1 + rng() % 3;
      auto visit_prefix = [&](const FlowKey& k, FlowKey* wildcards) {
        std::vector<const TestRule*> seen;
        h.classifier_.ForEachMatch(k, wildcards, [&](const TestRule& rule) {
          seen.push_back(&rule);
          return seen.size() < limit;
        });
        return seen;
      };
      FlowKey wildcards{};
      std::vector<const TestRule*> prefix = visit_prefix(key, &wildcards);
      expected.resize(std::min(expected.size(), limit));
      ASSERT_EQ(prefix, expected) << "step " << step << " limit " << limit;
      for (int k = 0; k < kSoundnessKeys; ++k) {
        FlowKey other = h.universe_.KeyAgreeingOn(key, wildcards);
        ASSERT_EQ(visit_prefix(other, nullptr), prefix) << "step " << step << " limit " << limit;
      }
    }
  }
}

TEST(ClassifierPropertyTest, FindExactFindsEveryLiveRule) {
  const uint64_t seed = TestSeed(0x5eed0003);
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed=" + std::to_string(seed) + " (set PODSWITCH_TEST_SEED to replay)");
  for (int round = 0; round < kRounds && !HasFailure(); ++round) {
    Harness h(rng, /*distinct_priorities=*/true);
    for (int i = 0; i < 60; ++i) h.InsertRandomRule();
    for (int i = 0; i < 30; ++i) h.RemoveRandomRule();
    for (const TestRule* rule : h.live_) {
      ASSERT_EQ(h.classifier_.FindExact(rule->match, rule->priority), rule);
    }
    for (const auto& rule : h.owned_) {
      bool live = std::find(h.live_.begin(), h.live_.end(), rule.get()) != h.live_.end();
      if (!live) ASSERT_EQ(h.classifier_.FindExact(rule->match, rule->priority), nullptr);
    }
    size_t visited = 0;
    h.classifier_.ForEachRule([&](const TestRule&) { ++visited; });
    EXPECT_EQ(visited, h.live_.size());
    h.CheckCounts();
    while (!h.live_.empty()) h.RemoveRandomRule();
    h.CheckCounts();
  }
}

TEST(ClassifierPropertyTest, EqualPrioritiesReturnAMaximalMatchSoundly) {
  const uint64_t seed = TestSeed(0x5eed0004);
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed=" + std::to_string(seed) + " (set PODSWITCH_TEST_SEED to replay)");
  for (int round = 0; round < kRounds && !HasFailure(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Harness h(rng, /*distinct_priorities=*/false);
    int initial = static_cast<int>(rng() % 40);
    for (int i = 0; i < initial; ++i) h.InsertRandomRule();
    for (int step = 0; step < kStepsPerRound && !HasFailure(); ++step) {
      if (rng() % 10 == 0) h.InsertRandomRule();
      if (rng() % 10 == 0) h.RemoveRandomRule();
      FlowKey key = h.RandomKey();
      FlowKey wildcards{};
      const TestRule* found = h.classifier_.Lookup(key, &wildcards);
      const TestRule* best = BruteForceLookup(h.live_, key);
      if (best == nullptr) {
        ASSERT_EQ(found, nullptr) << "step " << step;
        continue;
      }
      ASSERT_NE(found, nullptr) << "step " << step;
      ASSERT_TRUE(found->match.Matches(key)) << "step " << step;
      ASSERT_EQ(found->priority, best->priority) << "step " << step;
      for (int k = 0; k < kSoundnessKeys; ++k) {
        FlowKey other = h.universe_.KeyAgreeingOn(key, wildcards);
        ASSERT_EQ(h.classifier_.Lookup(other, nullptr), found) << "step " << step;
      }
    }
  }
}

}  // namespace
}  // namespace podswitch::core::classifier_test
