// Port: one switch port backed by a DPDK ethdev that Podswitch creates from a virtual device
// (af_xdp or af_packet on a kernel interface, vhost-user, tap, ring, null), configured with
// one rx and one tx queue. Every port type looks the same to the PMD threads: bursts of
// mbufs in, bursts out, statistics, link state.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

namespace podswitch::dpdk {

// A port as the operator describes it (the Interface row: name, type, options).
struct PortSpec {
  std::string name;  // the port's name; also the kernel interface unless options say "iface"
  std::string type;  // afxdp, afpacket, vhostuser, vhostuserclient, tap, ring, null
  std::map<std::string, std::string> options;  // iface, vhost-server-path, dpdk-devargs...
};

// Counters of one port: the driver's (rte_eth_stats) plus what Podswitch itself dropped.
struct PortStats {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t rx_dropped = 0;  // driver: no mbuf or ring full (imissed + rx_nombuf)
  uint64_t rx_errors = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_dropped = 0;  // ours: the tx ring took fewer packets than we offered
  uint64_t tx_errors = 0;
};

// Link state as the driver reports it (vhost-user ports are down until a peer connects).
struct LinkState {
  bool up = false;
  uint32_t speed_mbps = 0;
};

class Port {
 public:
  // Creates, configures and starts the ethdev for `spec`, drawing rx mbufs from `pool`
  // (af_xdp ports use a pool of their own: see port.cc).
  // Errors name the port and the cause: an unknown type (INVALID_ARGUMENT listing the valid
  // ones), a missing kernel interface (NOT_FOUND), or the driver's refusal.
  static absl::StatusOr<std::unique_ptr<Port>> Open(const PortSpec& spec, rte_mempool* pool);

  // The port types Open accepts, for error messages and the CLI's help.
  static const std::vector<std::string>& ValidTypes();

  // Stops and closes the ethdev and detaches its virtual device, freeing the port id.
  ~Port();
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  uint16_t port_id() const { return port_id_; }
  // The kernel interface the port sits on (afxdp, afpacket, tap), "" for the others.
  const std::string& kernel_interface() const { return iface_; }

  // Receives up to `n` frames; a VLAN tag the driver stripped into the mbuf (af_packet on a
  // veth gets it out of band) is put back into the frame, so the core sees every tag.
  uint16_t RxBurst(rte_mbuf** pkts, uint16_t n);

  // Sends up to `n` frames; the ones the driver did not take are freed and counted as
  // tx_dropped. Only the owning PMD thread calls it.
  void TxBurstOrDrop(rte_mbuf** pkts, uint16_t n);

  // Counters for monitoring; callable from any thread.
  PortStats stats() const;
  LinkState link() const;

  // True when the kernel interface the port was opened on is gone or was replaced (its
  // ifindex changed), so the control path can detach the port; false for other types.
  bool KernelInterfaceGone() const;

  // For `ring` ports (tests): the rings a test enqueues frames into and dequeues the
  // switch's output from; nullptr for other types.
  rte_ring* ring_to_switch() const { return rx_ring_; }
  rte_ring* ring_from_switch() const { return tx_ring_; }

 private:
  Port() = default;
  static absl::StatusOr<std::unique_ptr<Port>> OpenOnce(const PortSpec& spec, rte_mempool* pool);
  absl::Status Probe(const PortSpec& spec);
  absl::Status ConfigureAndStart(rte_mempool* pool);

  std::string name_;
  std::string type_;
  std::string iface_;
  int ifindex_ = 0;
  std::string vdev_name_;
  uint16_t port_id_ = 0;
  bool probed_ = false;
  rte_ring* rx_ring_ = nullptr;
  rte_ring* tx_ring_ = nullptr;
  rte_mempool* own_pool_ = nullptr;                   // af_xdp: freed after the ethdev is gone
  std::vector<std::pair<int, std::string>> xdp_fds_;  // AF_XDP/BPF fds Open created
  std::atomic<uint64_t> tx_dropped_{0};               // written by the owning PMD only
  std::atomic<uint64_t> vlan_restore_failed_{0};
};

}  // namespace podswitch::dpdk
