// BridgeContext: one bridge as its owning PMD thread runs it: the bridge's pipeline and fast
// path, its attached ports with their tx buffers, and the loop body that moves a burst from
// a port's rx queue through the core to the output ports' tx queues. Only the owning PMD
// touches it (control operations reach it through Datapath::RunOnBridge), so nothing here
// takes a lock.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/core/fastpath/packet_processor.h"
#include "dataplane/core/l2/port_vlan.h"
#include "dataplane/core/pipeline/pipeline.h"
#include "dataplane/dpdk/port.h"
#include "dataplane/dpdk/vxlan_port.h"

struct rte_mbuf;

namespace podswitch::dpdk {

// Frames one port may have queued for tx before the PMD flushes them.
inline constexpr uint16_t kTxBufferSize = 64;

// Drops the fast path counts on top of the core's own statistics, per bridge.
struct BridgeCounters {
  uint64_t rx_packets = 0;
  uint64_t rx_batches = 0;
  uint64_t dropped_no_port = 0;      // output to an ofport that is not attached
  uint64_t dropped_multiseg = 0;     // chained mbufs: the core wants contiguous frames
  uint64_t dropped_copy_failed = 0;  // no mbuf for a flood/mirror copy
  uint64_t dropped_punts = 0;        // controller actions: no controller connection yet
  uint64_t dropped_tunnel = 0;       // a tunnel output could not encapsulate (see its port)
};

// A port attached to a bridge, with the frames queued for it in the current batch.
struct AttachedPort {
  uint32_t ofport = 0;
  std::unique_ptr<Port> port;
  VxlanPort* tunnel = nullptr;  // `port` when it is a tunnel: outputs are encapsulated
  core::PortVlanConfig vlan;
  uint64_t rx_packets = 0;  // frames the PMD took from this port
  std::array<rte_mbuf*, kTxBufferSize> tx{};
  uint16_t tx_count = 0;
};

class BridgeContext {
 public:
  // A bridge with no ports and no flows (add "actions=NORMAL" for a learning switch).
  BridgeContext(std::string name, core::PipelineOptions pipeline_options,
                core::FastPathOptions fast_path_options);
  ~BridgeContext();
  BridgeContext(const BridgeContext&) = delete;
  BridgeContext& operator=(const BridgeContext&) = delete;

  const std::string& name() const { return name_; }
  // The bridge's flow tables and MAC table; flow mods go here (on the owning PMD).
  core::Pipeline& pipeline() { return pipeline_; }
  // The owning PMD's caches for this bridge, for hit statistics.
  core::PacketProcessor& processor() { return processor_; }
  // The PMDs' clock (PmdNowMs), the time base of flow and MAC timeouts, for flow mods.
  uint64_t now_ms() const;
  const BridgeCounters& counters() const { return counters_; }
  // Ports in ofport order, for listings and statistics.
  std::vector<const AttachedPort*> ports() const;
  // The attached port with this ofport, or nullptr.
  const AttachedPort* FindPort(uint32_t ofport) const;

  // Control path (on the owning PMD): attaches a port and publishes the bridge's new port
  // list to the pipeline. ALREADY_EXISTS when the ofport is taken; `port` is then left to
  // the caller, so it is not closed on the PMD.
  absl::Status AddPort(uint32_t ofport, std::unique_ptr<Port>&& port, core::PortVlanConfig vlan);
  // Control path: detaches a port; the PMD never touches it again. NOT_FOUND if absent.
  absl::StatusOr<std::unique_ptr<Port>> RemovePort(uint32_t ofport);
  // Control path: changes a port's VLAN columns (already validated).
  absl::Status SetPortVlan(uint32_t ofport, core::PortVlanConfig vlan);

  // Fast path: polls every port once (one rx burst each), switching what arrives; returns
  // the number of frames received.
  size_t PollPorts(uint64_t now_ms);
  // Ages flows and MAC entries; the PMD calls it about every 100 ms.
  void Housekeep(uint64_t now_ms);

 private:
  class TxSink;
  friend class TxSink;

  void SwitchBurst(AttachedPort& in, rte_mbuf** mbufs, uint16_t n,
                   const core::TunnelIngress* tunnels);
  void Enqueue(AttachedPort& out, rte_mbuf* m);
  void FlushTx();
  void PublishPorts();

  std::string name_;
  core::Pipeline pipeline_;
  core::PacketProcessor processor_;
  std::unique_ptr<TxSink> sink_;
  std::vector<std::unique_ptr<AttachedPort>> ports_;  // ofport order
  absl::flat_hash_map<uint32_t, AttachedPort*> by_ofport_;
  std::vector<AttachedPort*> pending_tx_;  // ports with queued frames
  BridgeCounters counters_;
  uint64_t now_ms_ = 0;  // the loop's time, set by PollPorts
};

}  // namespace podswitch::dpdk
