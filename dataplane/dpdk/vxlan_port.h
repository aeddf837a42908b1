// VxlanPort ("vxlan"): a VXLAN tunnel endpoint as a switch port. What the pipeline outputs to
// it is encapsulated (outer Ethernet/IPv4/UDP/VXLAN, core/tunnel/vxlan.h) and sent out of the
// uplink, the kernel interface that owns options:local_ip; what arrives on the uplink as
// VXLAN to local_ip:dst_port is decapsulated and enters the pipeline with in_port = this port
// and tun_id/tun_src/tun_dst set. Options are Open vSwitch's (core/tunnel/vxlan_options.h):
// remote_ip and key fixed or "flow".
//
// The uplink keeps serving the node: an AF_PACKET socket with a kernel BPF filter takes
// copies of only the VXLAN datagrams for local_ip:dst_port (and from remote_ip with the
// port's VNI when those are fixed: vxlan_filter.h), and an eBPF program at the uplink's tc
// ingress drops the kernel's own copy of every datagram to that address, so the node's IP
// stack never sees them (tunnel_steering.h; stats detail uplink_steering=1). A UDP socket
// bound to the address keeps the kernel from answering with ICMP port unreachable what it
// still gets: every datagram where the kernel refuses the program (uplink_steering=0), else
// only fragmented ones, which tc leaves to the kernel to reassemble. Next
// hops come from the kernel's routing and neighbour tables (underlay.h), looked up on the
// control thread (Maintain) and handed to the PMD without locking the packet path.
// A packet too large for the uplink once encapsulated is answered with ICMP "fragmentation
// needed" (IPv4 with DF) or ICMPv6 "packet too big" by the bridge (see BridgeContext).
//
// Ports sharing local_ip:dst_port (a flow-based tun0 and per-remote ports, say) split the
// datagrams as Open vSwitch does: each goes to the most specific port only
// (core/tunnel/vxlan_demux.h). The ports learn each other's claims from VxlanReceivers and
// skip, as rx_other_tunnel, what a more specific port takes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dataplane/core/datapath/dp_action.h"
#include "dataplane/core/fastpath/packet_processor.h"
#include "dataplane/core/packet/packet_buffer.h"
#include "dataplane/core/tunnel/vxlan.h"
#include "dataplane/core/tunnel/vxlan_demux.h"
#include "dataplane/core/tunnel/vxlan_options.h"
#include "dataplane/dpdk/packet_socket_port.h"
#include "dataplane/dpdk/port.h"
#include "dataplane/dpdk/tunnel_steering.h"
#include "dataplane/dpdk/vxlan_receivers.h"

namespace podswitch::dpdk {

// What became of one packet the pipeline sent to a tunnel.
enum class EncapOutcome : uint8_t {
  kSent,       // encapsulated in place: queue it on the tunnel port
  kTooBig,     // does not fit the uplink once encapsulated: answer with an ICMP error
  kNoRemote,   // remote_ip=flow and the flow set no tun_dst
  kNoNextHop,  // the next hop's MAC is not known yet (resolution is under way)
  kNoRoom,     // no headroom for the outer headers
};

class VxlanPort : public Port {
 public:
  static constexpr char kType[] = "vxlan";

  // Opens the tunnel: parses the options (INVALID_ARGUMENT), finds the uplink that owns
  // local_ip (NOT_FOUND: the controller retries until it appears), opens its socket.
  static absl::StatusOr<std::unique_ptr<Port>> Open(const PortSpec& spec, rte_mempool* pool);

  ~VxlanPort() override;

  // Frames from the uplink, decapsulated; rx_tunnels() has their tunnel metadata.
  uint16_t RxBurst(rte_mbuf** pkts, uint16_t n) override;
  const core::TunnelIngress* rx_tunnels() const override { return rx_tunnels_; }
  // Frames Encapsulate prepared, out of the uplink.
  void TxBurstOrDrop(rte_mbuf** pkts, uint16_t n) override;
  PortStats stats() const override;
  LinkState link() const override { return uplink_->link(); }
  // Resolves the next hops the packet path asked for and refreshes the uplink's MAC/MTU.
  void Maintain() override;

  // Fast path (owning PMD): encapsulates `pkt` in place for `tunnel` (the flow's set_field
  // values; the port's options win where they are fixed). Counts what it refuses.
  EncapOutcome Encapsulate(core::PacketBuffer& pkt, const core::TunnelMetadata& tunnel);
  // Counts an ICMP error the bridge sent back for a kTooBig packet.
  void CountIcmpSent() { AddRelaxed(icmp_sent_, 1); }
  // The largest inner IP packet the tunnel carries, for those ICMP errors.
  uint32_t inner_mtu() const;
  uint32_t local_ip() const { return options_.local_ip; }

 private:
  // What the control thread hands the PMD: the uplink's MAC and MTU and the resolved next
  // hops. Replaced as a whole; the PMD copies it when the generation moves.
  struct Underlay {
    core::MacAddr uplink_mac{};
    uint32_t uplink_mtu = 1500;
    absl::flat_hash_map<uint32_t, core::MacAddr> next_hops;  // remote VTEP -> MAC
    friend bool operator==(const Underlay&, const Underlay&) = default;
  };

  VxlanPort(std::string name, std::string type) : Port(std::move(name), std::move(type)) {}
  // Open: steers the address's datagrams away from the node's stack, or binds the UDP guard.
  void KeepDatagramsFromTheNode(const std::string& uplink_name);
  void RefreshUnderlayCopy();
  void WantNextHop(uint32_t remote_ip);
  // Control thread (VxlanReceivers): the datagrams more specific ports now claim.
  void SetClaims(std::unique_ptr<const core::VxlanClaims> claims);
  // PMD: takes the newest claims, if any and if the lock is free right now.
  void RefreshClaims();

  core::VxlanPortOptions options_;
  std::unique_ptr<PacketSocketPort> uplink_;
  // The node's stack is kept off the tunnel datagrams by one of these.
  std::unique_ptr<UplinkSteering::Hold> steering_;  // tc ingress drops its copies
  int udp_guard_fd_ = -1;  // bound to local_ip:dst_port so the kernel stays quiet

  // Packet path state (owning PMD only).
  core::TunnelIngress rx_tunnels_[core::kMaxBatch];
  Underlay pmd_underlay_;
  core::VxlanEndpoint endpoint_{};
  uint64_t pmd_generation_ = 0;
  std::unique_ptr<const core::VxlanClaims> pmd_claims_ = std::make_unique<core::VxlanClaims>();
  uint64_t pmd_claims_generation_ = 0;

  // Shared between the PMD and Maintain; the PMD only ever TryLocks it.
  absl::Mutex mu_;
  Underlay underlay_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<uint32_t> wanted_ ABSL_GUARDED_BY(mu_);  // remotes the PMD asked for
  std::atomic<uint64_t> generation_{1};
  // The claims VxlanReceivers handed over last; the PMD swaps them with its own copy, so
  // the old set is freed here on the control thread, never on the PMD.
  std::unique_ptr<const core::VxlanClaims> pending_claims_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> claims_generation_{0};

  std::atomic<uint64_t> decap_dropped_{0};  // broken VXLAN, or not for this port's remote/key
  std::atomic<uint64_t> other_tunnel_{0};   // claimed by a more specific port on the address
  std::atomic<uint64_t> no_remote_{0};
  std::atomic<uint64_t> no_next_hop_{0};
  std::atomic<uint64_t> too_big_{0};
  std::atomic<uint64_t> icmp_sent_{0};
  std::atomic<uint64_t> no_room_{0};

  // Maintain only: the last complaint per remote, so a log line is written on change.
  absl::flat_hash_map<uint32_t, std::string> last_error_;

  // Last, so it goes first: no claims arrive while the rest is being destroyed.
  std::unique_ptr<VxlanReceivers::Registration> registration_;
};

}  // namespace podswitch::dpdk
