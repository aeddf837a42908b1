// Datapath: the PMD threads of podswitchd with the bridges and ports they run. Each bridge is
// owned by exactly one PMD (assigned to the PMD with the fewest bridges), which holds the
// bridge's pipeline and fast path and polls all of its ports; every control operation runs on
// that PMD between two batches (RunOnBridge), so the packet path takes no lock. A watcher
// thread detaches ports whose kernel interface disappeared (a deleted pod) and runs the ports'
// upkeep (Port::Maintain: a tunnel's next hops).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dataplane/core/fastpath/packet_processor.h"
#include "dataplane/core/l2/port_vlan.h"
#include "dataplane/core/pipeline/pipeline.h"
#include "dataplane/dpdk/bridge_context.h"
#include "dataplane/dpdk/pmd_thread.h"
#include "dataplane/dpdk/port.h"

namespace podswitch::dpdk {

// A port the watcher detached because its kernel interface went away.
struct LostPort {
  std::string bridge;
  uint32_t ofport = 0;
  std::string name;
  std::string iface;
};

// How the Datapath runs; the defaults suit podswitchd.
struct DatapathOptions {
  unsigned pmd_threads = 0;  // 0: one PMD per EAL worker lcore (EalOptions::pmd_*)
  PmdOptions pmd;
  core::PipelineOptions pipeline;
  core::FastPathOptions fast_path;
  absl::Duration interface_check_interval = absl::Milliseconds(250);  // zero: no watcher
  std::function<void(const LostPort&)> on_port_lost;  // called on the watcher thread
};

// Statistics of one attached port: where it is, the driver's counters and ours.
struct AttachedPortStats {
  std::string bridge;
  uint32_t ofport = 0;
  std::string name;
  std::string type;
  PortStats stats;
  LinkState link;
};

class Datapath {
 public:
  // Launches the PMD threads on EAL worker lcores; FAILED_PRECONDITION before StartEal or
  // when fewer worker lcores exist than PMDs asked for.
  static absl::StatusOr<std::unique_ptr<Datapath>> Start(DatapathOptions options = {});
  // Stops the PMDs and the watcher, then closes every port.
  ~Datapath();
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  // Creates an empty bridge (no ports, no flows) on the least loaded PMD.
  absl::Status AddBridge(std::string name);
  // Removes a bridge and closes its ports.
  absl::Status DeleteBridge(std::string_view name);
  // Bridge names, sorted.
  std::vector<std::string> ListBridges() const;

  // Hands `port` to the bridge's PMD as `ofport` with VLAN columns `vlan`; the pipeline's
  // port list (NORMAL, flood) is updated. On error the port is closed.
  absl::Status AttachPort(std::string_view bridge, uint32_t ofport, std::unique_ptr<Port> port,
                          core::PortVlanConfig vlan = {});
  // Takes a port away from its PMD: once this returns no PMD touches it, so it can be closed.
  absl::StatusOr<std::unique_ptr<Port>> DetachPort(std::string_view bridge, uint32_t ofport);
  // Changes a port's tag/trunks/vlan_mode (validated first).
  absl::Status SetPortVlan(std::string_view bridge, uint32_t ofport, core::PortVlanConfig vlan);

  // Runs f(BridgeContext&) on the PMD that owns `bridge`, between batches, and returns what
  // it returned (absl::Status for void/Status results, absl::StatusOr<R> otherwise); NOT_FOUND
  // when there is no such bridge. Blocks; wakes a sleeping PMD. Not callable from a PMD.
  template <typename F>
  auto RunOnBridge(std::string_view bridge, F f);

  // Per-PMD counters (busy/idle cycles, packets, cache hits).
  std::vector<PmdStats> GetPmdStats();
  // Counters of every port of `bridge`, in ofport order.
  absl::StatusOr<std::vector<AttachedPortStats>> GetPortStats(std::string_view bridge);
  // Ports detached because their kernel interface disappeared.
  uint64_t ports_lost() const;
  // The clock flows and MACs age by (see PmdNowMs).
  static uint64_t NowMs() { return PmdNowMs(); }

 private:
  struct BridgeRecord {
    PmdThread* pmd;
    std::vector<std::pair<uint32_t, Port*>> ports;  // for the interface watcher
  };
  template <typename T>
  struct IsStatusOr : std::false_type {};
  template <typename T>
  struct IsStatusOr<absl::StatusOr<T>> : std::true_type {};

  explicit Datapath(DatapathOptions options);
  absl::Status RunErased(std::string_view bridge, absl::FunctionRef<void(BridgeContext&)> f);
  absl::StatusOr<std::unique_ptr<Port>> DetachLocked(std::string_view bridge, uint32_t ofport)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WatchInterfaces();
  void CheckInterfaces();

  const DatapathOptions options_;
  std::vector<std::unique_ptr<PmdThread>> pmds_;

  // Serializes control operations; PMDs never take it.
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, BridgeRecord> bridges_ ABSL_GUARDED_BY(mu_);
  uint64_t ports_lost_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread watcher_;
};

template <typename F>
auto Datapath::RunOnBridge(std::string_view bridge, F f) {
  using R = std::invoke_result_t<F&, BridgeContext&>;
  if constexpr (std::is_void_v<R>) {
    return RunErased(bridge, [&](BridgeContext& b) { f(b); });
  } else if constexpr (std::is_same_v<R, absl::Status>) {
    absl::Status result;
    absl::Status ran = RunErased(bridge, [&](BridgeContext& b) { result = f(b); });
    return ran.ok() ? result : ran;
  } else if constexpr (IsStatusOr<R>::value) {
    std::optional<R> result;
    absl::Status ran = RunErased(bridge, [&](BridgeContext& b) { result.emplace(f(b)); });
    if (!ran.ok()) return R(ran);
    return std::move(*result);
  } else {
    std::optional<R> result;
    absl::Status ran = RunErased(bridge, [&](BridgeContext& b) { result.emplace(f(b)); });
    if (!ran.ok()) return absl::StatusOr<R>(ran);
    return absl::StatusOr<R>(std::move(*result));
  }
}

}  // namespace podswitch::dpdk
