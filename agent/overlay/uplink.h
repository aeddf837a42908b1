// The node's uplink as the agent needs to know it: the kernel interface holding the tunnel's
// local address, whose MTU bounds every encapsulated frame (pods get it minus the VXLAN
// overhead). podswitchd finds the same interface for itself when it opens the tunnel port.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace podswitch::agent::overlay {

// Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14): what a pod's packet grows by.
inline constexpr int kVxlanOverhead = 50;

struct UplinkInterface {
  std::string name;
  int mtu = 0;
};

// The interface of the calling thread's network namespace that has IPv4 address `local_ip`;
// NOT_FOUND naming the address when no interface has it.
absl::StatusOr<UplinkInterface> FindUplink(const std::string& local_ip);

}  // namespace podswitch::agent::overlay
