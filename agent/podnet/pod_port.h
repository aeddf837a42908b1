// The two halves every veth attachment's ADD builds, for the pod network on br-int and for
// secondary networks alike: the veth (kept when a retried ADD finds it complete) and the
// switch port with its flows. Errors come back as CNI errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/netlink/pod_wiring.h"
#include "agent/switch/switch_client.h"
#include "podswitch/switchd/v1/switchd.pb.h"

namespace podswitch::agent {

// Makes the pod's veth for `port` (its name and bridge). On a retried ADD (`retry`) an
// attempt that finished (the veth checks out, the port is up on the bridge) is kept and ""
// returned; a half-made one loses its port (and the flows of `flow_cookie`, if given) and is
// built again. Returns the host end's MAC otherwise.
absl::StatusOr<std::string> WirePodVeth(SwitchClient& switch_client,
                                        const netlink::PodInterfaceConfig& config,
                                        const switchd::v1::Port& port,
                                        std::optional<uint64_t> flow_cookie, bool retry);

// Creates `port` with `flows` in one podswitchd transaction (may_exist: an existing port is
// kept). A port of that name nobody knew about (state lost) refers to a veth just replaced,
// so it is deleted and created again. The port must come up.
absl::StatusOr<switchd::v1::Port> AttachPodPort(SwitchClient& switch_client,
                                                const switchd::v1::Port& port,
                                                const std::vector<std::string>& flows,
                                                std::optional<uint64_t> flow_cookie,
                                                bool may_exist);

}  // namespace podswitch::agent
