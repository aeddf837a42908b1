// MacLearningTable: the forwarding database behind NORMAL, mapping (VLAN, MAC) to the port
// the MAC was last seen on. Bounded (a MAC flood evicts the least recently seen entries
// instead of exhausting memory), aged with time passed in by the caller, and versioned so
// flow caches know when a cached NORMAL decision may have gone stale.
//
// Not thread-safe: the bridge that owns a table serializes Learn, Lookup and the flushes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {

// Limits of a table, so operators can trade memory and staleness (OVS: mac-aging-time,
// mac-table-size).
struct MacLearningOptions {
  uint64_t aging_ms = 300'000;  // an entry not seen for this long is gone
  size_t max_entries = 8192;    // learning beyond this evicts the least recently seen entry
};

// What a Learn call did, so callers can count and trace learning.
enum class LearnResult {
  kNew,        // the MAC was not known (or had expired) in this VLAN
  kRefreshed,  // known on the same port: only its age was reset
  kMoved,      // known on another port: it now points at the new one
  kIgnored,    // multicast/broadcast source or VLAN out of range: never learned
};

// One row of `fdb/show`.
struct FdbEntry {
  uint32_t port;
  uint16_t vlan;
  MacAddr mac;
  uint64_t age_seconds;  // since the MAC was last seen

  friend bool operator==(const FdbEntry&, const FdbEntry&) = default;
};

// Lifetime totals, for `fdb/stats-show` and for spotting MAC floods and flapping MACs.
struct MacLearningCounters {
  uint64_t learned = 0;  // new entries
  uint64_t moved = 0;    // entries that changed port
  uint64_t evicted = 0;  // entries dropped to make room while still fresh
  uint64_t expired = 0;  // entries dropped because they aged out
};

// The learned MACs of one bridge; see the file comment.
class MacLearningTable {
 public:
  // Creates an empty table; a max_entries of 0 is treated as 1.
  explicit MacLearningTable(MacLearningOptions options = {});

  // Records that `mac` was seen on `port` in `vlan` at `now_ms`. O(1) amortised; evicts the
  // least recently seen entry when the table is full. `now_ms` should not go backwards (an
  // earlier time is treated as the latest time seen).
  LearnResult Learn(uint16_t vlan, const MacAddr& mac, uint32_t port, uint64_t now_ms);

  // The port `mac` was learned on in `vlan`, or nullopt when unknown or aged out at `now_ms`.
  std::optional<uint32_t> Lookup(uint16_t vlan, const MacAddr& mac, uint64_t now_ms) const;

  // Removes every entry aged out at `now_ms` and returns how many; call it periodically, since
  // generation() only reflects an age-out once the entry has been removed here.
  size_t Expire(uint64_t now_ms);

  // Forget entries (all, one port's when it goes away, one VLAN's when it is reconfigured)
  // and return how many were removed.
  size_t FlushAll();
  size_t FlushPort(uint32_t port);
  size_t FlushVlan(uint16_t vlan);

  // The live entries at `now_ms`, ordered by port, VLAN and MAC, for `fdb/show`.
  std::vector<FdbEntry> Entries(uint64_t now_ms) const;

  // Reconfigure the limits at run time; shrinking evicts the least recently seen entries.
  void SetAgingMs(uint64_t aging_ms);
  void SetMaxEntries(size_t max_entries);

  uint64_t aging_ms() const { return aging_ms_; }
  size_t max_entries() const { return max_entries_; }
  size_t size() const { return index_.size(); }
  const MacLearningCounters& counters() const { return counters_; }

  // Changes whenever some Lookup result may have changed (an entry added, moved, expired,
  // evicted or flushed, or the aging time changed) but not on a pure refresh, so flow
  // caches holding NORMAL decisions can revalidate only when needed.
  uint64_t generation() const { return generation_; }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;

  // One entry, kept in a slab and linked into the LRU list (or the free list via `next`).
  struct Node {
    uint64_t key = 0;
    uint64_t last_seen_ms = 0;
    uint32_t port = 0;
    uint32_t prev = kNil;  // towards the most recently seen entry
    uint32_t next = kNil;  // towards the least recently seen entry
  };

  static uint64_t MakeKey(uint16_t vlan, const MacAddr& mac);
  bool IsExpired(const Node& node, uint64_t now_ms) const;
  void LinkAtHead(uint32_t i);
  void Unlink(uint32_t i);
  uint32_t AllocateNode();
  void Remove(uint32_t i);
  void RemoveTail();
  template <typename Pred>
  size_t RemoveIf(Pred pred);

  uint64_t aging_ms_;
  size_t max_entries_;
  absl::flat_hash_map<uint64_t, uint32_t> index_;  // MakeKey(vlan, mac) -> slab index
  std::vector<Node> nodes_;
  uint32_t free_head_ = kNil;
  uint32_t lru_head_ = kNil;  // most recently seen
  uint32_t lru_tail_ = kNil;  // least recently seen: evicted and expired first
  uint64_t latest_ms_ = 0;    // keeps the LRU list ordered by last_seen_ms
  uint64_t generation_ = 0;
  MacLearningCounters counters_;
};

}  // namespace podswitch::core
