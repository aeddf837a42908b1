// Helpers shared by the classifier's unit and property tests: a rule type, match builders
// and the brute-force reference the classifier is checked against.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "dataplane/core/classifier/classifier.h"
#include "dataplane/core/flow/match.h"
#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core::classifier_test {

// The smallest rule the classifier accepts, plus a name for readable failures.
struct TestRule {
  Match match;
  int32_t priority = 0;
  int id = 0;
};

// Names a rule in failure messages (rather than a bare pointer).
inline void PrintTo(const TestRule* rule, std::ostream* os) {
  if (rule == nullptr) {
    *os << "no rule";
  } else {
    *os << "rule " << rule->id << " (priority " << rule->priority << ")";
  }
}

// Sets `field` to `value` under `mask` in a match (value kept pre-masked).
template <typename T>
void SetField(Match& match, T FlowKey::*field, T value, T mask = static_cast<T>(~T{})) {
  match.value.*field = static_cast<T>(value & mask);
  match.mask.*field = mask;
}

// Sets register `reg` to `value` under `mask`.
inline void SetReg(Match& match, int reg, uint32_t value, uint32_t mask = ~0u) {
  match.value.regs[reg] = value & mask;
  match.mask.regs[reg] = mask;
}

// A prefix mask of `len` bits for an IPv4 address.
inline uint32_t PrefixMask(int len) { return len == 0 ? 0 : ~0u << (32 - len); }

// The highest-priority rule matching `key` by a linear scan (first one on ties).
inline const TestRule* BruteForceLookup(const std::vector<const TestRule*>& rules,
                                        const FlowKey& key) {
  const TestRule* best = nullptr;
  for (const TestRule* rule : rules) {
    if (rule->match.Matches(key) && (best == nullptr || rule->priority > best->priority)) {
      best = rule;
    }
  }
  return best;
}

// Every rule matching `key`, collected by Classifier::ForEachMatch.
inline std::vector<const TestRule*> AllMatches(const Classifier<TestRule>& classifier,
                                               const FlowKey& key, FlowKey* wildcards) {
  std::vector<const TestRule*> out;
  classifier.ForEachMatch(key, wildcards, [&](const TestRule& rule) {
    out.push_back(&rule);
    return true;
  });
  return out;
}

}  // namespace podswitch::core::classifier_test
