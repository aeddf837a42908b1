// What podswitchctl prints for the agent's verbs (`pod list`, `ipam show`): aligned text
// tables for people, JSON (`--format json`) for scripts. Pure functions of the API replies.
#ifndef PODSWITCH_CTL_AGENT_OUTPUT_H_
#define PODSWITCH_CTL_AGENT_OUTPUT_H_

#include <string>

#include "nlohmann/json.hpp"
#include "podswitch/agent/v1/agent.pb.h"

namespace podswitch::ctl {

namespace agentapi = ::podswitch::agent::v1;

// The pods attached on this node as a table (NAMESPACE NAME IP MAC PORT TYPE LINK CONTAINER),
// one row per pod sorted by namespace, name and interface; the header alone when none.
std::string FormatPodList(const agentapi::ListPodsResponse& pods);

// The pods as a JSON array of objects with every PodAttachment field, in the table's order.
nlohmann::json PodListToJson(const agentapi::ListPodsResponse& pods);

// The node's address pool: CIDR, gateway, capacity, allocated (with the share used), and a
// table of the allocations sorted by address.
std::string FormatIpam(const agentapi::ShowIpamResponse& ipam);

// The pool as a JSON object: pod_cidr, gateway, capacity, allocated, free and allocations
// (sorted by address, each with ip, container_id, ifname, pod_namespace and pod_name).
nlohmann::json IpamToJson(const agentapi::ShowIpamResponse& ipam);

}  // namespace podswitch::ctl

#endif  // PODSWITCH_CTL_AGENT_OUTPUT_H_
