// PacketProcessor: the fast path of one bridge for one PMD thread. A batch of frames is
// parsed, looked up in the exact-match cache, then the megaflow cache, and only misses walk
// the pipeline; the result is, per packet, the datapath actions to apply. Each PMD owns one
// processor (its caches are private); the pipeline is shared configuration.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/core/cache/exact_match_cache.h"
#include "dataplane/core/cache/megaflow_cache.h"
#include "dataplane/core/datapath/dp_executor.h"
#include "dataplane/core/packet/packet_buffer.h"
#include "dataplane/core/pipeline/pipeline.h"

namespace podswitch::core {

inline constexpr size_t kMaxBatch = 32;

struct FastPathOptions {
  size_t emc_slots = 8192;
  size_t megaflow_entries = 65536;
  bool emc_enabled = true;
  bool megaflow_enabled = true;  // both off = every packet walks the pipeline (for tests)
};

struct FastPathStats {
  uint64_t packets = 0;
  uint64_t emc_hits = 0;
  uint64_t megaflow_hits = 0;
  uint64_t misses = 0;  // slow-path translations
  uint64_t truncated = 0;
  uint64_t malformed = 0;
  uint64_t revalidations = 0;
  uint64_t megaflows_removed = 0;
};

// What a tunnel port knows about a packet it decapsulated: the FlowKey's tunnel fields
// (host order), which flows match as tun_id, tun_src and tun_dst.
struct TunnelIngress {
  uint64_t tun_id = 0;
  uint32_t tun_src = 0;
  uint32_t tun_dst = 0;
};

class PacketProcessor {
 public:
  PacketProcessor(Pipeline* pipeline, FastPathOptions options = {});

  // Decides a batch (at most kMaxBatch): `actions[i]` receives the datapath actions for
  // `packets[i]`, valid until the next ProcessBatch. Counts hits on flows and caches.
  // `tunnels`, when not empty, holds each packet's tunnel metadata (a batch from a tunnel).
  void ProcessBatch(std::span<const PacketBuffer> packets, std::span<const uint32_t> in_ports,
                    uint64_t now_ms, std::span<const DpActions*> actions,
                    std::span<const TunnelIngress> tunnels = {});

  // Applies the actions ProcessBatch chose (rewrites, outputs, learning) through `sink`.
  void ExecuteBatch(std::span<PacketBuffer> packets, std::span<const DpActions* const> actions,
                    DpSink& sink, uint64_t now_ms);

  const FastPathStats& stats() const { return stats_; }
  size_t megaflow_count() const { return megaflows_.size(); }
  const MegaflowCache& megaflows() const { return megaflows_; }

 private:
  const DpActions* Decide(const FlowKey& key, uint32_t bytes, uint64_t now_ms);
  void RevalidateIfStale(uint64_t now_ms);

  Pipeline* pipeline_;
  FastPathOptions options_;
  ExactMatchCache emc_;
  MegaflowCache megaflows_;
  uint64_t seen_generation_ = 0;
  uint64_t seen_epoch_ = 0;
  DpActions uncached_[kMaxBatch];  // results of misses when caching is off
  size_t uncached_used_ = 0;
  FastPathStats stats_;
};

}  // namespace podswitch::core
