// Match: a value and a mask over FlowKey. A key matches when (key & mask) == value; the
// value is kept pre-masked. Fields a flow does not mention have a zero mask (wildcarded).
#pragma once

#include <cstdint>

#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {

struct Match {
  FlowKey value{};
  FlowKey mask{};

  // True when `key` agrees with `value` on every bit of `mask`.
  bool Matches(const FlowKey& key) const {
    for (size_t i = 0; i < kFlowKeyWords; ++i) {
      if ((FlowKeyWord(key, i) & FlowKeyWord(mask, i)) != FlowKeyWord(value, i)) return false;
    }
    return true;
  }

  // Clears value bits outside the mask, so equal matches compare equal.
  void Normalize() {
    for (size_t i = 0; i < kFlowKeyWords; ++i) {
      SetFlowKeyWord(value, i, FlowKeyWord(value, i) & FlowKeyWord(mask, i));
    }
  }

  friend bool operator==(const Match& a, const Match& b) {
    return a.value == b.value && a.mask == b.mask;
  }
};

// `key & mask`, word by word.
inline FlowKey MaskedKey(const FlowKey& key, const FlowKey& mask) {
  FlowKey out;
  for (size_t i = 0; i < kFlowKeyWords; ++i) {
    SetFlowKeyWord(out, i, FlowKeyWord(key, i) & FlowKeyWord(mask, i));
  }
  return out;
}

// `a |= b`: accumulates the bits a pipeline walk looked at (megaflow wildcards).
inline void UnionMask(FlowKey& a, const FlowKey& b) {
  for (size_t i = 0; i < kFlowKeyWords; ++i) {
    SetFlowKeyWord(a, i, FlowKeyWord(a, i) | FlowKeyWord(b, i));
  }
}

}  // namespace podswitch::core
