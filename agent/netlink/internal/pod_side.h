// The in-namespace halves of pod wiring. Each function must run on a thread that is inside
// the pod's network namespace (RunInNetns), because it opens its sockets there.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "agent/netlink/pod_wiring.h"

namespace podswitch::agent::netlink::internal {

// Switches tx checksum offload and TSO off, adds the address, brings the interface up and adds
// the default route. Errors name the step, the objects and config.netns_path.
absl::Status ConfigurePodSide(const PodInterfaceConfig& config);

// Compares the interface with `config`; see CheckPodInterface.
absl::Status CheckPodSide(const PodInterfaceConfig& config);

// Deletes `ifname` when it is still there and is a veth; OK when it is gone.
absl::Status DeletePodSideVeth(const std::string& ifname, const std::string& netns_path);

}  // namespace podswitch::agent::netlink::internal
