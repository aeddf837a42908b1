#include "agent/overlay/tunnel_flows.h"

#include "absl/strings/str_cat.h"
#include "agent/ipam/cidr.h"
#include "common/stable_hash.h"

namespace podswitch::agent::overlay {

uint64_t RemoteNodeFlowCookie(std::string_view node_name) {
  return (StableHash(node_name) & ~kRemoteNodeCookieMask) | kRemoteNodeCookieTag;
}

std::string RemoteNodeCookieFilter() {
  return absl::StrCat("cookie=0x", absl::Hex(kRemoteNodeCookieTag), "/0x",
                      absl::Hex(kRemoteNodeCookieMask));
}

std::optional<RemoteNode> RemoteNodeFromNode(const cluster::Node& node,
                                             std::string_view local_node_name) {
  if (node.meta.name == local_node_name) return std::nullopt;
  RemoteNode remote{.name = node.meta.name};
  // internal_ip is the first IPv4 InternalIP when there is one, else the first of any family.
  if (!ipam::Ipv4Address::Parse(node.internal_ip).ok()) return std::nullopt;
  remote.internal_ip = node.internal_ip;
  for (const std::string& text : node.pod_cidrs) {
    absl::StatusOr<ipam::Cidr> cidr = ipam::Cidr::Parse(text);
    if (cidr.ok()) remote.pod_cidrs.push_back(cidr->ToString());
  }
  if (remote.pod_cidrs.empty()) return std::nullopt;
  return remote;
}

std::vector<std::string> RemoteNodeFlows(const RemoteNode& node, uint32_t vni) {
  std::string cookie = absl::StrCat("cookie=0x", absl::Hex(RemoteNodeFlowCookie(node.name)), ",");
  std::string tun_id = absl::StrCat("0x", absl::Hex(vni));
  std::vector<std::string> flows;
  for (const std::string& cidr : node.pod_cidrs) {
    flows.push_back(absl::StrCat(cookie, "table=10,priority=100,ip,nw_dst=", cidr,
                                 ",actions=set_field:", node.internal_ip,
                                 "->tun_dst,set_field:", tun_id, "->tun_id,output:", kTunnelPort));
    flows.push_back(absl::StrCat(cookie, "table=0,priority=100,in_port=", kTunnelPort,
                                 ",tun_id=", tun_id, ",tun_src=", node.internal_ip,
                                 ",ip,nw_src=", cidr, ",actions=goto_table:10"));
  }
  return flows;
}

std::map<std::string, std::string> TunnelPortOptions(const std::string& local_ip,
                                                     uint16_t dst_port) {
  return {{"local_ip", local_ip},
          {"remote_ip", "flow"},
          {"key", "flow"},
          {"dst_port", absl::StrCat(dst_port)}};
}

}  // namespace podswitch::agent::overlay
