// Unit tests of the tuple-space-search classifier: priorities, wildcards, shared matches,
// strict lookup, removal and early termination.
#include "dataplane/core/classifier/classifier.h"

#include <gtest/gtest.h>

#include <vector>

#include "dataplane/core/classifier/classifier_test_util.h"

namespace podswitch::core::classifier_test {
namespace {

TestRule InPortRule(uint32_t in_port, int32_t priority, int id = 0) {
  TestRule rule{.priority = priority, .id = id};
  SetField(rule.match, &FlowKey::in_port, in_port);
  return rule;
}

TestRule NwSrcRule(uint32_t nw_src, int prefix_len, int32_t priority, int id = 0) {
  TestRule rule{.priority = priority, .id = id};
  SetField(rule.match, &FlowKey::dl_type, uint16_t{0x0800});
  SetField(rule.match, &FlowKey::nw_src, nw_src, PrefixMask(prefix_len));
  return rule;
}

FlowKey Ipv4Key(uint32_t in_port, uint32_t nw_src) {
  FlowKey key{};
  key.in_port = in_port;
  key.dl_type = 0x0800;
  key.nw_src = nw_src;
  return key;
}

TEST(ClassifierTest, EmptyFindsNothingAndLooksAtNothing) {
  Classifier<TestRule> classifier;
  FlowKey wildcards{};
  EXPECT_EQ(classifier.Lookup(Ipv4Key(1, 0x0a000001), &wildcards), nullptr);
  EXPECT_EQ(wildcards, FlowKey{});
  EXPECT_TRUE(classifier.empty());
  EXPECT_EQ(classifier.size(), 0u);
  EXPECT_EQ(classifier.subtable_count(), 0u);
}

TEST(ClassifierTest, HighestPriorityOfOverlappingRulesWins) {
  Classifier<TestRule> classifier;
  TestRule low = NwSrcRule(0x0a000000, 8, 10, 1);
  TestRule mid = NwSrcRule(0x0a010000, 16, 20, 2);
  TestRule high = InPortRule(1, 30, 3);
  classifier.Insert(&low);
  classifier.Insert(&high);
  classifier.Insert(&mid);
  EXPECT_EQ(classifier.subtable_count(), 3u);

  EXPECT_EQ(classifier.Lookup(Ipv4Key(1, 0x0a010203), nullptr), &high);
  EXPECT_EQ(classifier.Lookup(Ipv4Key(2, 0x0a010203), nullptr), &mid);
  EXPECT_EQ(classifier.Lookup(Ipv4Key(2, 0x0a020203), nullptr), &low);
  EXPECT_EQ(classifier.Lookup(Ipv4Key(2, 0x0b010203), nullptr), nullptr);

  ASSERT_TRUE(classifier.Remove(&high));
  EXPECT_EQ(classifier.Lookup(Ipv4Key(1, 0x0a010203), nullptr), &mid);
}

TEST(ClassifierTest, MissAccumulatesEveryMask) {
  Classifier<TestRule> classifier;
  TestRule by_port = InPortRule(1, 30);
  TestRule by_src = NwSrcRule(0x0a000000, 8, 10);
  classifier.Insert(&by_port);
  classifier.Insert(&by_src);

  FlowKey wildcards{};
  EXPECT_EQ(classifier.Lookup(Ipv4Key(2, 0x0b000001), &wildcards), nullptr);
  FlowKey expected{};
  UnionMask(expected, by_port.match.mask);
  UnionMask(expected, by_src.match.mask);
  EXPECT_EQ(wildcards, expected);
}

TEST(ClassifierTest, HighPriorityHitDoesNotUnwildcardLowerSubtables) {
  Classifier<TestRule> classifier;
  TestRule high = InPortRule(1, 100);
  TestRule low = NwSrcRule(0x0a000000, 8, 10);
  classifier.Insert(&low);
  classifier.Insert(&high);

  FlowKey wildcards{};
  EXPECT_EQ(classifier.Lookup(Ipv4Key(1, 0x0a000001), &wildcards), &high);
  EXPECT_EQ(wildcards, high.match.mask);
  EXPECT_EQ(wildcards.nw_src, 0u);
  EXPECT_EQ(wildcards.dl_type, 0u);

  // Wildcards are ORed into what the caller already has.
  FlowKey earlier{};
  earlier.tp_dst = 0xffff;
  EXPECT_EQ(classifier.Lookup(Ipv4Key(1, 0x0a000001), &earlier), &high);
  EXPECT_EQ(earlier.tp_dst, 0xffff);
  EXPECT_EQ(earlier.in_port, ~0u);
}

TEST(ClassifierTest, EqualPriorityStopsTheWalk) {
  Classifier<TestRule> classifier;
  TestRule first = InPortRule(1, 50, 1);
  TestRule second = NwSrcRule(0x0a000000, 8, 50, 2);
  classifier.Insert(&first);
  classifier.Insert(&second);

  FlowKey wildcards{};
  const TestRule* found = classifier.Lookup(Ipv4Key(1, 0x0a000001), &wildcards);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->priority, 50);
  // Only the subtable that produced the hit was consulted.
  EXPECT_EQ(wildcards, found->match.mask);
}

TEST(ClassifierTest, SeveralRulesShareOneMatch) {
  Classifier<TestRule> classifier;
  TestRule p10 = InPortRule(1, 10, 1);
  TestRule p30 = InPortRule(1, 30, 3);
  TestRule p20 = InPortRule(1, 20, 2);
  classifier.Insert(&p10);
  classifier.Insert(&p30);
  classifier.Insert(&p20);
  EXPECT_EQ(classifier.size(), 3u);
  EXPECT_EQ(classifier.subtable_count(), 1u);

  EXPECT_EQ(classifier.Lookup(Ipv4Key(1, 0), nullptr), &p30);
  EXPECT_EQ(AllMatches(classifier, Ipv4Key(1, 0), nullptr),
            (std::vector<const TestRule*>{&p30, &p20, &p10}));

  ASSERT_TRUE(classifier.Remove(&p30));
  EXPECT_EQ(classifier.Lookup(Ipv4Key(1, 0), nullptr), &p20);
  ASSERT_TRUE(classifier.Remove(&p20));
  EXPECT_EQ(classifier.Lookup(Ipv4Key(1, 0), nullptr), &p10);
}

TEST(ClassifierTest, FindExactNeedsMatchAndPriority) {
  Classifier<TestRule> classifier;
  TestRule a = InPortRule(1, 10);
  TestRule b = InPortRule(1, 20);
  TestRule c = NwSrcRule(0x0a000000, 8, 10);
  classifier.Insert(&a);
  classifier.Insert(&b);
  classifier.Insert(&c);

  EXPECT_EQ(classifier.FindExact(a.match, 10), &a);
  EXPECT_EQ(classifier.FindExact(a.match, 20), &b);
  EXPECT_EQ(classifier.FindExact(a.match, 15), nullptr);
  EXPECT_EQ(classifier.FindExact(c.match, 10), &c);
  EXPECT_EQ(classifier.FindExact(InPortRule(2, 10).match, 10), nullptr);
  // Same value, wider prefix: a different match.
  EXPECT_EQ(classifier.FindExact(NwSrcRule(0x0a000000, 16, 10).match, 10), nullptr);
  // A value with bits outside its mask still names the same match.
  Match unnormalized = c.match;
  unnormalized.value.nw_src = 0x0a0000ff;
  EXPECT_EQ(classifier.FindExact(unnormalized, 10), &c);
}

TEST(ClassifierTest, RemoveDeletesEmptySubtables) {
  Classifier<TestRule> classifier;
  TestRule a = InPortRule(1, 10);
  TestRule b = InPortRule(2, 20);
  TestRule c = NwSrcRule(0x0a000000, 8, 30);
  TestRule never_inserted = InPortRule(3, 10);
  classifier.Insert(&a);
  classifier.Insert(&b);
  classifier.Insert(&c);
  EXPECT_EQ(classifier.subtable_count(), 2u);

  EXPECT_FALSE(classifier.Remove(&never_inserted));
  TestRule twin_of_a = a;  // same match and priority, different rule
  EXPECT_FALSE(classifier.Remove(&twin_of_a));

  EXPECT_TRUE(classifier.Remove(&c));
  EXPECT_FALSE(classifier.Remove(&c));
  EXPECT_EQ(classifier.subtable_count(), 1u);
  EXPECT_TRUE(classifier.Remove(&a));
  EXPECT_EQ(classifier.subtable_count(), 1u);
  EXPECT_EQ(classifier.Lookup(Ipv4Key(1, 0), nullptr), nullptr);
  EXPECT_EQ(classifier.Lookup(Ipv4Key(2, 0), nullptr), &b);
  EXPECT_TRUE(classifier.Remove(&b));
  EXPECT_EQ(classifier.subtable_count(), 0u);
  EXPECT_TRUE(classifier.empty());

  // Removed rules can come back.
  classifier.Insert(&c);
  EXPECT_EQ(classifier.Lookup(Ipv4Key(9, 0x0a000001), nullptr), &c);
}

TEST(ClassifierTest, SubtableOrderFollowsMaxPriorityChanges) {
  Classifier<TestRule> classifier;
  TestRule port_low = InPortRule(1, 10);
  TestRule src_mid = NwSrcRule(0x0a000000, 8, 20);
  classifier.Insert(&port_low);
  classifier.Insert(&src_mid);
  FlowKey key = Ipv4Key(1, 0x0a000001);
  EXPECT_EQ(classifier.Lookup(key, nullptr), &src_mid);

  // The in_port subtable overtakes the nw_src one.
  TestRule port_high = InPortRule(2, 30);
  classifier.Insert(&port_high);
  TestRule port_top = InPortRule(1, 25);
  classifier.Insert(&port_top);
  FlowKey wildcards{};
  EXPECT_EQ(classifier.Lookup(key, &wildcards), &port_top);
  EXPECT_EQ(wildcards, port_top.match.mask);

  // And falls back behind it when its best rules go.
  classifier.Remove(&port_high);
  classifier.Remove(&port_top);
  wildcards = FlowKey{};
  EXPECT_EQ(classifier.Lookup(key, &wildcards), &src_mid);
  EXPECT_EQ(wildcards, src_mid.match.mask);
}

TEST(ClassifierTest, CatchAllRuleMatchesEverything) {
  Classifier<TestRule> classifier;
  TestRule catch_all{.priority = 0};
  TestRule specific = InPortRule(1, 10);
  classifier.Insert(&catch_all);
  classifier.Insert(&specific);
  EXPECT_EQ(classifier.Lookup(Ipv4Key(1, 5), nullptr), &specific);
  FlowKey wildcards{};
  EXPECT_EQ(classifier.Lookup(Ipv4Key(7, 5), &wildcards), &catch_all);
  EXPECT_EQ(wildcards, specific.match.mask);
}

TEST(ClassifierTest, ForEachMatchVisitsInPriorityOrderAndStops) {
  Classifier<TestRule> classifier;
  TestRule r40 = InPortRule(1, 40);
  TestRule r30 = NwSrcRule(0x0a000000, 8, 30);
  TestRule r20 = InPortRule(1, 20);
  TestRule r10 = NwSrcRule(0x0a000000, 16, 10);
  TestRule other = InPortRule(2, 50);
  for (TestRule* r : {&r40, &r30, &r20, &r10, &other}) classifier.Insert(r);

  FlowKey key = Ipv4Key(1, 0x0a000001);
  EXPECT_EQ(AllMatches(classifier, key, nullptr),
            (std::vector<const TestRule*>{&r40, &r30, &r20, &r10}));

  // Stopping after the first match leaves the nw_src subtables out of the wildcards.
  FlowKey wildcards{};
  std::vector<const TestRule*> seen;
  classifier.ForEachMatch(key, &wildcards, [&](const TestRule& rule) {
    seen.push_back(&rule);
    return false;
  });
  EXPECT_EQ(seen, std::vector<const TestRule*>{&r40});
  EXPECT_EQ(wildcards, r40.match.mask);
}

TEST(ClassifierTest, ForEachRuleVisitsEveryRule) {
  Classifier<TestRule> classifier;
  std::vector<TestRule> rules;
  for (int i = 0; i < 20; ++i) {
    rules.push_back(i % 2 ? InPortRule(i % 5, i, i) : NwSrcRule(i << 24, 8 + i % 3, i, i));
  }
  for (TestRule& r : rules) classifier.Insert(&r);
  int visited = 0, id_sum = 0;
  classifier.ForEachRule([&](TestRule& rule) {
    ++visited;
    id_sum += rule.id;
  });
  EXPECT_EQ(visited, 20);
  EXPECT_EQ(id_sum, 190);
  EXPECT_EQ(classifier.size(), 20u);
}

TEST(ClassifierTest, MovedClassifierKeepsItsRules) {
  Classifier<TestRule> classifier;
  TestRule rule = InPortRule(1, 10);
  classifier.Insert(&rule);
  Classifier<TestRule> moved = std::move(classifier);
  EXPECT_EQ(moved.Lookup(Ipv4Key(1, 0), nullptr), &rule);
  EXPECT_TRUE(moved.Remove(&rule));
}

}  // namespace
}  // namespace podswitch::core::classifier_test
