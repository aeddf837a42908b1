// CNI_ARGS: the runtime's extra `K=V;K=V` arguments (the pod's Kubernetes identity).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cni/spec/interface_type.h"

namespace podswitch::cni {

// The CNI_ARGS keys Podswitch understands. Kubernetes runtimes send the K8S_* ones in an
// order that changes between calls; PODSWITCH_INTERFACE_TYPE lets a pod ask for a vhost-user
// or tap interface instead of a veth.
struct CniArgs {
  bool ignore_unknown = false;
  std::string pod_namespace;                    // K8S_POD_NAMESPACE
  std::string pod_name;                         // K8S_POD_NAME
  std::string pod_infra_container_id;           // K8S_POD_INFRA_CONTAINER_ID
  std::string pod_uid;                          // K8S_POD_UID
  std::optional<InterfaceType> interface_type;  // PODSWITCH_INTERFACE_TYPE
  std::map<std::string, std::string> unknown;   // kept when IgnoreUnknown is set
};

// Parses CNI_ARGS like libcni does (empty segments skipped, the last of a repeated key wins);
// an unknown key is an error (code 4) unless IgnoreUnknown=1 (or true) appears anywhere.
absl::StatusOr<CniArgs> ParseCniArgs(std::string_view text);

}  // namespace podswitch::cni
