#include "agent/podnet/pod_flows.h"

#include "absl/strings/str_cat.h"
#include "common/stable_hash.h"

namespace podswitch::agent {

uint64_t PodFlowCookie(const std::string& port) {
  // Never kBaseFlowCookie.
  return (StableHash(port) & 0x00ffffffffffffffull) | 0x0100000000000000ull;
}

std::vector<std::string> BaseFlows(const NodeNetwork& node) {
  std::string cookie = absl::StrCat("cookie=0x", absl::Hex(kBaseFlowCookie), ",");
  return {
      absl::StrCat(cookie, "table=0,priority=0,actions=drop"),
      absl::StrCat(cookie, "table=0,priority=100,in_port=", kGatewayPort, ",actions=goto_table:10"),
      absl::StrCat(cookie, "table=10,priority=200,arp,arp_tpa=", node.gateway_ip,
                   ",actions=output:", kGatewayPort),
      absl::StrCat(cookie, "table=10,priority=10,ip,actions=output:", kGatewayPort),
      absl::StrCat(cookie, "table=10,priority=0,actions=drop"),
  };
}

std::vector<std::string> PodFlows(const NodeNetwork& node, const PodAttachmentFlowsInput& pod) {
  std::string cookie = absl::StrCat("cookie=0x", absl::Hex(PodFlowCookie(pod.port)), ",");
  const std::string& port = pod.port;
  return {
      absl::StrCat(cookie, "table=0,priority=200,in_port=", port, ",dl_src=", pod.mac,
                   ",ip,nw_src=", pod.ip, ",actions=goto_table:10"),
      absl::StrCat(cookie, "table=0,priority=200,in_port=", port, ",dl_src=", pod.mac,
                   ",arp,arp_spa=", pod.ip, ",arp_sha=", pod.mac, ",actions=goto_table:10"),
      absl::StrCat(cookie, "table=0,priority=190,in_port=", port, ",actions=drop"),
      absl::StrCat(cookie, "table=10,priority=200,arp,arp_tpa=", pod.ip, ",actions=output:", port),
      absl::StrCat(cookie, "table=10,priority=200,ip,nw_dst=", pod.ip, ",actions=mod_dl_src:",
                   node.gateway_mac, ",mod_dl_dst:", pod.mac, ",output:", port),
  };
}

}  // namespace podswitch::agent
