// EthdevPort: a switch port backed by a DPDK ethdev that Podswitch creates from a virtual
// device (af_xdp on a kernel interface, vhost-user, tap, ring, null), configured with one rx
// and one tx queue. This DPDK build has at most RTE_MAX_ETHPORTS (32) of them per process.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/dpdk/port.h"

namespace podswitch::dpdk {

class EthdevPort : public Port {
 public:
  // Creates, configures and starts the ethdev for `spec` (a type EthdevTypes() lists),
  // drawing rx mbufs from `pool` (af_xdp ports use a pool of their own: see the .cc).
  static absl::StatusOr<std::unique_ptr<Port>> Open(const PortSpec& spec, rte_mempool* pool);

  // The port types EthdevPort implements.
  static const std::vector<std::string>& Types();

  // Stops and closes the ethdev and detaches its virtual device, freeing the port id.
  ~EthdevPort() override;

  uint16_t RxBurst(rte_mbuf** pkts, uint16_t n) override;
  void TxBurstOrDrop(rte_mbuf** pkts, uint16_t n) override;
  PortStats stats() const override;
  LinkState link() const override;
  rte_ring* ring_to_switch() const override { return rx_ring_; }
  rte_ring* ring_from_switch() const override { return tx_ring_; }

 private:
  EthdevPort(std::string name, std::string type) : Port(std::move(name), std::move(type)) {}
  static absl::StatusOr<std::unique_ptr<Port>> OpenOnce(const PortSpec& spec, rte_mempool* pool);
  absl::Status Probe(const PortSpec& spec);
  absl::Status ConfigureAndStart(rte_mempool* pool);

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
