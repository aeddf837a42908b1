// PmdThread: one poll-mode thread on an EAL worker lcore. It owns a set of bridges and runs
// them to completion: poll every port, switch, transmit. Control operations reach it only
// through its command queue and run on the thread itself between batches, so the bridges
// need no locks. When there is nothing to do it backs off into sleeping (adaptive polling),
// waking at once when a command arrives.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dataplane/dpdk/bridge_context.h"

namespace podswitch::dpdk {

// How a PMD polls and sleeps.
struct PmdOptions {
  absl::Duration busy_poll_window = absl::Microseconds(200);       // empty polls before sleeping
  absl::Duration first_sleep = absl::Microseconds(8);              // doubled per idle sleep...
  absl::Duration max_sleep = absl::Milliseconds(1);                // ...up to this
  absl::Duration housekeeping_interval = absl::Milliseconds(100);  // flow and MAC ageing
};

// What one PMD did since it started, for metrics and the idle-CPU check.
struct PmdStats {
  unsigned lcore = 0;
  int tid = 0;  // kernel thread id, to read its CPU time from /proc
  size_t bridges = 0;
  uint64_t busy_cycles = 0;  // TSC cycles of loops that received packets
  uint64_t idle_cycles = 0;  // TSC cycles of loops that received nothing
  uint64_t sleeps = 0;       // times the PMD went to sleep
  uint64_t packets = 0;      // frames received on every owned port
  uint64_t batches = 0;      // non-empty rx bursts
  uint64_t emc_hits = 0;     // from the bridges' PacketProcessor::stats()
  uint64_t megaflow_hits = 0;
  uint64_t misses = 0;
  uint64_t megaflows = 0;  // megaflow cache entries now, over the owned bridges
};

// Milliseconds on the PMDs' clock (the TSC), the time base of flow and MAC timeouts; the
// control path uses it when it installs flows outside a PMD.
uint64_t PmdNowMs();

class PmdThread {
 public:
  PmdThread(unsigned lcore, PmdOptions options);
  ~PmdThread();
  PmdThread(const PmdThread&) = delete;
  PmdThread& operator=(const PmdThread&) = delete;

  // Starts the loop on the lcore (rte_eal_remote_launch); the lcore must be idle.
  absl::Status Launch();
  // Asks the loop to end, wakes it and waits for the lcore; the bridges stay owned here.
  void Stop();

  // Runs `fn` on the PMD between batches and returns when it has run (blocking). Runs
  // inline when the loop is not running. Must not be called from the PMD itself.
  void Run(absl::FunctionRef<void()> fn);

  // The bridges this PMD owns: read or change them only inside Run.
  std::vector<std::unique_ptr<BridgeContext>>& bridges() { return bridges_; }
  // Counters; call inside Run for a consistent view.
  PmdStats stats() const;
  unsigned lcore() const { return lcore_; }

 private:
  struct Command {
    absl::FunctionRef<void()> fn;
    bool done = false;
  };

  static int LaunchTrampoline(void* self);
  void Loop();
  void RunCommands();
  void Sleep(absl::Duration timeout);
  bool HasWorkLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const unsigned lcore_;
  const PmdOptions options_;
  std::vector<std::unique_ptr<BridgeContext>> bridges_;  // PMD thread only

  mutable absl::Mutex mu_;
  std::deque<Command*> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // Set whenever queue_ is non-empty or stop_: the loop's only read of shared state.
  std::atomic<bool> attention_{false};
  bool exited_ ABSL_GUARDED_BY(mu_) = true;  // no loop: Run executes inline

  // Owned by the PMD thread.
  int tid_ = 0;
  uint64_t busy_cycles_ = 0;
  uint64_t idle_cycles_ = 0;
  uint64_t sleeps_ = 0;
  uint64_t packets_ = 0;
};

}  // namespace podswitch::dpdk
