// SegmentTunnels: the VXLAN side of secondary L2 networks configured with a `vni`. For every
// segment (bridge, VNI) with a member on this node, the bridge gets one vxlan port per remote
// node (options remote_ip=<its InternalIP>, key=<VNI>, local_ip=<this node>), so NORMAL floods
// broadcast and unknown unicast to every remote VTEP (head-end replication) and learns remote
// MACs on the port of their VTEP; podswitchd never floods from one tunnel port to another, so
// the full mesh does not loop. A segment whose last local member left loses its tunnel ports;
// frames other nodes still flood to it find no port for the VNI and are dropped there.
//
// Which remote nodes a segment reaches: where the cluster says who has members (Multus's
// NetworkAttachmentDefinitions and pods' networks annotations, segment_members.h), only
// those nodes; where it does not, every node.
//
// Follows the ClusterStore's Nodes, Pods and NetworkAttachmentDefinitions and the segments the
// caller reports (Wake after a change),
// and compares everything with podswitchd every resync interval, so ports lost, left behind
// or changed by someone else are put right.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/cluster/cluster_store.h"
#include "agent/l2net/segment_members.h"
#include "agent/switch/switch_client.h"
#include "podswitch/switchd/v1/switchd.pb.h"

namespace podswitch::agent::l2net {

// One L2 segment stretched over VXLAN: a bridge of this node and its VNI.
struct Segment {
  std::string bridge;
  uint32_t vni = 0;
  friend auto operator<=>(const Segment&, const Segment&) = default;
};

struct SegmentTunnelOptions {
  std::string node_name;  // this node: its own Node gets no tunnel
  std::string local_ip;   // this node's VTEP address
  uint16_t dst_port = 4789;
  absl::Duration resync_interval = absl::Seconds(10);
  absl::Duration retry_interval = absl::Seconds(1);
};

// The name of the tunnel port of `vni` to `remote_ip`: "pvx" and 12 hex digits of a stable
// hash of both (switch port names hold 15 characters). The prefix marks ports this class owns.
std::string SegmentTunnelPortName(uint32_t vni, const std::string& remote_ip);
inline constexpr char kSegmentTunnelPrefix[] = "pvx";

// The tunnel ports `segment` needs on its bridge, by name, for `remotes` (node name -> IPv4
// InternalIP). Pure, for tests and for the comparison with podswitchd.
std::map<std::string, switchd::v1::Port> SegmentTunnelPorts(
    const Segment& segment, const std::map<std::string, std::string>& remotes,
    const SegmentTunnelOptions& options);

class SegmentTunnels {
 public:
  // The segments with local members right now (read on every pass).
  using SegmentSource = std::function<std::set<Segment>()>;

  // INVALID_ARGUMENT for a local IP that is not IPv4 or a zero port.
  static absl::StatusOr<std::unique_ptr<SegmentTunnels>> Create(SegmentTunnelOptions options,
                                                                SwitchClient* switch_client,
                                                                SegmentSource segments);
  ~SegmentTunnels();
  SegmentTunnels(const SegmentTunnels&) = delete;
  SegmentTunnels& operator=(const SegmentTunnels&) = delete;

  // Follows `store`'s Nodes and starts the thread. `store` must outlive Stop().
  void Start(cluster::ClusterStore* store);
  // Unsubscribes and joins the thread; the ports stay in podswitchd for the next agent.
  void Stop();
  // The segments changed (an attachment came or went), or podswitchd came back: apply now.
  void Wake();
  // The remote VTEPs by node name.
  std::map<std::string, std::string> Remotes() const;

 private:
  SegmentTunnels(SegmentTunnelOptions options, SwitchClient* switch_client, SegmentSource segments);
  void OnClusterEvent(const cluster::ClusterEvent& event);
  void Run();
  bool WorkPending() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Makes every bridge's tunnel ports what the segments and remotes ask for.
  absl::Status Apply(const std::map<std::string, std::string>& remotes);
  absl::Status ApplyBridge(const std::string& bridge,
                           const std::map<std::string, switchd::v1::Port>& want);

  const SegmentTunnelOptions options_;
  SwitchClient* const switch_;
  const SegmentSource segments_;
  cluster::ClusterStore* store_ = nullptr;
  uint64_t subscription_ = 0;
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::map<std::string, std::string> remotes_ ABSL_GUARDED_BY(mu_);
  bool wake_ ABSL_GUARDED_BY(mu_) = true;
  bool membership_changed_ ABSL_GUARDED_BY(mu_) = true;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // The thread's own: bridges that had tunnel ports, so a segment gone empty loses them, and
  // the membership last computed from the store.
  std::set<std::string> managed_bridges_;
  SegmentMembership membership_;
};

}  // namespace podswitch::agent::l2net
