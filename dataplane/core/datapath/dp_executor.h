// The datapath executor: applies a flow's datapath actions to the bytes of one packet.
// It is the last step of the fast path, after the caches; the sink is where its effects
// leave the core (tx queues, the punt queue, meters, the MAC table). Rewrites keep every
// checksum valid by incremental update (RFC 1624), and a rewrite of a header the packet
// does not have, or has only in part, is skipped rather than written past the end.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/core/datapath/dp_action.h"
#include "dataplane/core/packet/packet_buffer.h"

namespace podswitch::core {

// Receives what the executor does not do itself; podswitchd implements it over DPDK, tests
// record the calls.
class DpSink {
 public:
  virtual ~DpSink() = default;
  // Sends `pkt` (as modified so far) to `port`. `last` says no later action reads or
  // modifies the packet, so the sink may take the buffer instead of copying it; after a
  // `last` output the executor does not touch `pkt` again.
  virtual void Output(uint32_t port, PacketBuffer& pkt, const TunnelMetadata& tunnel,
                      bool last) = 0;
  // Queues a copy of `pkt` for the controller (reason and user id from the action).
  virtual void Punt(uint16_t /*reason*/, uint32_t /*id*/, const PacketBuffer& /*pkt*/) {}
  // Charges `bytes` to meter `meter_id`; false drops the packet at this point.
  virtual bool Meter(uint32_t /*meter_id*/, uint32_t /*bytes*/) { return true; }
  // Records NORMAL's MAC learning (a kLearn action) for the MAC table.
  virtual void Learn(const DpAction& /*learn*/) {}
};

// Applies `actions` to `pkt` in order. Execution stops early when the packet is dropped:
// dec_ttl of a TTL <= 1, a meter that says no, or push_vlan without headroom.
void ExecuteDpActions(PacketBuffer& pkt, std::span<const DpAction> actions, DpSink& sink);

}  // namespace podswitch::core
