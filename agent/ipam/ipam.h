// Ipam: the node's pod IPv4 pool, carved from its podCIDR and kept on disk so that neither an
// agent restart nor a node reboot hands one address to two pods.
//
// The network address, the broadcast address and the gateway (the first usable address, which
// the gateway port owns) are never handed out. Allocation is round-robin like the reference
// host-local plugin: the lowest free address after the last one handed out, wrapping at the
// end, so an address released by a deleted pod is not reused at once (peers and conntrack may
// still remember it).
//
// State lives in SQLite (WAL, synchronous=NORMAL) at <state_dir>/ipam.db: every change is one
// transaction, durable across a crash of the agent; a power loss may lose the last changes,
// which Reconcile repairs because the pods' interfaces are gone after a reboot anyway. The
// database is held with an exclusive lock, so a second agent on the same state dir fails to
// open it instead of handing out the same addresses.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/ipam/cidr.h"

namespace podswitch::agent::ipam {

namespace internal {
class IpamStore;
}  // namespace internal

// One address handed to one pod interface, keyed like CNI keys attachments:
// (container id, interface name).
struct Allocation {
  std::string container_id;
  std::string ifname;
  std::string pod_namespace;
  std::string pod_name;
  Ipv4Address ip;
  absl::Time allocated_at;

  friend bool operator==(const Allocation&, const Allocation&) = default;
};

// The part of a pool's usable addresses it hands out, both ends included: host-local's
// rangeStart..rangeEnd, so nodes sharing one subnet (a secondary L2 network stretched over
// VXLAN or a VLAN) can each allocate from their own slice without handing out one address twice.
struct AddressRange {
  Ipv4Address first;
  Ipv4Address last;
};

// Every address of `cidr` a pool may hand out: all but the network, the gateway (the first
// usable address) and the broadcast address. Meaningful for prefix <= 30.
AddressRange UsableRange(const Cidr& cidr);

// The node's pod address pool; see the file comment.
class Ipam {
 public:
  // Opens (creating if needed) <state_dir>/ipam.db for `pod_cidr`. A pod CIDR of /31 or /32
  // is INVALID_ARGUMENT (no usable address besides the gateway). When the stored CIDR
  // differs, the new one is accepted only if every existing allocation is still a usable
  // address in it (a grown CIDR); otherwise FAILED_PRECONDITION names both CIDRs and the first
  // allocation in the way. UNAVAILABLE when another process holds the database.
  // `range` limits new allocations to a slice of the usable addresses (INVALID_ARGUMENT when it
  // is empty, reversed or not inside them); existing allocations outside it stay valid.
  static absl::StatusOr<std::unique_ptr<Ipam>> Open(std::string state_dir, Cidr pod_cidr,
                                                    std::optional<AddressRange> range = {});

  ~Ipam();
  Ipam(const Ipam&) = delete;
  Ipam& operator=(const Ipam&) = delete;

  // Gives (container_id, ifname) an address, or returns the one it already has (CNI ADD is
  // retried by runtimes, so the same key must get the same address). RESOURCE_EXHAUSTED
  // when every usable address is taken; INVALID_ARGUMENT for an empty key.
  absl::StatusOr<Allocation> Allocate(std::string_view container_id, std::string_view ifname,
                                      std::string_view pod_namespace, std::string_view pod_name);

  // Frees the address of (container_id, ifname) and returns what was released, or nullopt
  // when nothing was allocated (CNI DEL must succeed when there is nothing left to undo).
  absl::StatusOr<std::optional<Allocation>> Release(std::string_view container_id,
                                                    std::string_view ifname);

  // The allocation of (container_id, ifname), if any, for CHECK and for idempotent ADD.
  std::optional<Allocation> Get(std::string_view container_id, std::string_view ifname) const;

  // Every allocation ordered by address, for `podswitchctl ipam show` and for GC.
  std::vector<Allocation> List() const;

  // Releases every allocation for which `still_exists` returns false and returns them, so the
  // agent can drop addresses whose pods vanished while it was down (or that CNI GC declared
  // invalid). `still_exists` runs without the lock held and may call back into this object.
  absl::StatusOr<std::vector<Allocation>> Reconcile(
      const std::function<bool(const Allocation&)>& still_exists);

  // The pod CIDR the pool serves, for results (prefix) and routes.
  const Cidr& pod_cidr() const { return pod_cidr_; }
  // The address pods use as their default gateway; never allocated.
  Ipv4Address gateway() const { return pod_cidr_.Gateway(); }
  // How many addresses pods can get in total: the range's size, or the CIDR's size minus
  // network, broadcast and gateway.
  uint64_t capacity() const { return uint64_t{range_.last.value()} - range_.first.value() + 1; }
  // The addresses new allocations come from.
  const AddressRange& range() const { return range_; }
  // Where the state lives, for logs and error messages.
  const std::string& db_path() const { return db_path_; }

 private:
  using Key = std::pair<std::string, std::string>;

  Ipam(std::string db_path, Cidr pod_cidr, AddressRange range,
       std::unique_ptr<internal::IpamStore> store);

  // Loads allocations and the round-robin cursor from the store, checking them against the
  // pod CIDR; called once by Open.
  absl::Status Load();
  // The next free usable address after the cursor, or nullopt when the pool is full.
  std::optional<Ipv4Address> NextFree() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const std::string db_path_;
  const Cidr pod_cidr_;
  const AddressRange range_;

  mutable absl::Mutex mutex_;
  std::unique_ptr<internal::IpamStore> store_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<Key, Allocation> by_key_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<uint32_t, Key> by_ip_ ABSL_GUARDED_BY(mutex_);
  // The last address handed out: the round-robin cursor (host-local's last_reserved_ip).
  std::optional<Ipv4Address> last_allocated_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace podswitch::agent::ipam
