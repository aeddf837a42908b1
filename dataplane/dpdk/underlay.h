// Underlay lookups for VXLAN tunnel ports: which kernel interface carries a tunnel's local
// address (the uplink the encapsulated frames leave by), and which Ethernet address a frame
// for a remote VTEP goes to. Both ask the kernel of the calling thread's network namespace
// over rtnetlink, so the switch follows the node's own addresses, routes and ARP table
// instead of keeping copies of them.
//
// Each call opens, uses and closes its own NETLINK_ROUTE socket and gives up when the kernel
// does not answer within a second: meant for a control thread asking about once a second,
// never for the packet path. No state is kept between calls.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "dataplane/core/packet/flow_key.h"

namespace podswitch::dpdk {

// The kernel interface that holds a tunnel's local address: its MAC is the outer source of
// encapsulated frames, its MTU bounds them.
struct UplinkInterface {
  std::string name;
  int ifindex = 0;
  core::MacAddr mac{};
  uint32_t mtu = 0;
};

// The kernel interface that has IPv4 address `local_ip` (host order); NOT_FOUND naming the
// address when none has it, FAILED_PRECONDITION when the interface has no Ethernet address.
absl::StatusOr<UplinkInterface> FindUplink(uint32_t local_ip);

// The next hop's Ethernet address for frames to `remote_ip` (host order) leaving through
// `uplink_ifindex`: the MAC of the route's gateway, or of remote_ip itself when it is
// on-link, from the kernel's neighbour table.
// NOT_FOUND when there is no route to remote_ip; FAILED_PRECONDITION naming both interfaces
// when the route leaves by another interface (or is not a unicast route); UNAVAILABLE when
// the neighbour entry is missing or unresolved: the kernel has then been asked to resolve it
// (ARP), so call again later. A STALE entry's MAC is returned and the kernel asked to
// re-confirm it, as it would if its own traffic used the entry.
absl::StatusOr<core::MacAddr> LookupNextHopMac(uint32_t remote_ip, int uplink_ifindex);

}  // namespace podswitch::dpdk
