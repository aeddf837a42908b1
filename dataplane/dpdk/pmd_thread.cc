#include "dataplane/dpdk/pmd_thread.h"

#include <pthread.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace podswitch::dpdk {
namespace {

uint64_t CyclesPerMs() {
  static const uint64_t per_ms = std::max<uint64_t>(1, rte_get_tsc_hz() / 1000);
  return per_ms;
}

uint64_t ToCycles(absl::Duration d) {
  return static_cast<uint64_t>(absl::ToDoubleMilliseconds(d) * static_cast<double>(CyclesPerMs()));
}

}  // namespace

uint64_t PmdNowMs() { return rte_rdtsc() / CyclesPerMs(); }

PmdThread::PmdThread(unsigned lcore, PmdOptions options) : lcore_(lcore), options_(options) {}

PmdThread::~PmdThread() { Stop(); }

absl::Status PmdThread::Launch() {
  if (rte_eal_get_lcore_state(lcore_) != WAIT) {
    return absl::FailedPreconditionError(
        absl::StrCat("PMD lcore ", lcore_, " is busy (another Datapath runs on it?)"));
  }
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
    exited_ = false;
  }
  if (int rc = rte_eal_remote_launch(&PmdThread::LaunchTrampoline, this, lcore_); rc != 0) {
    absl::MutexLock lock(&mu_);
    exited_ = true;
    return absl::UnavailableError(
        absl::StrCat("cannot launch PMD on lcore ", lcore_, ": ", rte_strerror(-rc)));
  }
  return absl::OkStatus();
}

void PmdThread::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (exited_) return;
    stop_ = true;
    attention_.store(true, std::memory_order_release);
  }
  rte_eal_wait_lcore(lcore_);
  // Commands queued after the loop's last look run here, so no caller waits forever.
  std::deque<Command*> leftover;
  {
    absl::MutexLock lock(&mu_);
    exited_ = true;
    leftover.swap(queue_);
  }
  for (Command* command : leftover) {
    command->fn();
    absl::MutexLock lock(&mu_);
    command->done = true;
  }
}

void PmdThread::Run(absl::FunctionRef<void()> fn) {
  Command command{fn};
  {
    absl::MutexLock lock(&mu_);
    if (!exited_) {
      queue_.push_back(&command);
      attention_.store(true, std::memory_order_release);
      mu_.Await(absl::Condition(&command.done));
      return;
    }
  }
  fn();
}

bool PmdThread::HasWorkLocked() const { return !queue_.empty() || stop_; }

int PmdThread::LaunchTrampoline(void* self) {
  pthread_setname_np(pthread_self(), absl::StrCat("pmd", rte_lcore_id()).c_str());
  static_cast<PmdThread*>(self)->Loop();
  return 0;
}

void PmdThread::RunCommands() {
  std::deque<Command*> batch;
  {
    absl::MutexLock lock(&mu_);
    batch.swap(queue_);
    attention_.store(stop_, std::memory_order_relaxed);
  }
  for (Command* command : batch) {
    command->fn();
    absl::MutexLock lock(&mu_);
    command->done = true;
  }
}

void PmdThread::Sleep(absl::Duration timeout) {
  ++sleeps_;
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(this, &PmdThread::HasWorkLocked), timeout);
}

void PmdThread::Loop() {
  tid_ = static_cast<int>(gettid());
  spdlog::info("dpdk: PMD on lcore {} started (tid {})", lcore_, tid_);
  const uint64_t busy_window = ToCycles(options_.busy_poll_window);
  const uint64_t housekeeping = ToCycles(options_.housekeeping_interval);
  uint64_t last_housekeeping = rte_rdtsc();
  uint64_t last_packet = last_housekeeping;
  absl::Duration sleep = options_.first_sleep;
  while (true) {
    if (attention_.load(std::memory_order_acquire)) [[unlikely]] {
      {
        absl::MutexLock lock(&mu_);
        if (stop_) break;
      }
      RunCommands();
    }
    uint64_t start = rte_rdtsc();
    uint64_t now_ms = start / CyclesPerMs();
    size_t received = 0;
    for (auto& bridge : bridges_) received += bridge->PollPorts(now_ms);
    uint64_t end = rte_rdtsc();
    if (received > 0) {
      busy_cycles_ += end - start;
      packets_ += received;
      last_packet = end;
      sleep = options_.first_sleep;
    } else {
      idle_cycles_ += end - start;
      // Adaptive polling: after a short window of empty polls, sleep with exponential
      // backoff; a burst with packets brings back busy polling, a command wakes us at once.
      if (end - last_packet > busy_window) {
        Sleep(sleep);
        sleep = std::min(sleep * 2, options_.max_sleep);
      }
    }
    if (end - last_housekeeping > housekeeping) {
      for (auto& bridge : bridges_) bridge->Housekeep(now_ms);
      last_housekeeping = end;
    }
  }
  spdlog::info("dpdk: PMD on lcore {} stopped", lcore_);
}

PmdStats PmdThread::stats() const {
  PmdStats out;
  out.lcore = lcore_;
  out.tid = tid_;
  out.bridges = bridges_.size();
  out.busy_cycles = busy_cycles_;
  out.idle_cycles = idle_cycles_;
  out.sleeps = sleeps_;
  out.packets = packets_;
  for (const auto& bridge : bridges_) {
    const core::FastPathStats& fast = bridge->processor().stats();
    out.batches += bridge->counters().rx_batches;
    out.emc_hits += fast.emc_hits;
    out.megaflow_hits += fast.megaflow_hits;
    out.misses += fast.misses;
    out.megaflows += bridge->processor().megaflow_count();
  }
  return out;
}

}  // namespace podswitch::dpdk
