// The flows of the routed pod network on br-int, as ovs-ofctl flow text:
//   table 0   classify + spoof guard: a pod may send only with its own MAC and IP;
//             the gateway (host stack) is trusted.
//   table 10  L3 forwarding: to a local pod (MACs rewritten as a router would), ARP to the
//             pod or the gateway, everything else out through the gateway to the host.
// Each pod's flows carry one cookie, so DEL removes them with one cookie-masked delete.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace podswitch::agent {

inline constexpr char kIntegrationBridge[] = "br-int";
inline constexpr char kGatewayPort[] = "podswitch0";
inline constexpr uint64_t kBaseFlowCookie = 0x1;

// The node-wide addresses the flows are written for.
struct NodeNetwork {
  std::string pod_cidr;     // 10.244.1.0/24
  std::string gateway_ip;   // 10.244.1.1
  std::string gateway_mac;  // MAC of the gateway tap
};

// One pod's attachment as the flows see it.
struct PodAttachmentFlowsInput {
  std::string port;  // switch port name (the host veth, or the vhost-user port)
  std::string ip;
  std::string mac;
};

// The cookie of a pod's flows: derived from the port name, never kBaseFlowCookie.
uint64_t PodFlowCookie(const std::string& port);

// Flows every node has, independent of pods (cookie kBaseFlowCookie).
std::vector<std::string> BaseFlows(const NodeNetwork& node);

// Flows that admit and deliver one pod's traffic (cookie PodFlowCookie(pod.port)).
std::vector<std::string> PodFlows(const NodeNetwork& node, const PodAttachmentFlowsInput& pod);

}  // namespace podswitch::agent
