#include "dataplane/dpdk/bridge_context.h"

#include <rte_mbuf.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "dataplane/core/tunnel/path_mtu.h"
#include "dataplane/dpdk/pmd_thread.h"
#include "spdlog/spdlog.h"

namespace podswitch::dpdk {

// The DpSink of one burst: outputs become mbufs on the output ports' tx buffers. A `last`
// output hands over the received mbuf itself; earlier outputs (flooding, mirroring) send a
// copy of the frame as modified so far.
class BridgeContext::TxSink : public core::DpSink {
 public:
  explicit TxSink(BridgeContext* bridge) : bridge_(bridge) {}

  void Begin(AttachedPort* in, rte_mbuf** mbufs, core::PacketBuffer* buffers, bool* taken) {
    in_ = in;
    mbufs_ = mbufs;
    buffers_ = buffers;
    taken_ = taken;
  }

  void Output(uint32_t port, core::PacketBuffer& pkt, const core::TunnelMetadata& tunnel,
              bool last) override {
    auto it = bridge_->by_ofport_.find(port);
    if (it == bridge_->by_ofport_.end()) {
      ++bridge_->counters_.dropped_no_port;
      return;
    }
    size_t i = static_cast<size_t>(&pkt - buffers_);
    rte_mbuf* m = mbufs_[i];
    // The PacketBuffer is the truth (push/pop VLAN move the frame's start): sync the mbuf.
    m->data_off = static_cast<uint16_t>(pkt.data - static_cast<uint8_t*>(m->buf_addr));
    m->data_len = static_cast<uint16_t>(pkt.size);
    m->pkt_len = pkt.size;
    AttachedPort& out = *it->second;
    bool take = last && !taken_[i];
    rte_mbuf* frame = take ? m : rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
    if (frame == nullptr) {
      ++bridge_->counters_.dropped_copy_failed;
      return;
    }
    if (out.tunnel != nullptr && !Encapsulate(out, frame, take ? &pkt : nullptr, tunnel)) {
      if (!take) rte_pktmbuf_free(frame);  // a taken frame stays untaken: freed with the batch
      return;
    }
    if (take) taken_[i] = true;
    bridge_->Enqueue(out, frame);
  }

  void Punt(uint16_t reason, uint32_t id, const core::PacketBuffer& /*pkt*/) override {
    // No controller channel yet: count, and log the first few so the drop is visible.
    if (bridge_->counters_.dropped_punts++ < 5) {
      spdlog::info("dpdk: bridge '{}': dropped a controller punt (reason {}, id {})",
                   bridge_->name_, reason, id);
    }
  }

 private:
  // Encapsulates `frame` (whose PacketBuffer is `pkt`, or nullptr for a copy) for tunnel port
  // `out`; false when it must not be sent. A packet too big for the uplink gets an ICMP error
  // back through the port it came in on.
  bool Encapsulate(AttachedPort& out, rte_mbuf* frame, core::PacketBuffer* pkt,
                   const core::TunnelMetadata& tunnel) {
    core::PacketBuffer copy_view;
    if (pkt == nullptr) {
      copy_view = {.data = rte_pktmbuf_mtod(frame, uint8_t*),
                   .size = frame->data_len,
                   .headroom = rte_pktmbuf_headroom(frame)};
      pkt = &copy_view;
    }
    EncapOutcome outcome = out.tunnel->Encapsulate(*pkt, tunnel);
    if (outcome == EncapOutcome::kSent) {
      frame->data_off = static_cast<uint16_t>(pkt->data - static_cast<uint8_t*>(frame->buf_addr));
      frame->data_len = static_cast<uint16_t>(pkt->size);
      frame->pkt_len = pkt->size;
      return true;
    }
    ++bridge_->counters_.dropped_tunnel;
    if (outcome == EncapOutcome::kTooBig) SendTooBig(*out.tunnel, *pkt, frame->pool);
    return false;
  }

  // ICMP "fragmentation needed" (IPv4, from the tunnel's local IP) or ICMPv6 "packet too
  // big" (IPv6, from the link-local address of the gateway MAC) to the sender of `pkt`, from
  // the gateway MAC it addressed, with the MTU the tunnel carries (nothing for a packet that
  // must not get one: IPv4 without DF, neither IP version, an ICMP error itself...).
  void SendTooBig(VxlanPort& tunnel, const core::PacketBuffer& pkt, rte_mempool* pool) {
    if (pkt.size < 6) return;
    core::MacAddr gw_mac;
    std::copy_n(pkt.data, 6, gw_mac.begin());
    std::vector<uint8_t> icmp =
        core::BuildIcmpTooBig(pkt.bytes(), tunnel.inner_mtu(), gw_mac, tunnel.local_ip());
    if (icmp.empty()) return;
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) return;
    char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(icmp.size()));
    if (data == nullptr) {
      rte_pktmbuf_free(m);
      return;
    }
    std::copy(icmp.begin(), icmp.end(), data);
    tunnel.CountIcmpSent();
    bridge_->Enqueue(*in_, m);
  }

  BridgeContext* bridge_;
  AttachedPort* in_ = nullptr;
  rte_mbuf** mbufs_ = nullptr;
  core::PacketBuffer* buffers_ = nullptr;
  bool* taken_ = nullptr;
};

BridgeContext::BridgeContext(std::string name, core::PipelineOptions pipeline_options,
                             core::FastPathOptions fast_path_options)
    : name_(std::move(name)),
      pipeline_(pipeline_options),
      processor_(&pipeline_, fast_path_options),
      sink_(std::make_unique<TxSink>(this)) {}

BridgeContext::~BridgeContext() = default;

uint64_t BridgeContext::now_ms() const { return PmdNowMs(); }

std::vector<const AttachedPort*> BridgeContext::ports() const {
  std::vector<const AttachedPort*> out;
  for (const auto& port : ports_) out.push_back(port.get());
  return out;
}

const AttachedPort* BridgeContext::FindPort(uint32_t ofport) const {
  auto it = by_ofport_.find(ofport);
  return it == by_ofport_.end() ? nullptr : it->second;
}

absl::Status BridgeContext::AddPort(uint32_t ofport, std::unique_ptr<Port>&& port,
                                    core::PortVlanConfig vlan) {
  if (by_ofport_.contains(ofport)) {
    return absl::AlreadyExistsError(absl::StrCat("bridge '", name_, "': ofport ", ofport,
                                                 " is already used by port '",
                                                 by_ofport_[ofport]->port->name(), "'"));
  }
  auto attached = std::make_unique<AttachedPort>();
  attached->ofport = ofport;
  attached->port = std::move(port);
  attached->tunnel = dynamic_cast<VxlanPort*>(attached->port.get());
  attached->vlan = std::move(vlan);
  by_ofport_[ofport] = attached.get();
  auto at = std::lower_bound(ports_.begin(), ports_.end(), ofport,
                             [](const auto& p, uint32_t n) { return p->ofport < n; });
  ports_.insert(at, std::move(attached));
  pending_tx_.reserve(ports_.size());  // no allocation on the fast path
  PublishPorts();
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Port>> BridgeContext::RemovePort(uint32_t ofport) {
  auto it = std::find_if(ports_.begin(), ports_.end(),
                         [&](const auto& p) { return p->ofport == ofport; });
  if (it == ports_.end()) {
    return absl::NotFoundError(
        absl::StrCat("bridge '", name_, "' has no port with ofport ", ofport));
  }
  // Between batches every tx buffer is empty, so no queued mbuf refers to this port.
  std::unique_ptr<Port> port = std::move((*it)->port);
  by_ofport_.erase(ofport);
  ports_.erase(it);
  PublishPorts();
  return port;
}

absl::Status BridgeContext::SetPortVlan(uint32_t ofport, core::PortVlanConfig vlan) {
  auto it = by_ofport_.find(ofport);
  if (it == by_ofport_.end()) {
    return absl::NotFoundError(
        absl::StrCat("bridge '", name_, "' has no port with ofport ", ofport));
  }
  it->second->vlan = std::move(vlan);
  PublishPorts();
  return absl::OkStatus();
}

void BridgeContext::PublishPorts() {
  std::vector<core::BridgePortInfo> infos;
  for (const auto& port : ports_) {
    infos.push_back(
        {.port_no = port->ofport, .vlan = port->vlan, .tunnel = port->tunnel != nullptr});
  }
  pipeline_.SetPorts(std::move(infos));
}

size_t BridgeContext::PollPorts(uint64_t now_ms) {
  now_ms_ = now_ms;
  size_t total = 0;
  rte_mbuf* mbufs[core::kMaxBatch];
  for (size_t p = 0; p < ports_.size(); ++p) {
    AttachedPort& in = *ports_[p];
    uint16_t n = in.port->RxBurst(mbufs, core::kMaxBatch);
    if (n == 0) continue;
    in.rx_packets += n;
    total += n;
    SwitchBurst(in, mbufs, n, in.port->rx_tunnels());
  }
  return total;
}

void BridgeContext::SwitchBurst(AttachedPort& in, rte_mbuf** mbufs, uint16_t n,
                                const core::TunnelIngress* tunnels) {
  core::PacketBuffer buffers[core::kMaxBatch];
  core::TunnelIngress kept_tunnels[core::kMaxBatch];
  uint32_t in_ports[core::kMaxBatch];
  const core::DpActions* actions[core::kMaxBatch];
  bool taken[core::kMaxBatch];
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = mbufs[i];
    if (m->nb_segs != 1) [[unlikely]] {
      ++counters_.dropped_multiseg;
      rte_pktmbuf_free(m);
      continue;
    }
    mbufs[kept] = m;
    buffers[kept] = {.data = rte_pktmbuf_mtod(m, uint8_t*),
                     .size = m->data_len,
                     .headroom = rte_pktmbuf_headroom(m)};
    in_ports[kept] = in.ofport;
    if (tunnels != nullptr) kept_tunnels[kept] = tunnels[i];
    taken[kept] = false;
    ++kept;
  }
  if (kept == 0) return;
  counters_.rx_packets += kept;
  ++counters_.rx_batches;
  std::span<const core::TunnelIngress> tunnel_span;
  if (tunnels != nullptr) tunnel_span = {kept_tunnels, kept};
  processor_.ProcessBatch({buffers, kept}, {in_ports, kept}, now_ms_, {actions, kept}, tunnel_span);
  sink_->Begin(&in, mbufs, buffers, taken);
  processor_.ExecuteBatch({buffers, kept}, {actions, kept}, *sink_, now_ms_);
  // Frames nobody took (dropped, or sent only as copies) go back to their pool.
  rte_mbuf* unused[core::kMaxBatch];
  unsigned n_unused = 0;
  for (uint16_t i = 0; i < kept; ++i) {
    if (!taken[i]) unused[n_unused++] = mbufs[i];
  }
  if (n_unused > 0) rte_pktmbuf_free_bulk(unused, n_unused);
  FlushTx();
}

void BridgeContext::Enqueue(AttachedPort& out, rte_mbuf* m) {
  if (out.tx_count == 0) {
    pending_tx_.push_back(&out);
  } else if (out.tx_count == kTxBufferSize) {
    out.port->TxBurstOrDrop(out.tx.data(), out.tx_count);  // still listed in pending_tx_
    out.tx_count = 0;
  }
  out.tx[out.tx_count++] = m;
}

void BridgeContext::FlushTx() {
  for (AttachedPort* out : pending_tx_) {
    if (out->tx_count == 0) continue;
    out->port->TxBurstOrDrop(out->tx.data(), out->tx_count);
    out->tx_count = 0;
  }
  pending_tx_.clear();
}

void BridgeContext::Housekeep(uint64_t now_ms) {
  now_ms_ = now_ms;
  pipeline_.ExpireFlows(now_ms);
  pipeline_.ExpireMacs(now_ms);
}

}  // namespace podswitch::dpdk
