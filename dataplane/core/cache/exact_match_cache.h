// ExactMatchCache (EMC): a small direct-mapped cache from a packet's whole key to its
// megaflow entry, in front of the megaflow cache. A hit costs one hash and one compare.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/core/cache/megaflow_cache.h"

namespace podswitch::core {

class ExactMatchCache {
 public:
  // `slots` is rounded up to a power of two.
  explicit ExactMatchCache(size_t slots = 8192) {
    size_t n = 1;
    while (n < slots) n <<= 1;
    slots_.resize(n);
  }

  // The megaflow entry cached for exactly this key, or nullptr.
  MegaflowEntry* Lookup(const FlowKey& key, uint64_t hash) const {
    const Slot& slot = slots_[hash & (slots_.size() - 1)];
    if (slot.flow != nullptr && slot.hash == hash && slot.key == key) return slot.flow;
    return nullptr;
  }

  // Remembers `flow` for `key`, replacing whatever shared its slot.
  void Insert(const FlowKey& key, uint64_t hash, MegaflowEntry* flow) {
    Slot& slot = slots_[hash & (slots_.size() - 1)];
    slot.key = key;
    slot.hash = hash;
    slot.flow = flow;
  }

  // Forgets every entry (the megaflows they point to may be gone).
  void Clear() {
    for (Slot& slot : slots_) slot.flow = nullptr;
  }

  size_t capacity() const { return slots_.size(); }

 private:
  struct Slot {
    FlowKey key{};
    uint64_t hash = 0;
    MegaflowEntry* flow = nullptr;
  };
  std::vector<Slot> slots_;
};

}  // namespace podswitch::core
