// SecondaryNetworks: what the CNI verbs do for a network config that names a `bridge` (a
// Multus secondary network, spelled as ovs-cni spells it). ADD gives the pod a veth whose host
// end is an access port of `vlan`, a trunk of `trunk`, or an untagged port on that bridge;
// the bridge switches with NORMAL (a bridge without flows gets priority=0,actions=NORMAL).
// With `vni`, the bridge's segment is stretched over VXLAN to every other node
// (SegmentTunnels); with ipam.subnet the interface gets an address from a per-network pool
// (rangeStart/rangeEnd: this node's slice), else none; never a default route.
//
// Everything an attachment made is found again from the attachment store and from names, so
// DEL, CHECK and GC work after an agent restart. Operations on one container are serialised.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/ipam/ipam.h"
#include "agent/l2net/attachment_store.h"
#include "agent/l2net/segment_tunnels.h"
#include "agent/switch/switch_client.h"
#include "cni/spec/invocation.h"
#include "cni/spec/result.h"
#include "common/keyed_mutex.h"

namespace podswitch::agent::l2net {

struct SecondaryNetworkOptions {
  std::string state_dir;               // attachments and per-network pools live below it
  std::string port_type = "afpacket";  // how podswitchd attaches the host veths
  int vxlan_mtu = 1450;                // default MTU on a network with a vni (uplink MTU - 50)
  int vlan_mtu = 1500;                 // default MTU on other secondary networks
};

// One secondary attachment as `pod list` shows it.
struct L2AttachmentRecord {
  L2Attachment attachment;
  std::string port;  // the switch port: the host veth, named from container id and ifname
  std::string ip;    // "a.b.c.d", or empty
  std::string mac;
  std::string link_state;  // from podswitchd
};

class SecondaryNetworks {
 public:
  // Opens the attachment store under options.state_dir. `tunnels` (may be null: this node has
  // no VXLAN endpoint, and networks with a vni are refused) must outlive this object.
  static absl::StatusOr<std::unique_ptr<SecondaryNetworks>> Open(SecondaryNetworkOptions options,
                                                                 SwitchClient* switch_client,
                                                                 SegmentTunnels* tunnels);

  absl::StatusOr<cni::Result> Add(const cni::CniInvocation& invocation);
  absl::Status Del(const cni::CniInvocation& invocation);
  absl::Status Check(const cni::CniInvocation& invocation);
  // Tears down the attachments of the config's network that valid-attachments does not name.
  absl::Status Gc(const cni::CniInvocation& invocation);

  // Forgets attachments whose port and host veth are both gone (a reboot, or an ADD cut short
  // before anything was built), releasing their addresses; the agent runs it at start.
  absl::Status Reconcile();

  // The segments with a member here, for SegmentTunnels.
  std::set<Segment> Segments() const;
  std::vector<L2AttachmentRecord> List();

 private:
  // Which addresses a network hands out (ipam.subnet/rangeStart/rangeEnd; no subnet: none).
  struct PoolSpec {
    std::string subnet, range_start, range_end;
    bool operator==(const PoolSpec&) const = default;
  };
  // A network's address pool, opened on first use and reopened when its spec changes.
  struct Pool {
    PoolSpec spec;
    std::unique_ptr<ipam::Ipam> ipam;
  };
  static PoolSpec SpecOf(const cni::L2Network& l2) {
    return {l2.subnet, l2.range_start, l2.range_end};
  }
  static PoolSpec SpecOf(const L2Attachment& a) { return {a.subnet, a.range_start, a.range_end}; }

  SecondaryNetworks(SecondaryNetworkOptions options, SwitchClient* switch_client,
                    SegmentTunnels* tunnels, std::unique_ptr<AttachmentStore> store);
  absl::StatusOr<cni::Result> AddLocked(const cni::CniInvocation& invocation);
  // The pool of `network` as `spec` describes it (nullptr: the network has no ipam.subnet).
  absl::StatusOr<ipam::Ipam*> PoolFor(const std::string& network, const PoolSpec& spec);
  // Refuses a bridge that already carries another VNI (or none) for another network, and a
  // VNI another bridge already carries.
  absl::Status CheckBridgeUse(const std::string& network, const cni::L2Network& l2) const;
  absl::Status EnsureBridge(const std::string& bridge);
  // Removes the attachment's port, veth, address and record, tolerating parts already gone.
  // The address is released from the pool the record names, else from `fallback`'s (the
  // config at hand).
  absl::Status Teardown(const std::string& container_id, const std::string& ifname,
                        const std::string& netns, const std::string& network,
                        const PoolSpec& fallback);

  const SecondaryNetworkOptions options_;
  SwitchClient* const switch_;
  SegmentTunnels* const tunnels_;
  const std::unique_ptr<AttachmentStore> store_;
  KeyedMutex container_locks_;
  absl::Mutex pools_mu_;
  std::map<std::string, Pool> pools_ ABSL_GUARDED_BY(pools_mu_);  // by network name
};

}  // namespace podswitch::agent::l2net
