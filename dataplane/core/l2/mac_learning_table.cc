#include "dataplane/core/l2/mac_learning_table.h"

#include <algorithm>
#include <tuple>

namespace podswitch::core {
namespace {

constexpr uint16_t kMaxVlan = 4095;

bool IsMulticast(const MacAddr& mac) { return (mac[0] & 0x01) != 0; }

uint16_t KeyVlan(uint64_t key) { return static_cast<uint16_t>(key >> 48); }

MacAddr KeyMac(uint64_t key) {
  MacAddr mac;
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(key >> (40 - 8 * i));
  return mac;
}

}  // namespace

MacLearningTable::MacLearningTable(MacLearningOptions options)
    : aging_ms_(options.aging_ms), max_entries_(std::max<size_t>(options.max_entries, 1)) {}

uint64_t MacLearningTable::MakeKey(uint16_t vlan, const MacAddr& mac) {
  uint64_t key = static_cast<uint64_t>(vlan) << 48;
  for (int i = 0; i < 6; ++i) key |= static_cast<uint64_t>(mac[i]) << (40 - 8 * i);
  return key;
}

bool MacLearningTable::IsExpired(const Node& node, uint64_t now_ms) const {
  return now_ms >= node.last_seen_ms && now_ms - node.last_seen_ms >= aging_ms_;
}

void MacLearningTable::LinkAtHead(uint32_t i) {
  Node& node = nodes_[i];
  node.prev = kNil;
  node.next = lru_head_;
  if (lru_head_ != kNil) nodes_[lru_head_].prev = i;
  lru_head_ = i;
  if (lru_tail_ == kNil) lru_tail_ = i;
}

void MacLearningTable::Unlink(uint32_t i) {
  Node& node = nodes_[i];
  if (node.prev != kNil) {
    nodes_[node.prev].next = node.next;
  } else {
    lru_head_ = node.next;
  }
  if (node.next != kNil) {
    nodes_[node.next].prev = node.prev;
  } else {
    lru_tail_ = node.prev;
  }
  node.prev = node.next = kNil;
}

uint32_t MacLearningTable::AllocateNode() {
  if (free_head_ != kNil) {
    const uint32_t i = free_head_;
    free_head_ = nodes_[i].next;
    return i;
  }
  nodes_.emplace_back();
  return static_cast<uint32_t>(nodes_.size() - 1);
}

void MacLearningTable::Remove(uint32_t i) {
  Unlink(i);
  index_.erase(nodes_[i].key);
  nodes_[i].next = free_head_;
  free_head_ = i;
  ++generation_;
}

void MacLearningTable::RemoveTail() {
  if (IsExpired(nodes_[lru_tail_], latest_ms_)) {
    ++counters_.expired;
  } else {
    ++counters_.evicted;
  }
  Remove(lru_tail_);
}

LearnResult MacLearningTable::Learn(uint16_t vlan, const MacAddr& mac, uint32_t port,
                                    uint64_t now_ms) {
  if (IsMulticast(mac) || vlan > kMaxVlan) return LearnResult::kIgnored;
  latest_ms_ = std::max(latest_ms_, now_ms);
  const uint64_t key = MakeKey(vlan, mac);
  if (auto it = index_.find(key); it != index_.end()) {
    const uint32_t i = it->second;
    Node& node = nodes_[i];
    LearnResult result = LearnResult::kRefreshed;
    if (IsExpired(node, latest_ms_)) {
      // Lookup already misses on it, so reviving it is a new entry to the caches.
      result = LearnResult::kNew;
      ++counters_.learned;
      ++generation_;
    } else if (node.port != port) {
      result = LearnResult::kMoved;
      ++counters_.moved;
      ++generation_;
    }
    node.port = port;
    node.last_seen_ms = latest_ms_;
    Unlink(i);
    LinkAtHead(i);
    return result;
  }
  while (index_.size() >= max_entries_) RemoveTail();
  const uint32_t i = AllocateNode();
  nodes_[i] = Node{.key = key, .last_seen_ms = latest_ms_, .port = port};
  LinkAtHead(i);
  index_.emplace(key, i);
  ++counters_.learned;
  ++generation_;
  return LearnResult::kNew;
}

std::optional<uint32_t> MacLearningTable::Lookup(uint16_t vlan, const MacAddr& mac,
                                                 uint64_t now_ms) const {
  if (vlan > kMaxVlan) return std::nullopt;
  auto it = index_.find(MakeKey(vlan, mac));
  if (it == index_.end()) return std::nullopt;
  const Node& node = nodes_[it->second];
  if (IsExpired(node, now_ms)) return std::nullopt;
  return node.port;
}

size_t MacLearningTable::Expire(uint64_t now_ms) {
  // The LRU list is ordered by last_seen_ms, so expired entries are all at the tail.
  size_t removed = 0;
  while (lru_tail_ != kNil && IsExpired(nodes_[lru_tail_], now_ms)) {
    Remove(lru_tail_);
    ++counters_.expired;
    ++removed;
  }
  return removed;
}

template <typename Pred>
size_t MacLearningTable::RemoveIf(Pred pred) {
  size_t removed = 0;
  for (uint32_t i = lru_head_; i != kNil;) {
    const uint32_t next = nodes_[i].next;
    if (pred(nodes_[i])) {
      Remove(i);
      ++removed;
    }
    i = next;
  }
  return removed;
}

size_t MacLearningTable::FlushAll() {
  const size_t removed = index_.size();
  index_.clear();
  nodes_.clear();
  free_head_ = lru_head_ = lru_tail_ = kNil;
  if (removed > 0) ++generation_;
  return removed;
}

size_t MacLearningTable::FlushPort(uint32_t port) {
  return RemoveIf([port](const Node& node) { return node.port == port; });
}

size_t MacLearningTable::FlushVlan(uint16_t vlan) {
  return RemoveIf([vlan](const Node& node) { return KeyVlan(node.key) == vlan; });
}

std::vector<FdbEntry> MacLearningTable::Entries(uint64_t now_ms) const {
  std::vector<FdbEntry> entries;
  entries.reserve(index_.size());
  for (uint32_t i = lru_head_; i != kNil; i = nodes_[i].next) {
    const Node& node = nodes_[i];
    if (IsExpired(node, now_ms)) continue;
    const uint64_t age_ms = now_ms > node.last_seen_ms ? now_ms - node.last_seen_ms : 0;
    entries.push_back(FdbEntry{.port = node.port,
                               .vlan = KeyVlan(node.key),
                               .mac = KeyMac(node.key),
                               .age_seconds = age_ms / 1000});
  }
  std::sort(entries.begin(), entries.end(), [](const FdbEntry& a, const FdbEntry& b) {
    return std::tie(a.port, a.vlan, a.mac) < std::tie(b.port, b.vlan, b.mac);
  });
  return entries;
}

void MacLearningTable::SetAgingMs(uint64_t aging_ms) {
  if (aging_ms == aging_ms_) return;
  aging_ms_ = aging_ms;
  ++generation_;
}

void MacLearningTable::SetMaxEntries(size_t max_entries) {
  max_entries_ = std::max<size_t>(max_entries, 1);
  while (index_.size() > max_entries_) RemoveTail();
}

}  // namespace podswitch::core
