// PacketSocketPort ("afpacket"): a switch port on a kernel interface (a pod's veth, an
// uplink) through an AF_PACKET socket with PACKET_MMAP (TPACKET_V2) rx and tx rings. Frames
// are copied between the rings and mbufs, as DPDK's own af_packet driver does, but the port
// is not an ethdev: a node can attach as many pods as it has interfaces, where ethdevs stop
// at this DPDK build's RTE_MAX_ETHPORTS (32). Opening one is a few system calls (no driver
// probe), which keeps a pod's CNI ADD short.
//
// Options: iface (default: the port's name), ring-frames (rx and tx ring size in frames,
// default 256, a power of two from 16 to 4096). Opening sets the interface up and
// promiscuous for the socket's lifetime; only frames arriving on the interface are received
// (PACKET_IGNORE_OUTGOING), not what the node or the switch sends out of it.
#pragma once

#include <linux/filter.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dataplane/dpdk/port.h"

namespace podswitch::dpdk {

// How a PacketSocketPort is opened: Open reads it from the port's options; a tunnel port
// opening its uplink passes its own.
struct PacketSocketOptions {
  unsigned ring_frames = 256;
  bool promiscuous = true;          // a switch port sees every MAC; an uplink only its own
  std::vector<sock_filter> filter;  // classic BPF the kernel runs before the ring; empty: all
};

class PacketSocketPort : public Port {
 public:
  static constexpr char kType[] = "afpacket";
  // One frame slot of each ring: a TPACKET2 header plus the largest frame an mbuf takes.
  static constexpr unsigned kFrameSize = 2048;

  // Opens the socket and its rings on spec's kernel interface; rx frames are copied into
  // mbufs from `pool`. NOT_FOUND when the interface does not exist; the socket calls' errors
  // otherwise, naming the step.
  static absl::StatusOr<std::unique_ptr<Port>> Open(const PortSpec& spec, rte_mempool* pool);

  // Opens a socket port named `name` (of type `type`, for listings) on kernel interface
  // `iface` with `options`.
  static absl::StatusOr<std::unique_ptr<PacketSocketPort>> OpenWith(
      std::string name, std::string type, const std::string& iface,
      const PacketSocketOptions& options, rte_mempool* pool);

  ~PacketSocketPort() override;

  uint16_t RxBurst(rte_mbuf** pkts, uint16_t n) override;
  void TxBurstOrDrop(rte_mbuf** pkts, uint16_t n) override;
  PortStats stats() const override;
  LinkState link() const override;

 private:
  PacketSocketPort(std::string name, std::string type) : Port(std::move(name), std::move(type)) {}
  absl::Status Setup(const PacketSocketOptions& options);
  uint8_t* RxFrame(unsigned index) const { return ring_ + index * kFrameSize; }
  uint8_t* TxFrame(unsigned index) const { return ring_ + (frames_ + index) * kFrameSize; }
  void Kick();

  rte_mempool* pool_ = nullptr;
  int fd_ = -1;
  uint8_t* ring_ = nullptr;  // rx ring then tx ring, `frames_` slots each
  size_t ring_bytes_ = 0;
  unsigned frames_ = 0;
  unsigned rx_next_ = 0;
  unsigned tx_next_ = 0;
  uint32_t tx_data_offset_ = 0;  // where a tx slot's frame starts
  uint32_t tx_max_len_ = 0;      // the largest frame a tx slot holds

  // Written by the owning PMD only (AddRelaxed), read by stats() from any thread.
  std::atomic<uint64_t> rx_packets_{0};
  std::atomic<uint64_t> rx_bytes_{0};
  std::atomic<uint64_t> rx_dropped_{0};  // no mbuf, or a frame larger than an mbuf
  std::atomic<uint64_t> tx_packets_{0};
  std::atomic<uint64_t> tx_bytes_{0};
  std::atomic<uint64_t> tx_dropped_{0};  // tx ring full
  std::atomic<uint64_t> tx_errors_{0};   // too large for a slot, or refused by the kernel

  // The kernel's drop counter (PACKET_STATISTICS) resets when read: stats() accumulates it.
  mutable absl::Mutex kernel_drops_mu_;
  mutable uint64_t kernel_drops_ ABSL_GUARDED_BY(kernel_drops_mu_) = 0;
};

}  // namespace podswitch::dpdk
