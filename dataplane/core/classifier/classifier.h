// Classifier: tuple-space search over rules with arbitrary masks, as in Open vSwitch's
// lib/classifier.c. Rules are grouped into one subtable per distinct mask; each subtable is a
// hash table from the masked key to the rules with exactly that match. A lookup probes the
// subtables in descending order of their highest priority and stops as soon as no remaining
// subtable can hold a better rule, so a hit on a high-priority rule neither costs nor
// unwildcards the low-priority subtables.
//
// Equal priorities: when several rules of the same priority match a key, any one of them may
// be returned (OVS leaves it undefined too); the choice is deterministic for a given
// classifier state, so the wildcards of a lookup stay sound.
//
// Not thread-safe: one writer, and no readers while it writes.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "dataplane/core/flow/match.h"
#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {

namespace classifier_internal {

// Hashes and compares whole FlowKeys: the subtable directory, keyed by mask.
struct FlowKeyHash {
  size_t operator()(const FlowKey& key) const { return HashFlowKey(key); }
};
struct FlowKeyEq {
  bool operator()(const FlowKey& a, const FlowKey& b) const { return a == b; }
};

// The words of a mask that are not all zero. A subtable's keys are masked, so only these
// words can differ between two of them; hashing and comparing just these is what keeps a
// probe cheap when a mask touches two or three of the key's words.
struct MaskWords {
  std::array<uint8_t, kFlowKeyWords> index{};
  uint8_t count = 0;

  static MaskWords Of(const FlowKey& mask) {
    MaskWords words;
    for (size_t i = 0; i < kFlowKeyWords; ++i) {
      if (FlowKeyWord(mask, i) != 0) words.index[words.count++] = static_cast<uint8_t>(i);
    }
    return words;
  }
};

// HashFlowKey's mixing, restricted to the words of one subtable's mask.
struct MaskedKeyHash {
  MaskWords words;
  size_t operator()(const FlowKey& key) const {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (uint8_t i = 0; i < words.count; ++i) {
      h ^= FlowKeyWord(key, words.index[i]);
      h *= 0xff51afd7ed558ccdull;
      h ^= h >> 32;
    }
    return h;
  }
};

// Equality of two masked keys of one subtable: only the mask's words can differ.
struct MaskedKeyEq {
  MaskWords words;
  bool operator()(const FlowKey& a, const FlowKey& b) const {
    for (uint8_t i = 0; i < words.count; ++i) {
      if (FlowKeyWord(a, words.index[i]) != FlowKeyWord(b, words.index[i])) return false;
    }
    return true;
  }
};

}  // namespace classifier_internal

// A set of rules (owned by the caller) that answers "which rule matches this key best".
// `Rule` must have public members `Match match;` (value pre-masked, see Match::Normalize)
// and `int32_t priority;`, neither changed while the rule is in the classifier.
template <typename Rule>
class Classifier {
 public:
  Classifier() = default;
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;
  Classifier(Classifier&&) = default;
  Classifier& operator=(Classifier&&) = default;

  // Adds a rule so lookups can find it; the caller keeps ownership and the pointer must stay
  // valid until Remove. A rule may share its match, even its priority, with other rules.
  void Insert(Rule* rule);

  // Takes a rule out (the caller is about to delete or change it); false when not present.
  bool Remove(const Rule* rule);

  // Finds the highest-priority rule matching `key` (nullptr if none), and ORs into
  // `*wildcards` (may be nullptr) the mask of every subtable consulted, so a megaflow built
  // from them is exact: any key equal to `key` on those bits gets the same result.
  const Rule* Lookup(const FlowKey& key, FlowKey* wildcards) const;

  // Calls `visit(const Rule&)` for every rule matching `key`, in descending priority order,
  // until it returns false: conjunctive matches need all of them (slow path). ORs into
  // `*wildcards` (may be nullptr) the masks of the subtables consulted before stopping.
  template <typename Visit>
  void ForEachMatch(const FlowKey& key, FlowKey* wildcards, Visit visit) const;

  // The rule with exactly this match and priority, for OpenFlow's strict modify and delete.
  Rule* FindExact(const Match& match, int32_t priority) const;

  // Calls `visit(Rule&)` on every rule, in no particular order, for dumps and non-strict
  // modify/delete; the callback must not insert into or remove from the classifier.
  template <typename Visit>
  void ForEachRule(Visit visit) const;

  // Number of rules, for flow-table statistics and limits.
  size_t size() const { return size_; }
  // Number of distinct masks, which is what a lookup's cost grows with.
  size_t subtable_count() const { return subtables_.size(); }
  // True when there are no rules.
  bool empty() const { return size_ == 0; }

 private:
  // The rules that share one match, highest priority first (equal priorities by insertion).
  using Bucket = absl::InlinedVector<Rule*, 1>;

  // All the rules with one mask.
  struct Subtable {
    explicit Subtable(const FlowKey& m)
        : mask(m),
          rules(0, classifier_internal::MaskedKeyHash{classifier_internal::MaskWords::Of(m)},
                classifier_internal::MaskedKeyEq{classifier_internal::MaskWords::Of(m)}),
          words(classifier_internal::MaskWords::Of(m)) {}

    FlowKey mask;
    absl::flat_hash_map<FlowKey, Bucket, classifier_internal::MaskedKeyHash,
                        classifier_internal::MaskedKeyEq>
        rules;
    classifier_internal::MaskWords words;
    int32_t max_priority = 0;
    // How many rules have each priority, so max_priority survives removals in O(log n).
    std::map<int32_t, uint32_t, std::greater<int32_t>> priority_counts;
  };

  static void AddWildcards(FlowKey* wildcards, const Subtable& subtable);
  static const Bucket* Probe(const Subtable& subtable, const FlowKey& key, FlowKey* probe);
  void MoveToOrder(Subtable* subtable);

  // Subtables by mask, owning them.
  absl::flat_hash_map<FlowKey, std::unique_ptr<Subtable>, classifier_internal::FlowKeyHash,
                      classifier_internal::FlowKeyEq>
      by_mask_;
  // The same subtables, by max_priority descending: the order lookups probe them in.
  std::vector<Subtable*> subtables_;
  size_t size_ = 0;
};

template <typename Rule>
void Classifier<Rule>::Insert(Rule* rule) {
  const Match& match = rule->match;
  assert(MaskedKey(match.value, match.mask) == match.value && "Match not normalized");
  auto [it, created] = by_mask_.try_emplace(match.mask);
  if (created) {
    it->second = std::make_unique<Subtable>(match.mask);
    subtables_.push_back(it->second.get());
  }
  Subtable& subtable = *it->second;
  Bucket& bucket = subtable.rules[match.value];
  assert(std::find(bucket.begin(), bucket.end(), rule) == bucket.end() && "inserted twice");
  auto pos = std::find_if(bucket.begin(), bucket.end(),
                          [&](const Rule* r) { return r->priority < rule->priority; });
  bucket.insert(pos, rule);
  ++subtable.priority_counts[rule->priority];
  ++size_;
  if (created || rule->priority > subtable.max_priority) {
    subtable.max_priority = rule->priority;
    MoveToOrder(&subtable);
  }
}

template <typename Rule>
bool Classifier<Rule>::Remove(const Rule* rule) {
  const Match& match = rule->match;
  auto sub_it = by_mask_.find(match.mask);
  if (sub_it == by_mask_.end()) return false;
  Subtable& subtable = *sub_it->second;
  auto bucket_it = subtable.rules.find(match.value);
  if (bucket_it == subtable.rules.end()) return false;
  Bucket& bucket = bucket_it->second;
  auto pos = std::find(bucket.begin(), bucket.end(), rule);
  if (pos == bucket.end()) return false;
  bucket.erase(pos);
  if (bucket.empty()) subtable.rules.erase(bucket_it);
  --size_;

  auto count_it = subtable.priority_counts.find(rule->priority);
  if (--count_it->second == 0) subtable.priority_counts.erase(count_it);
  if (subtable.priority_counts.empty()) {
    subtables_.erase(std::find(subtables_.begin(), subtables_.end(), &subtable));
    by_mask_.erase(sub_it);
    return true;
  }
  int32_t new_max = subtable.priority_counts.begin()->first;
  if (new_max != subtable.max_priority) {
    subtable.max_priority = new_max;
    MoveToOrder(&subtable);
  }
  return true;
}

template <typename Rule>
void Classifier<Rule>::AddWildcards(FlowKey* wildcards, const Subtable& subtable) {
  if (wildcards == nullptr) return;
  for (uint8_t i = 0; i < subtable.words.count; ++i) {
    size_t w = subtable.words.index[i];
    SetFlowKeyWord(*wildcards, w, FlowKeyWord(*wildcards, w) | FlowKeyWord(subtable.mask, w));
  }
}

// The bucket of `subtable` that `key` falls in, or nullptr. `probe` is scratch space whose
// words outside the subtable's mask are never read.
template <typename Rule>
auto Classifier<Rule>::Probe(const Subtable& subtable, const FlowKey& key, FlowKey* probe)
    -> const Bucket* {
  for (uint8_t i = 0; i < subtable.words.count; ++i) {
    size_t w = subtable.words.index[i];
    SetFlowKeyWord(*probe, w, FlowKeyWord(key, w) & FlowKeyWord(subtable.mask, w));
  }
  auto it = subtable.rules.find(*probe);
  return it == subtable.rules.end() ? nullptr : &it->second;
}

template <typename Rule>
const Rule* Classifier<Rule>::Lookup(const FlowKey& key, FlowKey* wildcards) const {
  const Rule* best = nullptr;
  FlowKey probe{};
  for (const Subtable* subtable : subtables_) {
    // Subtables are sorted by max_priority, so none from here on can beat `best`.
    if (best != nullptr && subtable->max_priority <= best->priority) break;
    AddWildcards(wildcards, *subtable);
    const Bucket* bucket = Probe(*subtable, key, &probe);
    if (bucket == nullptr) continue;
    const Rule* rule = bucket->front();
    if (best == nullptr || rule->priority > best->priority) best = rule;
  }
  return best;
}

template <typename Rule>
template <typename Visit>
void Classifier<Rule>::ForEachMatch(const FlowKey& key, FlowKey* wildcards, Visit visit) const {
  // Matches found but not yet visited, lowest priority first. One is visited once no
  // unconsulted subtable can hold a higher-priority rule, so stopping early leaves the
  // remaining subtables out of the wildcards, as Lookup does.
  absl::InlinedVector<const Rule*, 16> pending;
  auto lower = [](const Rule* a, const Rule* b) { return a->priority < b->priority; };
  FlowKey probe{};
  for (const Subtable* subtable : subtables_) {
    while (!pending.empty() && pending.back()->priority >= subtable->max_priority) {
      const Rule* rule = pending.back();
      pending.pop_back();
      if (!visit(*rule)) return;
    }
    AddWildcards(wildcards, *subtable);
    const Bucket* bucket = Probe(*subtable, key, &probe);
    if (bucket == nullptr) continue;
    pending.insert(pending.end(), bucket->begin(), bucket->end());
    std::stable_sort(pending.begin(), pending.end(), lower);
  }
  while (!pending.empty()) {
    const Rule* rule = pending.back();
    pending.pop_back();
    if (!visit(*rule)) return;
  }
}

template <typename Rule>
Rule* Classifier<Rule>::FindExact(const Match& match, int32_t priority) const {
  auto sub_it = by_mask_.find(match.mask);
  if (sub_it == by_mask_.end()) return nullptr;
  const Subtable& subtable = *sub_it->second;
  auto bucket_it = subtable.rules.find(MaskedKey(match.value, match.mask));
  if (bucket_it == subtable.rules.end()) return nullptr;
  for (Rule* rule : bucket_it->second) {
    if (rule->priority == priority) return rule;
  }
  return nullptr;
}

template <typename Rule>
template <typename Visit>
void Classifier<Rule>::ForEachRule(Visit visit) const {
  for (const Subtable* subtable : subtables_) {
    for (const auto& [value, bucket] : subtable->rules) {
      for (Rule* rule : bucket) visit(*rule);
    }
  }
}

// Restores the max_priority-descending order of subtables_ after `subtable`'s max_priority
// changed (or it was just appended): one bubble pass in the direction it moved.
template <typename Rule>
void Classifier<Rule>::MoveToOrder(Subtable* subtable) {
  size_t i = std::find(subtables_.begin(), subtables_.end(), subtable) - subtables_.begin();
  while (i > 0 && subtables_[i - 1]->max_priority < subtable->max_priority) {
    subtables_[i] = subtables_[i - 1];
    --i;
  }
  while (i + 1 < subtables_.size() && subtables_[i + 1]->max_priority > subtable->max_priority) {
    subtables_[i] = subtables_[i + 1];
    ++i;
  }
  subtables_[i] = subtable;
}

}  // namespace podswitch::core
