// Which nodes have members of which VXLAN segment, as a cluster describes it with Multus's
// objects: a scheduled pod whose k8s.v1.cni.cncf.io/networks annotation names a
// NetworkAttachmentDefinition whose CNI config has a `vni`. The segment tunnels use it to
// reach only those nodes; for a VNI no NetworkAttachmentDefinition defines (the cluster does
// not say), they reach every node.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cluster/cluster_model.h"

namespace podswitch::agent::l2net {

// One network a pod asks for: the NetworkAttachmentDefinition's namespace and name.
struct NetworkSelection {
  std::string namespace_;
  std::string name;
  friend bool operator==(const NetworkSelection&, const NetworkSelection&) = default;
};

// Reads the annotation as Multus does: "a, ns/b, c@net2" or a JSON list of
// {"name": ..., "namespace": ..., "interface": ...}; the namespace defaults to the pod's.
// Entries it cannot read are skipped.
std::vector<NetworkSelection> ParseNetworksAnnotation(std::string_view value,
                                                      std::string_view pod_namespace);

// The VNI a NetworkAttachmentDefinition's config gives its podswitch network (a plain config
// or the podswitch entry of a conflist), if any.
std::optional<uint32_t> VniOfConfig(std::string_view config);

struct SegmentMembership {
  std::set<uint32_t> defined;                         // VNIs some definition gives
  std::map<uint32_t, std::set<std::string>> members;  // VNI -> nodes with a pod on it

  // The nodes `vni` must reach: those with members when a definition gives the VNI, else
  // nullopt (the cluster does not say: every node).
  std::optional<std::set<std::string>> NodesOf(uint32_t vni) const;
  friend bool operator==(const SegmentMembership&, const SegmentMembership&) = default;
};

// Pods that are not scheduled or have finished are no members.
SegmentMembership ComputeSegmentMembership(
    const std::vector<cluster::Pod>& pods,
    const std::vector<cluster::NetworkAttachmentDefinition>& definitions);

}  // namespace podswitch::agent::l2net
