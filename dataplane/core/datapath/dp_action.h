// Datapath actions: what the fast path does to a packet once the pipeline has decided.
// The OpenFlow-style pipeline (tables, NORMAL, goto_table, conjunction...) is translated
// into a flat list of these, which the flow caches store and the executor applies to every
// packet of the flow. They are the contract between the core and the DPDK layer.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {

enum class DpActionType : uint8_t {
  kOutput,      // port: send the packet (as modified so far) to port `u32`
  kSetEthSrc,   // mac
  kSetEthDst,   // mac
  kSetIpv4Src,  // u32 (host order); fixes the IPv4 and TCP/UDP checksums incrementally
  kSetIpv4Dst,  // u32
  kSetTpSrc,    // u16; TCP/UDP source port, checksum fixed incrementally
  kSetTpDst,    // u16
  kSetIpTos,    // u16 low byte: the new DSCP<<2 (ECN bits kept); IPv4 checksum fixed
  kSetTtl,      // u16 low byte: new IPv4 TTL / IPv6 hop limit
  kDecTtl,      // decrement TTL/hop limit; a packet whose TTL would reach 0 is dropped
  kPushVlan,    // u16 = TCI (kVlanPresent ignored), u32 = TPID (0x8100 or 0x88a8)
  kPopVlan,     // remove the outer tag, if any
  kSetVlanTci,  // u16 = new VID|PCP of the outer tag (kVlanPresent ignored); no-op untagged
  kSetTunnel,   // u64 = tun_id, u32 = tun_dst, u16 unused: metadata for a later tunnel output
  kController,  // u16 = reason, u32 = user id: a copy goes to the bounded punt queue
  kMeter,       // u32 = meter id: the sink may drop the packet here
  kLearn,       // NORMAL's MAC learning: mac = dl_src, u16 = VLAN, u32 = in_port
};

struct DpAction {
  DpActionType type;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  MacAddr mac{};

  friend bool operator==(const DpAction&, const DpAction&) = default;
};

using DpActions = std::vector<DpAction>;

// Tunnel metadata a kSetTunnel action attaches to the packet for a later tunnel output.
struct TunnelMetadata {
  uint64_t tun_id = 0;
  uint32_t tun_dst = 0;  // IPv4 remote VTEP, host order; 0 = the port's configured remote
};

}  // namespace podswitch::core
