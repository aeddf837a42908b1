// The DPDK runtime of one podswitchd: starting the Environment Abstraction Layer with defaults
// that work on a shared Kubernetes node (hugepages only when they are really there, a file
// prefix per instance, no PCI scan) and the packet mempools the ports draw their mbufs from.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct rte_mempool;

namespace podswitch::dpdk {

// How podswitchd wants DPDK to start; every field has a default that works on a node with
// no preparation at all (no hugepages, two shared CPUs).
struct EalOptions {
  std::string instance = "podswitch";  // --file-prefix: several podswitchd per machine
  int main_lcore = -1;                 // CPU of the main lcore; -1: float on our CPUs
  std::vector<int> pmd_lcores;         // one PMD lcore pinned to each of these CPUs
  unsigned pmd_threads = 1;            // when pmd_lcores is empty: PMD lcores floating
  std::string extra_args;              // --dpdk-args, split on spaces, appended last
  bool force_no_huge = false;          // ignore hugepages even when they are usable
  size_t no_huge_mem_mb = 1024;        // -m with --no-huge
  size_t min_free_huge_mb = 128;       // fewer free hugepage MB than this: --no-huge
};

// Which memory EAL will use, decided from /proc before starting it (exposed for tests and
// for the startup log line).
struct HugepageState {
  bool mounted = false;  // a hugetlbfs is mounted
  size_t free_mb = 0;    // HugePages_Free * Hugepagesize
  bool usable = false;   // mounted and at least min_free_huge_mb free
};

// Reads /proc/meminfo and /proc/mounts to decide whether hugepages can back the mempools.
HugepageState ProbeHugepages(size_t min_free_mb);

// The EAL argument list StartEal uses (argv[0] included), so the choice is testable and
// can be printed when EAL refuses it.
std::vector<std::string> BuildEalArgs(const EalOptions& options, const HugepageState& huge);

// Starts EAL once per process. On failure the error names the cause (rte_errno and EAL's own
// last log lines) and the arguments used; a second call is FAILED_PRECONDITION.
absl::Status StartEal(const EalOptions& options);

// True once StartEal succeeded, so other components can refuse to touch DPDK before it.
bool EalRunning();

// Releases EAL's resources (hugepage files, the multi-process socket) at process exit.
void StopEal();

// The EAL lcore ids of the PMD lcores StartEal created (every worker lcore), in order.
std::vector<unsigned> PmdLcores();

// Ring sizes every port is configured with; the mempool sizing below depends on them.
inline constexpr unsigned kRxRingSize = 1024;
inline constexpr unsigned kTxRingSize = 1024;
inline constexpr unsigned kBurstSize = 32;

// How many mbufs a pool serving `ports` ports needs: every rx ring full, every tx ring full,
// a burst in flight per port and copies for flooding, never fewer than 8191.
unsigned PacketPoolSize(unsigned ports);

// Creates a packet mempool of `n_mbufs` standard (2 KiB data room) mbufs on the caller's
// NUMA socket, with a per-lcore cache; the error names the pool and DPDK's reason.
absl::StatusOr<rte_mempool*> CreatePacketPool(std::string name, unsigned n_mbufs);

// Returns a pool from CreatePacketPool to DPDK (every mbuf must be back in it).
void FreePacketPool(rte_mempool* pool);

}  // namespace podswitch::dpdk
