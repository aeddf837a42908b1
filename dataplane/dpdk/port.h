// Port: one switch port as the PMD threads see it: bursts of mbufs in, bursts out,
// statistics, link state. Two families implement it:
//   - EthdevPort: a DPDK ethdev created from a virtual device (af_xdp on a kernel interface,
//     vhost-user, tap, ring, null), one rx and one tx queue;
//   - PacketSocketPort: an AF_PACKET socket with mmap'ed rings on a kernel interface
//     ("afpacket"). It is not an ethdev, so it does not count against this DPDK build's
//     RTE_MAX_ETHPORTS (32): a node's pods use it.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

namespace podswitch::core {
struct TunnelIngress;
}

namespace podswitch::dpdk {

// A port as the operator describes it (the Interface row: name, type, options).
struct PortSpec {
  std::string name;  // the port's name; also the kernel interface unless options say "iface"
  std::string type;  // afxdp, afpacket, vhostuser, vhostuserclient, tap, ring, null
  std::map<std::string, std::string> options;  // iface, vhost-server-path, dpdk-devargs...

  // Option `key`, or `fallback` when it is not set.
  std::string option(const std::string& key, std::string fallback = "") const {
    auto it = options.find(key);
    return it == options.end() ? fallback : it->second;
  }
  // The kernel interface of a port that sits on one: options:iface, else the port's name.
  std::string iface() const { return option("iface", name); }
};

// Counters of one port: the driver's (or the kernel socket's) plus what Podswitch dropped.
struct PortStats {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t rx_dropped = 0;  // no mbuf, ring full, or a frame too large for an mbuf
  uint64_t rx_errors = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_dropped = 0;  // ours: the tx ring took fewer packets than we offered
  uint64_t tx_errors = 0;
  // Counters only some port types have (a tunnel's decap errors, ICMP errors sent...).
  std::vector<std::pair<std::string, uint64_t>> details;
};

// Link state as the driver reports it (vhost-user ports are down until a peer connects;
// kernel interfaces are up when administratively up with carrier).
struct LinkState {
  bool up = false;
  uint32_t speed_mbps = 0;
};

class Port {
 public:
  // Opens the port `spec` describes, drawing rx mbufs from `pool`.
  // Errors name the port and the cause: an unknown type (INVALID_ARGUMENT listing the valid
  // ones), a missing kernel interface (NOT_FOUND), or the driver's or kernel's refusal.
  static absl::StatusOr<std::unique_ptr<Port>> Open(const PortSpec& spec, rte_mempool* pool);

  // The port types Open accepts, for error messages and the CLI's help.
  static const std::vector<std::string>& ValidTypes();

  virtual ~Port() = default;
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  // The kernel interface the port sits on (afxdp, afpacket, tap), "" for the others.
  const std::string& kernel_interface() const { return iface_; }

  // Receives up to `n` frames, each one contiguous mbuf with every VLAN tag in the frame
  // (a tag the kernel or driver took out of band is put back), so the core sees every tag.
  virtual uint16_t RxBurst(rte_mbuf** pkts, uint16_t n) = 0;

  // Sends up to `n` frames and takes ownership of all of them; the ones that could not be
  // queued are freed and counted as tx_dropped. Only the owning PMD thread calls it.
  virtual void TxBurstOrDrop(rte_mbuf** pkts, uint16_t n) = 0;

  // Counters for monitoring; callable from any thread.
  virtual PortStats stats() const = 0;
  virtual LinkState link() const = 0;

  // True when the kernel interface the port was opened on is gone or was replaced (its
  // ifindex changed), so the control path can detach the port; false for other types.
  bool KernelInterfaceGone() const;

  // For tunnel ports: the tunnel metadata of the frames the last RxBurst returned, one per
  // frame in the same order; nullptr for other ports.
  virtual const core::TunnelIngress* rx_tunnels() const { return nullptr; }

  // Upkeep outside the packet path (next hops of a tunnel, say); Datapath's watcher thread
  // calls it about every interval, never concurrently with the port's destruction.
  virtual void Maintain() {}

  // For `ring` ports (tests): the rings a test enqueues frames into and dequeues the
  // switch's output from; nullptr for other types.
  virtual rte_ring* ring_to_switch() const { return nullptr; }
  virtual rte_ring* ring_from_switch() const { return nullptr; }

 protected:
  Port(std::string name, std::string type) : name_(std::move(name)), type_(std::move(type)) {}
  // Records the kernel interface a port sits on; NOT_FOUND naming it when it does not exist.
  absl::Status BindKernelInterface(const std::string& iface);
  int ifindex() const { return ifindex_; }

 private:
  std::string name_;
  std::string type_;
  std::string iface_;
  int ifindex_ = 0;
};

// Counter helpers for values only the owning PMD thread writes and any thread reads.
inline void AddRelaxed(std::atomic<uint64_t>& counter, uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace podswitch::dpdk
