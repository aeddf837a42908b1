#include "agent/cluster/cluster_store.h"

#include <iterator>
#include <set>
#include <utility>

namespace podswitch::agent::cluster {

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kAdded:
      return "added";
    case EventType::kModified:
      return "modified";
    case EventType::kDeleted:
      return "deleted";
  }
  return "unknown";
}

uint64_t ClusterStore::Subscribe(Listener listener) {
  absl::MutexLock delivery(&delivery_mu_);
  auto shared = std::make_shared<Listener>(std::move(listener));
  std::vector<ClusterEvent> replay;
  uint64_t id = 0;
  {
    absl::MutexLock lock(&mu_);
    id = next_listener_id_++;
    listeners_[id] = shared;
    for (const auto& [key, entry] : entries_) {
      if (const auto& visible = entry.Visible()) {
        replay.push_back(
            ClusterEvent{.type = EventType::kAdded, .kind = key.kind, .object = *visible});
      }
    }
  }
  for (const ClusterEvent& event : replay) (*shared)(event);
  return id;
}

void ClusterStore::Unsubscribe(uint64_t id) {
  // Taking delivery_mu_ guarantees the listener is not running and will not run again.
  absl::MutexLock delivery(&delivery_mu_);
  absl::MutexLock lock(&mu_);
  listeners_.erase(id);
}

void ClusterStore::Apply(std::string_view source, ClusterObject object) {
  absl::MutexLock delivery(&delivery_mu_);
  std::vector<ClusterEvent> events;
  {
    absl::MutexLock lock(&mu_);
    UpsertLocked(source, std::move(object), events);
  }
  Deliver(events);
}

void ClusterStore::Delete(const ObjectKey& key) {
  absl::MutexLock delivery(&delivery_mu_);
  std::vector<ClusterEvent> events;
  {
    absl::MutexLock lock(&mu_);
    RemoveSourcedLocked(key, events);
  }
  Deliver(events);
}

void ClusterStore::Replace(std::string_view source, std::vector<ClusterObject> objects) {
  // Keyed first: duplicates collapse (the later wins) and adds come in kind order, Nodes
  // and Namespaces before the Pods that refer to them.
  std::map<ObjectKey, ClusterObject> listed;
  for (ClusterObject& object : objects) {
    ObjectKey key = KeyOf(object);
    listed.insert_or_assign(std::move(key), std::move(object));
  }
  absl::MutexLock delivery(&delivery_mu_);
  std::vector<ClusterEvent> events;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [key, object] : listed) UpsertLocked(source, std::move(object), events);
    std::vector<ObjectKey> gone;
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      const auto& [key, entry] = *it;
      if (entry.sourced && entry.source == source && !listed.contains(key)) gone.push_back(key);
    }
    for (const ObjectKey& key : gone) RemoveSourcedLocked(key, events);
  }
  Deliver(events);
}

void ClusterStore::SetFallback(ClusterObject object) {
  absl::MutexLock delivery(&delivery_mu_);
  std::vector<ClusterEvent> events;
  {
    absl::MutexLock lock(&mu_);
    ObjectKey key = KeyOf(object);
    Entry& entry = entries_[key];
    std::optional<ClusterObject> before = entry.Visible();
    entry.fallback = std::move(object);
    RecordChange(key, std::move(before), events);
  }
  Deliver(events);
}

void ClusterStore::UpsertLocked(std::string_view source, ClusterObject object,
                                std::vector<ClusterEvent>& events) {
  ObjectKey key = KeyOf(object);
  Entry& entry = entries_[key];
  std::optional<ClusterObject> before = entry.Visible();
  entry.source = std::string(source);
  entry.sourced = std::move(object);
  RecordChange(key, std::move(before), events);
}

void ClusterStore::RemoveSourcedLocked(const ObjectKey& key, std::vector<ClusterEvent>& events) {
  auto found = entries_.find(key);
  if (found == entries_.end() || !found->second.sourced) return;
  std::optional<ClusterObject> before = found->second.Visible();
  found->second.sourced.reset();
  found->second.source.clear();
  RecordChange(key, std::move(before), events);
}

void ClusterStore::RecordChange(const ObjectKey& key, std::optional<ClusterObject> before,
                                std::vector<ClusterEvent>& events) {
  auto found = entries_.find(key);
  const std::optional<ClusterObject>& after = found->second.Visible();
  if (before && !after) {
    events.push_back(
        ClusterEvent{.type = EventType::kDeleted, .kind = key.kind, .object = *std::move(before)});
  } else if (!before && after) {
    events.push_back(ClusterEvent{.type = EventType::kAdded, .kind = key.kind, .object = *after});
  } else if (before && after && *before != *after) {
    events.push_back(ClusterEvent{
        .type = EventType::kModified, .kind = key.kind, .object = *after, .old_object = before});
  }
  if (!found->second.sourced && !found->second.fallback) entries_.erase(found);
}

void ClusterStore::Deliver(const std::vector<ClusterEvent>& events) {
  if (events.empty()) return;
  std::vector<std::shared_ptr<Listener>> listeners;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, listener] : listeners_) listeners.push_back(listener);
  }
  for (const ClusterEvent& event : events) {
    for (const auto& listener : listeners) (*listener)(event);
  }
}

std::optional<ClusterObject> ClusterStore::Get(const ObjectKey& key) const {
  absl::MutexLock lock(&mu_);
  auto found = entries_.find(key);
  if (found == entries_.end()) return std::nullopt;
  return found->second.Visible();
}

std::optional<Node> ClusterStore::GetNode(std::string_view name) const {
  std::optional<ClusterObject> object = Get(ObjectKey{ObjectKind::kNode, "", std::string(name)});
  if (!object) return std::nullopt;
  return std::get<Node>(*std::move(object));
}

std::optional<Namespace> ClusterStore::GetNamespace(std::string_view name) const {
  std::optional<ClusterObject> object =
      Get(ObjectKey{ObjectKind::kNamespace, "", std::string(name)});
  if (!object) return std::nullopt;
  return std::get<Namespace>(*std::move(object));
}

std::optional<Pod> ClusterStore::GetPod(std::string_view namespace_, std::string_view name) const {
  std::optional<ClusterObject> object =
      Get(ObjectKey{ObjectKind::kPod, std::string(namespace_), std::string(name)});
  if (!object) return std::nullopt;
  return std::get<Pod>(*std::move(object));
}

template <typename T>
std::vector<T> ClusterStore::ListOf(ObjectKind kind, std::string_view namespace_) const {
  std::vector<T> result;
  absl::MutexLock lock(&mu_);
  for (auto it = entries_.lower_bound(ObjectKey{kind, std::string(namespace_), ""});
       it != entries_.end() && it->first.kind == kind; ++it) {
    if (!namespace_.empty() && it->first.namespace_ != namespace_) break;
    if (const auto& visible = it->second.Visible()) result.push_back(std::get<T>(*visible));
  }
  return result;
}

std::vector<Node> ClusterStore::ListNodes() const { return ListOf<Node>(ObjectKind::kNode, ""); }

std::vector<Namespace> ClusterStore::ListNamespaces() const {
  return ListOf<Namespace>(ObjectKind::kNamespace, "");
}

std::vector<Pod> ClusterStore::ListPods(std::string_view namespace_) const {
  return ListOf<Pod>(ObjectKind::kPod, namespace_);
}

std::vector<NetworkPolicy> ClusterStore::ListNetworkPolicies(std::string_view namespace_) const {
  return ListOf<NetworkPolicy>(ObjectKind::kNetworkPolicy, namespace_);
}

std::vector<ClusterNetworkPolicy> ClusterStore::ListClusterNetworkPolicies() const {
  return ListOf<ClusterNetworkPolicy>(ObjectKind::kClusterNetworkPolicy, "");
}

std::vector<NetworkAttachmentDefinition> ClusterStore::ListNetworkAttachmentDefinitions() const {
  return ListOf<NetworkAttachmentDefinition>(ObjectKind::kNetworkAttachmentDefinition, "");
}

std::vector<Pod> ClusterStore::PodsOnNode(std::string_view node_name) const {
  std::vector<Pod> pods = ListPods();
  std::erase_if(pods, [&](const Pod& pod) { return pod.node_name != node_name; });
  return pods;
}

size_t ClusterStore::Size() const {
  absl::MutexLock lock(&mu_);
  size_t visible = 0;
  for (const auto& [key, entry] : entries_) visible += entry.Visible() ? 1 : 0;
  return visible;
}

}  // namespace podswitch::agent::cluster
