// MegaflowCache: the wildcard flow cache. Each entry covers every packet whose key agrees
// with the key that created it on the bits the pipeline walk looked at, so one slow-path
// translation serves a whole class of packets. Lookups use the tuple-space classifier.
#pragma once

#include <cstdint>
#include <list>
#include <vector>

#include "dataplane/core/classifier/classifier.h"
#include "dataplane/core/datapath/dp_action.h"
#include "dataplane/core/pipeline/pipeline.h"

namespace podswitch::core {

struct MegaflowEntry {
  Match match;           // key & wildcards, wildcards
  int32_t priority = 0;  // megaflows never overlap in meaning; all share one priority
  FlowKey key{};         // the key that created the entry, for revalidation
  DpActions actions;
  std::vector<FlowRule*> rules;  // rules charged on every hit
  uint64_t n_packets = 0;
  uint64_t n_bytes = 0;
  uint64_t last_used_ms = 0;

  // Charges one packet to the entry and to every rule it came from.
  void Hit(uint32_t bytes, uint64_t now_ms) {
    ++n_packets;
    n_bytes += bytes;
    last_used_ms = now_ms;
    for (FlowRule* rule : rules) rule->Hit(bytes, now_ms);
  }
};

struct RevalidationResult {
  size_t kept = 0;
  size_t removed = 0;
};

class MegaflowCache {
 public:
  explicit MegaflowCache(size_t max_entries = 65536) : max_entries_(max_entries) {}
  MegaflowCache(const MegaflowCache&) = delete;
  MegaflowCache& operator=(const MegaflowCache&) = delete;

  // The entry covering `key`, or nullptr.
  MegaflowEntry* Lookup(const FlowKey& key) const {
    FlowKey unused;
    return const_cast<MegaflowEntry*>(classifier_.Lookup(key, &unused));
  }

  // Caches the translation of `key`. Never frees an entry, so pointers handed out during a
  // batch stay valid; TrimToCapacity enforces the bound between batches.
  MegaflowEntry* Insert(const FlowKey& key, Translation translation);

  // When over capacity, drops the oldest entries down to seven eighths of it; returns how many.
  size_t TrimToCapacity();

  // Re-translates every entry's key against the pipeline as it is now: an entry stays when
  // it would get the same actions and its mask still covers everything the new walk reads;
  // otherwise it goes. This is the targeted invalidation after flow or MAC changes.
  RevalidationResult Revalidate(const Pipeline& pipeline, uint64_t now_ms);

  // Removes every entry.
  void Clear();

  size_t size() const { return entries_.size(); }
  size_t subtable_count() const { return classifier_.subtable_count(); }
  // Changes whenever an entry is freed, so holders of entry pointers (the EMC) drop them.
  uint64_t epoch() const { return epoch_; }
  uint64_t evictions() const { return evictions_; }

 private:
  void Erase(std::list<MegaflowEntry>::iterator it);

  size_t max_entries_;
  std::list<MegaflowEntry> entries_;  // oldest first; nodes keep stable addresses
  Classifier<MegaflowEntry> classifier_;
  uint64_t epoch_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace podswitch::core
