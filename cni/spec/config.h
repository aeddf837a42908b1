// The network configuration a runtime passes on stdin: one plugin entry of a conflist, with
// the fields the runtime injects (name, cniVersion, prevResult, runtimeConfig, args).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cni/spec/interface_type.h"
#include "cni/spec/result.h"
#include "nlohmann/json.hpp"

namespace podswitch::cni {

// Where podswitch-agent serves the CNI service unless the config's agentSocket says otherwise.
inline constexpr std::string_view kDefaultAgentSocket = "/run/podswitch/agent.sock";

// One runtimeConfig.portMappings entry (capability "portMappings"); containerd spells the
// keys HostPort/ContainerPort/Protocol/HostIP, the spec hostPort/containerPort/...
struct PortMapping {
  int host_port = 0;
  int container_port = 0;
  std::string protocol = "tcp";
  std::string host_ip;
  bool operator==(const PortMapping&) const = default;
};

// The capabilities Podswitch reads from runtimeConfig; `raw` keeps the whole object so the
// agent can read capabilities this struct does not know yet.
struct RuntimeConfig {
  std::vector<PortMapping> port_mappings;
  std::optional<InterfaceType> interface_type;  // runtimeConfig.interfaceType
  std::string mac;                              // capability "mac"
  std::vector<std::string> ips;                 // capability "ips"
  nlohmann::json raw = nlohmann::json::object();
};

// One live attachment named by GC's cni.dev/valid-attachments.
struct Attachment {
  std::string container_id;
  std::string ifname;
  bool operator==(const Attachment&) const = default;
};

// A secondary L2 network, configured as ovs-cni does for Multus: the pod's interface goes on
// `bridge` as an access port of `vlan`, a trunk of `trunks`, or untagged; with `vni` the
// bridge's L2 segment is stretched over VXLAN to the other nodes (flood and learn). Addresses
// come from ipam.subnet, or the interface has none; ipam.rangeStart/rangeEnd (host-local's
// names) give each node its own slice of a subnet that several nodes share.
struct L2Network {
  std::string bridge;
  std::optional<uint16_t> vlan;  // "vlan": 0..4094
  std::vector<uint16_t> trunks;  // "trunk": [{"id": N} | {"minID": A, "maxID": B}], sorted
  std::optional<uint32_t> vni;   // "vni": 1..16777215
  std::string subnet;            // "ipam": {"subnet": "A.B.C.D/N"}; empty: no address
  std::string range_start;       // "ipam": {"rangeStart": "A.B.C.D"}; empty: the subnet's start
  std::string range_end;         // "ipam": {"rangeEnd": "A.B.C.D"}; empty: the subnet's end
  bool operator==(const L2Network&) const = default;
};

// A parsed, validated Podswitch network configuration.
struct NetworkConfig {
  std::string cni_version;
  std::string name;
  std::string type;
  std::string agent_socket = std::string(kDefaultAgentSocket);
  std::optional<int> timeout_seconds;  // deadline of a call to the agent
  std::optional<int> mtu;
  std::optional<InterfaceType> interface_type;
  nlohmann::json ipam = nlohmann::json::object();  // Podswitch's own IPAM options, raw
  Dns dns;
  std::optional<Result> prev_result;
  RuntimeConfig runtime_config;
  nlohmann::json args = nlohmann::json::object();  // the config's "args" (args.cni...), raw
  std::optional<std::vector<Attachment>> valid_attachments;  // GC only
  std::optional<L2Network> l2;  // set when the config names a "bridge": a secondary network
};

// Parses the stdin config. Errors: 6 when it is not JSON (or not an object), 7 for a missing
// name/type/cniVersion or a field of the wrong type (naming the field), 1 for a cniVersion we
// do not support, 2 for an ipam section meant for another IPAM plugin.
absl::StatusOr<NetworkConfig> ParseNetworkConfig(std::string_view text);

// The config's cniVersion if it can be read at all, else empty: errors are reported in it.
std::string PeekCniVersion(std::string_view text);

}  // namespace podswitch::cni
