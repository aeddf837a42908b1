#include "dataplane/core/fastpath/packet_processor.h"

#include "dataplane/core/packet/packet_parser.h"

namespace podswitch::core {
namespace {

// Forwards everything to the caller's sink and applies NORMAL's learning to the pipeline.
class LearningSink : public DpSink {
 public:
  LearningSink(DpSink& inner, Pipeline& pipeline, uint64_t now_ms)
      : inner_(inner), pipeline_(pipeline), now_ms_(now_ms) {}
  void Output(uint32_t port, PacketBuffer& pkt, const TunnelMetadata& tunnel, bool last) override {
    inner_.Output(port, pkt, tunnel, last);
  }
  void Punt(uint16_t reason, uint32_t id, const PacketBuffer& pkt) override {
    inner_.Punt(reason, id, pkt);
  }
  bool Meter(uint32_t meter_id, uint32_t bytes) override { return inner_.Meter(meter_id, bytes); }
  void Learn(const DpAction& learn) override { pipeline_.Learn(learn, now_ms_); }

 private:
  DpSink& inner_;
  Pipeline& pipeline_;
  uint64_t now_ms_;
};

}  // namespace

PacketProcessor::PacketProcessor(Pipeline* pipeline, FastPathOptions options)
    : pipeline_(pipeline),
      options_(options),
      emc_(options.emc_slots),
      megaflows_(options.megaflow_entries) {}

void PacketProcessor::RevalidateIfStale(uint64_t now_ms) {
  uint64_t generation = pipeline_->generation();
  if (generation != seen_generation_) {
    RevalidationResult result = megaflows_.Revalidate(*pipeline_, now_ms);
    ++stats_.revalidations;
    stats_.megaflows_removed += result.removed;
    seen_generation_ = generation;
  }
  megaflows_.TrimToCapacity();
  if (megaflows_.epoch() != seen_epoch_) {
    emc_.Clear();
    seen_epoch_ = megaflows_.epoch();
  }
}

const DpActions* PacketProcessor::Decide(const FlowKey& key, uint32_t bytes, uint64_t now_ms) {
  uint64_t hash = 0;
  if (options_.emc_enabled) {
    hash = HashFlowKey(key);
    if (MegaflowEntry* entry = emc_.Lookup(key, hash)) {
      ++stats_.emc_hits;
      entry->Hit(bytes, now_ms);
      return &entry->actions;
    }
  }
  if (options_.megaflow_enabled) {
    if (MegaflowEntry* entry = megaflows_.Lookup(key)) {
      ++stats_.megaflow_hits;
      entry->Hit(bytes, now_ms);
      if (options_.emc_enabled) emc_.Insert(key, hash, entry);
      return &entry->actions;
    }
  }
  ++stats_.misses;
  Translation translation = pipeline_->Translate(key, now_ms);
  if (!options_.megaflow_enabled) {
    for (FlowRule* rule : translation.rules) rule->Hit(bytes, now_ms);
    DpActions& slot = uncached_[uncached_used_++];
    slot = std::move(translation.actions);
    return &slot;
  }
  MegaflowEntry* entry = megaflows_.Insert(key, std::move(translation));
  entry->Hit(bytes, now_ms);
  if (options_.emc_enabled) emc_.Insert(key, hash, entry);
  return &entry->actions;
}

void PacketProcessor::ProcessBatch(std::span<const PacketBuffer> packets,
                                   std::span<const uint32_t> in_ports, uint64_t now_ms,
                                   std::span<const DpActions*> actions,
                                   std::span<const TunnelIngress> tunnels) {
  RevalidateIfStale(now_ms);
  uncached_used_ = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    FlowKey key = ParsePacket(packets[i].bytes(), in_ports[i]);
    if (!tunnels.empty()) {
      key.tun_id = tunnels[i].tun_id;
      key.tun_src = tunnels[i].tun_src;
      key.tun_dst = tunnels[i].tun_dst;
    }
    ++stats_.packets;
    if (key.pkt_err == static_cast<uint8_t>(PacketError::kTruncated)) ++stats_.truncated;
    if (key.pkt_err == static_cast<uint8_t>(PacketError::kMalformed)) ++stats_.malformed;
    actions[i] = Decide(key, packets[i].size, now_ms);
  }
}

void PacketProcessor::ExecuteBatch(std::span<PacketBuffer> packets,
                                   std::span<const DpActions* const> actions, DpSink& sink,
                                   uint64_t now_ms) {
  LearningSink learning(sink, *pipeline_, now_ms);
  for (size_t i = 0; i < packets.size(); ++i) {
    ExecuteDpActions(packets[i], *actions[i], learning);
  }
}

}  // namespace podswitch::core
