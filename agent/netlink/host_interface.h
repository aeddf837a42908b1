// The gateway side of the pod network in the host's own namespace: gives the gateway tap
// (created by podswitchd) its fixed MAC, MTU and the first address of the pod CIDR, and
// brings it up, so the host reaches pods and pods reach the host.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "agent/ipam/cidr.h"

namespace podswitch::agent::netlink {

struct HostInterfaceConfig {
  std::string ifname;
  std::string mac;  // "0a:58:..."; empty = keep
  ipam::Ipv4Address ip;
  int prefix_len = 24;
  int mtu = 0;  // 0 = keep
};

// Configures an existing interface of the calling thread's namespace; idempotent (an address
// already present is fine). NOT_FOUND when the interface does not exist (yet).
absl::Status ConfigureHostInterface(const HostInterfaceConfig& config);

}  // namespace podswitch::agent::netlink
