// VxlanFilter: the classic BPF program a VXLAN tunnel port attaches to its uplink socket, so
// the kernel hands the port only the datagrams that can be its own and the uplink's other
// traffic never reaches the port's ring. Built from the port's options alone, so it is a pure
// function a test can attach to any socket.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "dataplane/core/tunnel/vxlan_options.h"

namespace podswitch::dpdk {

// A classic BPF program accepting only untagged, unfragmented IPv4 UDP to
// options.local_ip:options.dst_port; from options.remote_ip when the port has one; and,
// when the port has a fixed key, VXLAN with the I flag and exactly that VNI, so ports to the
// same remote with different keys do not take (and count) each other's traffic.
std::vector<sock_filter> VxlanFilter(const core::VxlanPortOptions& options);

}  // namespace podswitch::dpdk
