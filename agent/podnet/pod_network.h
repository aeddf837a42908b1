// PodNetwork: what the CNI verbs do on this node. ADD gives a pod an IP (IPAM), its
// interface (a veth via netlink, or a vhost-user socket), a port on br-int and the flows
// that admit and deliver its traffic; DEL undoes all of it from names alone, so it works
// after an agent crash or restart; CHECK, GC and STATUS as the CNI spec defines them.
// Operations on one container are serialised; different containers run in parallel.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/ipam/ipam.h"
#include "agent/podnet/pod_flows.h"
#include "agent/switch/switch_client.h"
#include "cni/spec/invocation.h"
#include "cni/spec/result.h"
#include "common/keyed_mutex.h"

namespace podswitch::agent {

struct PodNetworkOptions {
  ipam::Cidr pod_cidr;
  int mtu = 1450;                                  // pods' MTU (uplink MTU - 50)
  std::string pod_port_type = "afxdp";             // how podswitchd attaches pod veths
  std::string vhost_dir = "/run/podswitch/vhost";  // per-pod vhost-user socket folders
};

// One pod attachment as `pod list` shows it.
struct PodRecord {
  ipam::Allocation allocation;
  std::string port;
  std::string mac;
  std::string interface_type;  // veth, vhostuser
  std::string link_state;      // from podswitchd
};

class PodNetwork {
 public:
  PodNetwork(PodNetworkOptions options, ipam::Ipam* ipam, SwitchClient* switch_client);

  // Creates br-int, the gateway tap with the first IP of the pod CIDR, and the base flows.
  // Idempotent; the agent calls it at start and whenever podswitchd was unreachable.
  absl::Status EnsureNode();
  // True while the node is set up and its gateway is still the interface EnsureNode configured.
  // podswitchd's tap dies with it: a restarted podswitchd makes a new, blank podswitch0 (no
  // address, random MAC), so a changed ifindex means "set the node up again"; this marks the
  // node not ready, and the next ADD, STATUS or the agent's watch loop re-runs EnsureNode.
  bool NodeIntact();
  // Releases IPs whose pod is gone and removes pod ports whose IP is no longer allocated
  // (left by a crash in the middle of ADD or DEL).
  absl::Status Reconcile();

  absl::StatusOr<cni::Result> Add(const cni::CniInvocation& invocation);
  absl::Status Del(const cni::CniInvocation& invocation);
  absl::Status Check(const cni::CniInvocation& invocation);
  absl::Status Gc(const cni::CniInvocation& invocation);
  absl::Status Status();

  std::vector<PodRecord> ListPods();
  const NodeNetwork& node() const { return node_; }

 private:
  absl::StatusOr<cni::Result> AddLocked(const cni::CniInvocation& invocation);
  // Removes everything a pod attachment may have left, tolerating parts already gone.
  absl::Status Teardown(const std::string& container_id, const std::string& ifname,
                        const std::string& netns);

  PodNetworkOptions options_;
  ipam::Ipam* ipam_;
  SwitchClient* switch_;
  NodeNetwork node_;
  KeyedMutex container_locks_;
  absl::Mutex node_mu_;
  bool node_ready_ ABSL_GUARDED_BY(node_mu_) = false;
  unsigned gateway_ifindex_ ABSL_GUARDED_BY(node_mu_) = 0;  // podswitch0 as EnsureNode set it up
};

}  // namespace podswitch::agent
