// The local Node built from agent flags, for a standalone directory that does not describe
// this node (a single-node demo needs only --node-name and a podCIDR).
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "agent/cluster/cluster_model.h"

namespace podswitch::agent::cluster {

// Builds the Node `name` with `pod_cidr` (one CIDR, or two comma-separated for dual-stack;
// may be empty) and `internal_ip` (may be empty); INVALID_ARGUMENT naming the flag when a
// value is malformed, so a typo in a flag stops the agent at startup with a clear message.
// The agent gives it to ClusterStore::SetFallback, so the directory's own Node wins.
absl::StatusOr<Node> NodeFromFlags(std::string_view name, std::string_view pod_cidr,
                                   std::string_view internal_ip);

}  // namespace podswitch::agent::cluster
