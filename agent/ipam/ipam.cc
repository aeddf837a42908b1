#include "agent/ipam/ipam.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "agent/ipam/internal/ipam_store.h"

namespace podswitch::agent::ipam {
namespace {

// Whether `ip` may be handed to a pod in `cidr`: inside it, and neither the network, the
// gateway nor the broadcast address.
bool IsUsable(const Cidr& cidr, Ipv4Address ip) {
  return cidr.Contains(ip) && ip != cidr.network() && ip != cidr.Gateway() &&
         ip != cidr.broadcast();
}

std::string Describe(const Allocation& allocation) {
  return absl::StrCat(allocation.ip.ToString(), " (container ", allocation.container_id,
                      ", ifname ", allocation.ifname, ", pod ", allocation.pod_namespace, "/",
                      allocation.pod_name, ")");
}

}  // namespace

AddressRange UsableRange(const Cidr& cidr) {
  return {Ipv4Address(cidr.Gateway().value() + 1), Ipv4Address(cidr.broadcast().value() - 1)};
}

absl::StatusOr<std::unique_ptr<Ipam>> Ipam::Open(std::string state_dir, Cidr pod_cidr,
                                                 std::optional<AddressRange> range) {
  if (pod_cidr.prefix_len() > 30) {
    return absl::InvalidArgumentError(
        absl::StrCat("pod CIDR ", pod_cidr.ToString(),
                     " is too small: it needs a network, a gateway, a broadcast address and at "
                     "least one pod address (prefix /30 or shorter)"));
  }
  const AddressRange usable = UsableRange(pod_cidr);
  if (range.has_value() &&
      (range->first < usable.first || range->last > usable.last || range->first > range->last)) {
    return absl::InvalidArgumentError(
        absl::StrCat("address range ", range->first.ToString(), "-", range->last.ToString(),
                     " is not a range inside the usable addresses of ", pod_cidr.ToString(), " (",
                     usable.first.ToString(), "-", usable.last.ToString(), ")"));
  }
  std::error_code error;
  std::filesystem::create_directories(state_dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("create IPAM state directory ", state_dir, ": ", error.message()));
  }
  std::string db_path = (std::filesystem::path(state_dir) / "ipam.db").string();
  absl::StatusOr<std::unique_ptr<internal::IpamStore>> store = internal::IpamStore::Open(db_path);
  if (!store.ok()) return store.status();
  std::unique_ptr<Ipam> ipam(
      new Ipam(db_path, pod_cidr, range.value_or(usable), *std::move(store)));
  if (absl::Status status = ipam->Load(); !status.ok()) return status;
  return ipam;
}

Ipam::Ipam(std::string db_path, Cidr pod_cidr, AddressRange range,
           std::unique_ptr<internal::IpamStore> store)
    : db_path_(std::move(db_path)), pod_cidr_(pod_cidr), range_(range), store_(std::move(store)) {}

Ipam::~Ipam() = default;

absl::Status Ipam::Load() {
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<internal::StoredState> state = store_->Load();
  if (!state.ok()) return state.status();

  std::string stored_cidr = state->pod_cidr.value_or("");
  if (!stored_cidr.empty() && stored_cidr != pod_cidr_.ToString()) {
    auto unusable = std::find_if(
        state->allocations.begin(), state->allocations.end(),
        [&](const Allocation& allocation) { return !IsUsable(pod_cidr_, allocation.ip); });
    if (unusable != state->allocations.end()) {
      size_t count = std::count_if(
          state->allocations.begin(), state->allocations.end(),
          [&](const Allocation& allocation) { return !IsUsable(pod_cidr_, allocation.ip); });
      return absl::FailedPreconditionError(
          absl::StrCat("pod CIDR changed from ", stored_cidr, " to ", pod_cidr_.ToString(), " but ",
                       count, " allocation(s) in ", db_path_, " are not usable addresses of ",
                       pod_cidr_.ToString(), ", first ", Describe(*unusable),
                       ": delete those pods (CNI DEL) with the old pod CIDR first, or remove ",
                       db_path_, " once no pod uses it"));
    }
  }
  if (state->last_allocated.has_value() && !IsUsable(pod_cidr_, *state->last_allocated)) {
    state->last_allocated.reset();  // a grown CIDR: start again from the bottom
  }
  if (stored_cidr != pod_cidr_.ToString()) {
    absl::Status status = store_->SaveCidr(pod_cidr_.ToString(), state->last_allocated);
    if (!status.ok()) return status;
  }
  last_allocated_ = state->last_allocated;
  for (Allocation& allocation : state->allocations) {
    Key key(allocation.container_id, allocation.ifname);
    by_ip_[allocation.ip.value()] = key;
    by_key_.emplace(std::move(key), std::move(allocation));
  }
  return absl::OkStatus();
}

std::optional<Ipv4Address> Ipam::NextFree() const {
  const uint32_t first = range_.first.value();
  const uint32_t last = range_.last.value();
  const uint32_t count = last - first + 1;
  uint32_t start = first;
  if (last_allocated_.has_value() && last_allocated_->value() >= first &&
      last_allocated_->value() < last) {
    start = last_allocated_->value() + 1;
  }
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t candidate = first + (start - first + i) % count;
    if (!by_ip_.contains(candidate)) return Ipv4Address(candidate);
  }
  return std::nullopt;
}

absl::StatusOr<Allocation> Ipam::Allocate(std::string_view container_id, std::string_view ifname,
                                          std::string_view pod_namespace,
                                          std::string_view pod_name) {
  if (container_id.empty() || ifname.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("IPAM allocate: container id \"", std::string(container_id),
                     "\" and ifname \"", std::string(ifname), "\" must both be non-empty"));
  }
  absl::MutexLock lock(&mutex_);
  Key key{std::string(container_id), std::string(ifname)};
  if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;

  std::optional<Ipv4Address> ip = NextFree();
  if (!ip.has_value()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("IPAM: pod CIDR ", pod_cidr_.ToString(), " is full: all ", capacity(),
                     " pod addresses of ", range_.first.ToString(), "-", range_.last.ToString(),
                     " are allocated; cannot allocate for container ", std::string(container_id),
                     " ifname ", std::string(ifname), " (pod ", std::string(pod_namespace), "/",
                     std::string(pod_name), ")"));
  }
  Allocation allocation{
      .container_id = key.first,
      .ifname = key.second,
      .pod_namespace = std::string(pod_namespace),
      .pod_name = std::string(pod_name),
      .ip = *ip,
      // Stored with nanosecond precision; truncate so a reloaded value compares equal.
      .allocated_at = absl::FromUnixNanos(absl::ToUnixNanos(absl::Now())),
  };
  if (absl::Status status = store_->Insert(allocation); !status.ok()) return status;
  last_allocated_ = *ip;
  by_ip_[ip->value()] = key;
  by_key_.emplace(std::move(key), allocation);
  return allocation;
}

absl::StatusOr<std::optional<Allocation>> Ipam::Release(std::string_view container_id,
                                                        std::string_view ifname) {
  absl::MutexLock lock(&mutex_);
  Key key{std::string(container_id), std::string(ifname)};
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  if (absl::Status status = store_->Delete({key}); !status.ok()) return status;
  Allocation released = std::move(it->second);
  by_ip_.erase(released.ip.value());
  by_key_.erase(it);
  return released;
}

std::optional<Allocation> Ipam::Get(std::string_view container_id, std::string_view ifname) const {
  absl::MutexLock lock(&mutex_);
  auto it = by_key_.find(Key{std::string(container_id), std::string(ifname)});
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

std::vector<Allocation> Ipam::List() const {
  std::vector<Allocation> allocations;
  {
    absl::MutexLock lock(&mutex_);
    allocations.reserve(by_key_.size());
    for (const auto& [key, allocation] : by_key_) allocations.push_back(allocation);
  }
  std::sort(allocations.begin(), allocations.end(),
            [](const Allocation& a, const Allocation& b) { return a.ip < b.ip; });
  return allocations;
}

absl::StatusOr<std::vector<Allocation>> Ipam::Reconcile(
    const std::function<bool(const Allocation&)>& still_exists) {
  std::vector<Allocation> stale;
  for (Allocation& allocation : List()) {
    if (!still_exists(allocation)) stale.push_back(std::move(allocation));
  }
  absl::MutexLock lock(&mutex_);
  // Only release what is unchanged since the snapshot: the same key may have been released
  // and allocated again (a new ADD) while `still_exists` ran without the lock.
  std::vector<Key> keys;
  std::vector<Allocation> released;
  for (Allocation& allocation : stale) {
    Key key{allocation.container_id, allocation.ifname};
    auto it = by_key_.find(key);
    if (it == by_key_.end() || !(it->second == allocation)) continue;
    keys.push_back(std::move(key));
    released.push_back(std::move(allocation));
  }
  if (keys.empty()) return released;
  if (absl::Status status = store_->Delete(keys); !status.ok()) return status;
  for (const Key& key : keys) {
    auto it = by_key_.find(key);
    by_ip_.erase(it->second.ip.value());
    by_key_.erase(it);
  }
  return released;
}

}  // namespace podswitch::agent::ipam
