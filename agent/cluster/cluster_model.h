// The agent's view of Kubernetes objects: plain structs holding only the fields Podswitch
// uses, filled alike by the standalone directory and (later) the API server watcher.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nlohmann/json.hpp"

namespace podswitch::agent::cluster {

// The kinds of object the agent watches; anything else in a source is ignored.
enum class ObjectKind {
  kNode,
  kNamespace,
  kPod,
  kNetworkPolicy,
  kClusterNetworkPolicy,
  kNetworkAttachmentDefinition,
};

// The Kubernetes name of a kind ("Node", "ClusterNetworkPolicy"), for messages and logs.
std::string_view KindName(ObjectKind kind);

// True for kinds that live in a namespace (Pod, NetworkPolicy, NetworkAttachmentDefinition),
// which changes their key.
bool IsNamespaced(ObjectKind kind);

// metadata of any object: identity, labels for selectors, annotations for per-pod options.
struct ObjectMeta {
  std::string name;
  std::string namespace_;  // Empty for cluster-scoped kinds.
  std::string uid;
  std::string resource_version;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;

  bool operator==(const ObjectMeta&) const = default;
};

// A node: where its pods' addresses come from and where to tunnel them (overlay).
struct Node {
  ObjectMeta meta;
  // spec.podCIDR followed by the other entries of spec.podCIDRs, canonical "a.b.c.d/n".
  std::vector<std::string> pod_cidrs;
  // The first IPv4 InternalIP of status.addresses (else the first InternalIP); "" if none.
  std::string internal_ip;
  // Every InternalIP of status.addresses, in order (dual-stack underlays).
  std::vector<std::string> internal_ips;

  bool operator==(const Node&) const = default;
};

// A namespace: its labels feed NetworkPolicy namespaceSelectors.
struct Namespace {
  ObjectMeta meta;

  bool operator==(const Namespace&) const = default;
};

// A named container port, so NetworkPolicy can resolve `port: http` per pod.
struct ContainerPort {
  std::string name;
  int32_t container_port = 0;
  std::string protocol = "TCP";  // TCP, UDP or SCTP.

  bool operator==(const ContainerPort&) const = default;
};

// A pod: its labels select it in policies; node and IPs place it in the network.
struct Pod {
  ObjectMeta meta;
  std::string node_name;  // spec.nodeName; "" while unscheduled.
  bool host_network = false;
  std::vector<std::string> pod_ips;        // status.podIPs (or status.podIP).
  std::vector<ContainerPort> named_ports;  // Ports of spec.containers that have a name.
  std::string phase;                       // status.phase, e.g. "Running"; "" if unknown.

  bool operator==(const Pod&) const = default;
};

// A networking.k8s.io/v1 NetworkPolicy, kept whole until the policy compiler parses it.
struct NetworkPolicy {
  ObjectMeta meta;
  nlohmann::json raw;  // The whole object as written.

  bool operator==(const NetworkPolicy&) const = default;
};

// An Antrea-style (crd.antrea.io) ClusterNetworkPolicy, kept whole for the policy compiler.
struct ClusterNetworkPolicy {
  ObjectMeta meta;
  nlohmann::json raw;  // The whole object as written.

  bool operator==(const ClusterNetworkPolicy&) const = default;
};

// A Multus NetworkAttachmentDefinition (k8s.cni.cncf.io/v1): a secondary network that pods
// name in their k8s.v1.cni.cncf.io/networks annotation. Its CNI config tells which bridge and
// VNI the network uses, so the agent knows which nodes have members of a VXLAN segment.
struct NetworkAttachmentDefinition {
  ObjectMeta meta;
  std::string config;  // spec.config, the network's CNI config as JSON text ("" if not given)

  bool operator==(const NetworkAttachmentDefinition&) const = default;
};

// The annotation in which a pod names its secondary networks (Multus).
inline constexpr char kNetworksAnnotation[] = "k8s.v1.cni.cncf.io/networks";

// Any object the agent knows; the alternative's index follows ObjectKind.
using ClusterObject = std::variant<Node, Namespace, Pod, NetworkPolicy, ClusterNetworkPolicy,
                                   NetworkAttachmentDefinition>;

// The identity of an object in the store: kind, namespace ("" if cluster-scoped) and name.
struct ObjectKey {
  ObjectKind kind = ObjectKind::kNode;
  std::string namespace_;
  std::string name;

  auto operator<=>(const ObjectKey&) const = default;
  bool operator==(const ObjectKey&) const = default;
  // "Pod x/a" or "Node node-1", the way messages name an object.
  std::string ToString() const;
};

// The kind of an object, without a visit at every call site.
ObjectKind KindOf(const ClusterObject& object);

// The metadata of an object, whatever its kind.
const ObjectMeta& MetaOf(const ClusterObject& object);

// The store key of an object.
ObjectKey KeyOf(const ClusterObject& object);

}  // namespace podswitch::agent::cluster
