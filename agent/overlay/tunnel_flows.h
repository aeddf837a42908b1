// The VXLAN overlay's flows on br-int, as ovs-ofctl flow text, one cookie per remote node:
//   table 10  priority 100: IP to a remote node's podCIDR leaves through tun0, with the
//             node's InternalIP as tun_dst and the cluster's VNI as tun_id;
//   table 0   priority 100: from tun0, only the cluster's VNI, only from a known node's
//             InternalIP, only from that node's podCIDR, enters L3 forwarding (table 10),
//             whose per-pod flows then deliver it.
// Everything here is a pure function of its arguments, so it is unit-tested without a switch.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cluster/cluster_model.h"

namespace podswitch::agent::overlay {

// The tunnel port the agent keeps on br-int.
inline constexpr char kTunnelPort[] = "tun0";
// The port type podswitchd opens for it.
inline constexpr char kTunnelPortType[] = "vxlan";

// The cookies of remote-node flows have this top byte (pod flows have 0x01, the base flows
// cookie 0x1), so one masked dump finds every overlay flow and nothing else.
inline constexpr uint64_t kRemoteNodeCookieTag = 0x0200000000000000ull;
inline constexpr uint64_t kRemoteNodeCookieMask = 0xff00000000000000ull;

// The largest VNI VXLAN carries (24 bits).
inline constexpr uint32_t kMaxVni = 0xffffff;

// A remote node as the tunnel flows see it: where its pods live and where to send them.
struct RemoteNode {
  std::string name;
  std::vector<std::string> pod_cidrs;  // IPv4 podCIDRs, canonical "a.b.c.d/n"
  std::string internal_ip;             // IPv4 InternalIP: the VTEP to tunnel to

  bool operator==(const RemoteNode&) const = default;
};

// The cookie of one remote node's flows: a hash of its name with kRemoteNodeCookieTag as top
// byte, so it never collides with a pod's or the base flows' cookie.
uint64_t RemoteNodeFlowCookie(std::string_view node_name);

// The dump/delete filter that selects every overlay flow ("cookie=0x2.../0xff...").
std::string RemoteNodeCookieFilter();

// What `node` contributes to the overlay seen from node `local_node_name`: nullopt for the
// local node itself, and for a node without an IPv4 InternalIP or without an IPv4 podCIDR
// (it has nowhere to tunnel to, or nothing to route). IPv6 podCIDRs are left out.
std::optional<RemoteNode> RemoteNodeFromNode(const cluster::Node& node,
                                             std::string_view local_node_name);

// The flows that route to and admit from one remote node (cookie RemoteNodeFlowCookie):
// two per podCIDR, in the order of `node.pod_cidrs`.
std::vector<std::string> RemoteNodeFlows(const RemoteNode& node, uint32_t vni);

// The options of the tunnel port: this node's VTEP address, remote and key set per flow.
std::map<std::string, std::string> TunnelPortOptions(const std::string& local_ip,
                                                     uint16_t dst_port);

}  // namespace podswitch::agent::overlay
