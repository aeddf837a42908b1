#include "dataplane/core/cache/megaflow_cache.h"

#include <utility>

namespace podswitch::core {
namespace {

// True when every bit set in `inner` is also set in `outer`.
bool MaskCovers(const FlowKey& outer, const FlowKey& inner) {
  for (size_t i = 0; i < kFlowKeyWords; ++i) {
    if ((FlowKeyWord(inner, i) & ~FlowKeyWord(outer, i)) != 0) return false;
  }
  return true;
}

}  // namespace

MegaflowEntry* MegaflowCache::Insert(const FlowKey& key, Translation translation) {
  Match match{MaskedKey(key, translation.wildcards), translation.wildcards};
  if (MegaflowEntry* existing = classifier_.FindExact(match, 0)) return existing;
  MegaflowEntry& entry = entries_.emplace_back();
  entry.match = match;
  entry.key = key;
  entry.actions = std::move(translation.actions);
  entry.rules = std::move(translation.rules);
  classifier_.Insert(&entry);
  return &entry;
}

RevalidationResult MegaflowCache::Revalidate(const Pipeline& pipeline, uint64_t now_ms) {
  RevalidationResult result;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Translation fresh = pipeline.Translate(it->key, now_ms);
    if (fresh.actions == it->actions && MaskCovers(it->match.mask, fresh.wildcards)) {
      it->rules = std::move(fresh.rules);
      ++result.kept;
      ++it;
    } else {
      auto doomed = it++;
      Erase(doomed);
      ++result.removed;
    }
  }
  return result;
}

size_t MegaflowCache::TrimToCapacity() {
  if (entries_.size() <= max_entries_) return 0;
  size_t target = max_entries_ - max_entries_ / 8;
  size_t victims = 0;
  for (; entries_.size() > target; ++victims) Erase(entries_.begin());
  evictions_ += victims;
  return victims;
}

void MegaflowCache::Clear() {
  while (!entries_.empty()) Erase(entries_.begin());
}

void MegaflowCache::Erase(std::list<MegaflowEntry>::iterator it) {
  classifier_.Remove(&*it);
  entries_.erase(it);
  ++epoch_;
}

}  // namespace podswitch::core
