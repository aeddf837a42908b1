// Pod wiring: the kernel side of CNI ADD, CHECK and DEL for a veth pod. ADD creates a veth
// pair whose host end (named from the container id) podswitchd attaches to br-int and whose
// pod end becomes CNI_IFNAME inside the pod's network namespace, with the pod's MAC, address,
// MTU and default route via the gateway.
//
// The pod end gets tx checksum offload (and with it TSO) switched off: a veth otherwise hands
// the userspace switch TCP segments whose checksum was left to "hardware", and TCP between
// pods carries nothing while ping works.
//
// Every function is stateless and safe to call from several threads at once; calls for one
// container must be serialised by the caller (the CNI service does).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/ipam/cidr.h"

namespace podswitch::agent::netlink {

// What ADD asks for: where the pod is and the addressing IPAM chose for it. A secondary L2
// network's interface may have no address, and never has the default route.
struct PodInterfaceConfig {
  std::string container_id;                  // CNI_CONTAINERID
  std::string netns_path;                    // CNI_NETNS, e.g. /var/run/netns/NAME
  std::string ifname;                        // CNI_IFNAME, e.g. eth0
  std::optional<ipam::Ipv4Address> ip;       // the pod's address; none: L2 only
  int prefix_len = 24;                       // of the pod CIDR (or the network's subnet)
  std::optional<ipam::Ipv4Address> gateway;  // default route via (the pod CIDR's first address)
  int mtu = 1450;                            // uplink MTU - 50 for VXLAN
};

// What ADD built, for the CNI result (interfaces) and for attaching the host end to br-int.
struct PodInterface {
  std::string host_ifname;  // the host end, e.g. psw0123456789ab
  int host_ifindex = 0;
  std::string host_mac;
  std::string pod_ifname;  // CNI_IFNAME inside the pod
  std::string pod_mac;     // PodMacAddress(ip)
  std::string netns_path;  // the sandbox
};

// The host end's name for a container: "psw" + 12 hex digits of a stable hash (FNV-1a 64) of
// the container id, 15 characters, the kernel's limit. A second interface of the same
// container (ifname other than eth0) hashes "container_id/ifname" so the names differ.
// Stable across restarts and versions, so DEL finds what an earlier agent created.
std::string HostVethName(std::string_view container_id, std::string_view ifname = "eth0");

// The pod's MAC derived from its IPv4 address, 0a:58:<4 address bytes> as in OVN-Kubernetes
// and Antrea: locally administered, unicast, and stable for the address, so peers' ARP caches
// stay right when a pod is recreated with the same IP.
std::array<uint8_t, 6> PodMacBytes(ipam::Ipv4Address ip);
// PodMacBytes as text, "0a:58:0a:f4:01:02".
std::string PodMacAddress(ipam::Ipv4Address ip);
// The MAC the pod end of `config` gets: PodMacAddress of its address, or for an interface
// without one 0a:5a:<4 bytes of a stable hash of container id and ifname>.
std::string PodInterfaceMac(const PodInterfaceConfig& config);

// Builds the pod's interface (see the file comment). All or nothing: when a step fails the
// veth is deleted again and the error names the step, the objects and the errno text, e.g.
// "open netns /var/run/netns/x: No such file or directory". Setup always starts afresh: a
// host veth left by an earlier attempt for the same container (agent killed mid-ADD, or a
// repeated ADD) is deleted first, together with its pod end; a caller wanting ADD to be a
// no-op for a complete interface checks with CheckPodInterface first.
absl::StatusOr<PodInterface> SetupPodInterface(const PodInterfaceConfig& config);

// Removes the pod's interface: deletes the host veth (which deletes its pod end with it), and,
// should a veth named `ifname` still be in the pod's namespace, that one too. Succeeds when
// everything is already gone, when `netns_path` is empty (containerd's later DELs) and when
// the namespace no longer exists, since CNI DEL must succeed when nothing is left to undo.
absl::Status DeletePodInterface(std::string_view container_id, const std::string& netns_path,
                                const std::string& ifname);

// Verifies what SetupPodInterface built (CNI CHECK): NOT_FOUND naming what is missing (host
// veth, interface, address, default route) or FAILED_PRECONDITION naming what differs (MTU,
// MAC, link down, tx checksum offload back on), with the expected and the actual value.
absl::Status CheckPodInterface(const PodInterfaceConfig& config);

}  // namespace podswitch::agent::netlink
