#include "dataplane/dpdk/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"

namespace podswitch::dpdk {
namespace {

std::atomic<bool> g_eal_running{false};
std::once_flag g_eal_once;

// "(0,1)" for the CPUs this process may run on, the cpuset floating lcores are mapped to.
std::string AllowedCpuSet() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<std::string> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(std::to_string(cpu));
    }
  }
  if (cpus.empty()) cpus.push_back("0");
  return absl::StrCat("(", absl::StrJoin(cpus, ","), ")");
}

// Value of a "Key:   123 kB" line of /proc/meminfo, 0 when absent.
size_t MeminfoValue(const std::string& text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, key)) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    size_t value = 0;
    if (fields.size() >= 2 && absl::SimpleAtoi(fields[1], &value)) return value;
  }
  return 0;
}

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last `n` non-empty lines of EAL's log, for the error message.
std::string LastLines(const std::string& text, size_t n) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<ptrdiff_t>(n));
  return absl::StrJoin(lines, " | ");
}

}  // namespace

HugepageState ProbeHugepages(size_t min_free_mb) {
  HugepageState state;
  std::string meminfo = ReadFile("/proc/meminfo");
  size_t free_pages = MeminfoValue(meminfo, "HugePages_Free:");
  size_t page_kb = MeminfoValue(meminfo, "Hugepagesize:");
  state.free_mb = free_pages * page_kb / 1024;
  for (absl::string_view line : absl::StrSplit(ReadFile("/proc/mounts"), '\n')) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() >= 3 && fields[2] == "hugetlbfs") state.mounted = true;
  }
  state.usable = state.mounted && state.free_mb >= min_free_mb && state.free_mb > 0;
  return state;
}

std::vector<std::string> BuildEalArgs(const EalOptions& options, const HugepageState& huge) {
  std::vector<std::string> args = {
      "podswitchd",         absl::StrCat("--file-prefix=", options.instance),
      "--no-pci",           "--proc-type=primary",
      "--log-level=notice", "--main-lcore=0"};
  std::string floating = AllowedCpuSet();
  std::vector<std::string> lcores;
  lcores.push_back(
      absl::StrCat("0@", options.main_lcore >= 0 ? std::to_string(options.main_lcore) : floating));
  if (!options.pmd_lcores.empty()) {
    for (size_t i = 0; i < options.pmd_lcores.size(); ++i) {
      lcores.push_back(absl::StrCat(i + 1, "@", options.pmd_lcores[i]));
    }
  } else {
    for (unsigned i = 0; i < options.pmd_threads; ++i) {
      lcores.push_back(absl::StrCat(i + 1, "@", floating));
    }
  }
  args.push_back(absl::StrCat("--lcores=", absl::StrJoin(lcores, ",")));
  if (huge.usable && !options.force_no_huge) {
    // vhost-user peers (virtio_user) need few memory regions: one file per memseg list.
    args.push_back("--single-file-segments");
  } else {
    args.push_back("--no-huge");
    args.push_back("-m");
    args.push_back(std::to_string(options.no_huge_mem_mb));
  }
  for (absl::string_view extra : absl::StrSplit(options.extra_args, ' ', absl::SkipWhitespace())) {
    args.emplace_back(extra);
  }
  return args;
}

absl::Status StartEal(const EalOptions& options) {
  bool first = false;
  std::call_once(g_eal_once, [&] { first = true; });
  if (!first) {
    return absl::FailedPreconditionError(
        "DPDK EAL can be started only once per process (StartEal called again)");
  }
  HugepageState huge = ProbeHugepages(options.min_free_huge_mb);
  std::vector<std::string> args = BuildEalArgs(options, huge);
  std::string joined = absl::StrJoin(args, " ");
  if (options.force_no_huge) {
    spdlog::info("dpdk: hugepages not used (forced off); running with --no-huge -m {}",
                 options.no_huge_mem_mb);
  } else if (!huge.usable) {
    spdlog::info(
        "dpdk: hugepages unusable (hugetlbfs mounted: {}, free: {} MB, need {} MB); running "
        "with --no-huge -m {}",
        huge.mounted ? "yes" : "no", huge.free_mb, options.min_free_huge_mb,
        options.no_huge_mem_mb);
  } else {
    spdlog::info("dpdk: using hugepages ({} MB free)", huge.free_mb);
  }
  spdlog::info("dpdk: starting EAL: {}", joined);

  // EAL keeps pointers into argv (and getopt permutes it): give it storage that lives on.
  static std::vector<std::string> storage;
  static std::vector<char*> argv;
  storage = args;
  for (std::string& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // Capture EAL's own log during init so a failure can quote it.
  char* log_text = nullptr;
  size_t log_size = 0;
  FILE* log = open_memstream(&log_text, &log_size);
  if (log != nullptr) rte_openlog_stream(log);
  int rc = rte_eal_init(static_cast<int>(args.size()), argv.data());
  int eal_errno = rte_errno;
  rte_openlog_stream(nullptr);
  std::string captured;
  if (log != nullptr) {
    fclose(log);
    captured.assign(log_text, log_size);
    free(log_text);
  }
  for (absl::string_view line : absl::StrSplit(captured, '\n', absl::SkipWhitespace())) {
    spdlog::info("dpdk: {}", std::string(line));
  }
  if (rc < 0) {
    return absl::UnavailableError(absl::StrCat(
        "DPDK EAL failed to start: ", rte_strerror(eal_errno), " (rte_errno ", eal_errno,
        "); EAL said: ", captured.empty() ? "nothing" : LastLines(captured, 4),
        "; arguments: ", joined));
  }
  g_eal_running = true;
  return absl::OkStatus();
}

bool EalRunning() { return g_eal_running.load(); }

void StopEal() {
  if (g_eal_running.exchange(false)) rte_eal_cleanup();
}

std::vector<unsigned> PmdLcores() {
  std::vector<unsigned> lcores;
  if (!EalRunning()) return lcores;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) { lcores.push_back(lcore); }
  return lcores;
}

unsigned PacketPoolSize(unsigned ports) {
  // Per port: a full rx ring, a full tx ring, two bursts being switched (one received, one
  // of flood copies) and a second burst of copies queued for tx.
  unsigned per_port = kRxRingSize + kTxRingSize + 3 * kBurstSize;
  unsigned n = std::max(8191u, ports * per_port);
  // Mempools are most efficient at 2^k - 1 elements.
  unsigned pow2 = 1;
  while (pow2 - 1 < n) pow2 <<= 1;
  return pow2 - 1;
}

absl::StatusOr<rte_mempool*> CreatePacketPool(std::string name, unsigned n_mbufs) {
  if (!EalRunning()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create packet pool '", name, "': DPDK EAL is not started"));
  }
  unsigned cache = std::min(256u, n_mbufs / 8);
  rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), n_mbufs, cache, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
  if (pool == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot create packet pool '", name, "' of ", n_mbufs, " mbufs: ", rte_strerror(rte_errno),
        " (with --no-huge, raise -m / EalOptions::no_huge_mem_mb)"));
  }
  return pool;
}

void FreePacketPool(rte_mempool* pool) { rte_mempool_free(pool); }

}  // namespace podswitch::dpdk
