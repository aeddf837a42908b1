// ClusterStore: the agent's current view of the cluster (Nodes, Namespaces, Pods, policies)
// with change notification, filled by a ClusterSource and read by IPAM, overlay and policy.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "agent/cluster/cluster_model.h"

namespace podswitch::agent::cluster {

// What happened to an object.
enum class EventType { kAdded, kModified, kDeleted };

// The name of an event type ("added"), for logs.
std::string_view EventTypeName(EventType type);

// One change of the store, as informers deliver them: `object` is the new state (kAdded,
// kModified) or the last state (kDeleted); `old_object` is the previous state for kModified,
// so a subscriber can undo what the old state asked for (a moved podCIDR's tunnel flow).
struct ClusterEvent {
  EventType type = EventType::kAdded;
  ObjectKind kind = ObjectKind::kNode;
  ClusterObject object;
  std::optional<ClusterObject> old_object;
};

// The set of objects the agent knows, by kind and namespace/name. Each object is owned by
// the source that set it (a name such as "standalone" or "apiserver"); a fallback object
// (the local Node from flags) is visible only while no source defines that key.
// Thread-safe. Listeners run after each change, outside the store's lock, in change order,
// one change at a time; they may read the store but must not change it or (un)subscribe.
class ClusterStore {
 public:
  using Listener = std::function<void(const ClusterEvent&)>;

  ClusterStore() = default;
  ClusterStore(const ClusterStore&) = delete;
  ClusterStore& operator=(const ClusterStore&) = delete;

  // Registers `listener` and first replays every current object to it as kAdded, so a late
  // subscriber sees the same history as an early one. Returns an id for Unsubscribe.
  uint64_t Subscribe(Listener listener);
  // Stops a listener (its owner is going away); unknown ids are ignored.
  void Unsubscribe(uint64_t id);

  // Adds or updates one object on behalf of `source` (an API server watch event).
  void Apply(std::string_view source, ClusterObject object);
  // Removes one object whoever set it (a watch delete); its fallback, if any, reappears.
  void Delete(const ObjectKey& key);
  // Makes `objects` the complete set owned by `source`: adds and updates them, deletes what
  // `source` set before and no longer lists (a relist, a re-read directory). A later
  // duplicate key in `objects` wins.
  void Replace(std::string_view source, std::vector<ClusterObject> objects);
  // Sets the object visible under its key while no source defines that key (the local Node
  // from flags when the standalone directory does not describe this node).
  void SetFallback(ClusterObject object);

  // Point queries; nullopt when absent.
  std::optional<ClusterObject> Get(const ObjectKey& key) const;
  std::optional<Node> GetNode(std::string_view name) const;
  std::optional<Namespace> GetNamespace(std::string_view name) const;
  std::optional<Pod> GetPod(std::string_view namespace_, std::string_view name) const;

  // Listings, sorted by namespace then name. An empty `namespace_` means all namespaces.
  std::vector<Node> ListNodes() const;
  std::vector<Namespace> ListNamespaces() const;
  std::vector<Pod> ListPods(std::string_view namespace_ = "") const;
  std::vector<NetworkPolicy> ListNetworkPolicies(std::string_view namespace_ = "") const;
  std::vector<ClusterNetworkPolicy> ListClusterNetworkPolicies() const;
  std::vector<NetworkAttachmentDefinition> ListNetworkAttachmentDefinitions() const;
  // The pods scheduled on `node_name` (the pods this agent's node hosts, or a peer's).
  std::vector<Pod> PodsOnNode(std::string_view node_name) const;

  // How many objects are visible, for status and tests.
  size_t Size() const;

 private:
  // What the store holds under one key: the source's object and/or the fallback.
  struct Entry {
    std::string source;
    std::optional<ClusterObject> sourced;
    std::optional<ClusterObject> fallback;
    const std::optional<ClusterObject>& Visible() const { return sourced ? sourced : fallback; }
  };

  // Hands `events` to every listener, in order, outside mu_.
  void Deliver(const std::vector<ClusterEvent>& events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(delivery_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Appends the event (if any) that turns `before` into the visible state of `key`.
  void RecordChange(const ObjectKey& key, std::optional<ClusterObject> before,
                    std::vector<ClusterEvent>& events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpsertLocked(std::string_view source, ClusterObject object,
                    std::vector<ClusterEvent>& events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveSourcedLocked(const ObjectKey& key, std::vector<ClusterEvent>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Visible objects of `kind` in `namespace_` ("" = all), converted to T.
  template <typename T>
  std::vector<T> ListOf(ObjectKind kind, std::string_view namespace_) const;

  // Held while a change is applied and delivered, so events reach listeners in order.
  mutable absl::Mutex delivery_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  std::map<ObjectKey, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::shared_ptr<Listener>> listeners_ ABSL_GUARDED_BY(mu_);
  uint64_t next_listener_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace podswitch::agent::cluster
