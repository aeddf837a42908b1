#include "dataplane/dpdk/port.h"

#include <net/if.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/dpdk/eal.h"
#include "dataplane/dpdk/ethdev_port.h"
#include "dataplane/dpdk/packet_socket_port.h"
#include "dataplane/dpdk/vxlan_port.h"

namespace podswitch::dpdk {

const std::vector<std::string>& Port::ValidTypes() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> all = EthdevPort::Types();
    all.insert(all.begin() + 1, PacketSocketPort::kType);
    all.push_back(VxlanPort::kType);
    return all;
  }();
  return types;
}

absl::StatusOr<std::unique_ptr<Port>> Port::Open(const PortSpec& spec, rte_mempool* pool) {
  if (!EalRunning()) {
    return absl::FailedPreconditionError(
        absl::StrCat("port '", spec.name, "': DPDK EAL is not started"));
  }
  if (spec.type == PacketSocketPort::kType) return PacketSocketPort::Open(spec, pool);
  if (spec.type == VxlanPort::kType) return VxlanPort::Open(spec, pool);
  const std::vector<std::string>& ethdev = EthdevPort::Types();
  if (std::find(ethdev.begin(), ethdev.end(), spec.type) == ethdev.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("port '", spec.name, "': unknown type '", spec.type,
                     "' (valid types: ", absl::StrJoin(ValidTypes(), ", "), ")"));
  }
  return EthdevPort::Open(spec, pool);
}

absl::Status Port::BindKernelInterface(const std::string& iface) {
  unsigned index = if_nametoindex(iface.c_str());
  if (index == 0) {
    return absl::NotFoundError(absl::StrCat("port '", name_, "' (type ", type_,
                                            "): no such network interface '", iface, "'"));
  }
  iface_ = iface;
  ifindex_ = static_cast<int>(index);
  return absl::OkStatus();
}

bool Port::KernelInterfaceGone() const {
  if (iface_.empty() || ifindex_ == 0) return false;
  return static_cast<int>(if_nametoindex(iface_.c_str())) != ifindex_;
}

}  // namespace podswitch::dpdk
