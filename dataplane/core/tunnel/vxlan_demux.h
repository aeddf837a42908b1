// Demultiplexing among VXLAN ports that listen on the same local_ip:dst_port, as Open vSwitch
// does it (ofproto/tunnel.c, tnl_find): a datagram belongs to the most specific port whose
// remote_ip and key match it, and to no other. Without this a flow-based port (remote_ip=flow,
// key=flow) would also take, and inject into its bridge, what a port to one remote claims.
//
// Specificity, highest first (OVS tries a fixed key before a fixed remote):
//   remote_ip=R key=K  >  remote_ip=flow key=K  >  remote_ip=R key=flow  >  flow, flow
// Every port gets its own copy of the datagrams (one uplink socket each), so each decides
// alone; VxlanClaims is what one port needs to know about the others to decide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "absl/container/flat_hash_set.h"
#include "dataplane/core/tunnel/vxlan_options.h"

namespace podswitch::core {

// What a port takes on receive: datagrams from remote_ip with VNI key, each nullopt = any.
struct VxlanReceiveMatch {
  std::optional<uint32_t> remote_ip;  // host order; nullopt: remote_ip=flow
  std::optional<uint32_t> key;        // nullopt: key=flow

  // The match of a port with these options.
  static VxlanReceiveMatch Of(const VxlanPortOptions& options) {
    return {.remote_ip = options.remote_ip, .key = options.key};
  }
  // Whether a datagram from `src` with `vni` fits the match (more specific ports aside).
  bool Covers(uint32_t src, uint32_t vni) const {
    return (!remote_ip || *remote_ip == src) && (!key || *key == vni);
  }
  friend bool operator==(const VxlanReceiveMatch&, const VxlanReceiveMatch&) = default;
};

// The rank of a match in the order of the file comment: 3 (both fixed) down to 0 (both flow).
int VxlanMatchRank(const VxlanReceiveMatch& match);

// The datagrams that ports more specific than one port claim from it: immutable once built,
// checked per packet without allocating.
class VxlanClaims {
 public:
  // No claims: the port takes everything it covers.
  VxlanClaims() = default;
  // The claims `others` (the other ports on the same local_ip:dst_port) hold over `self`:
  // those of a higher rank that overlap it. Ports equal to `self` claim nothing (both take).
  static VxlanClaims Above(const VxlanReceiveMatch& self,
                           std::span<const VxlanReceiveMatch> others);

  // Whether a more specific port takes a datagram from `src` with `vni`.
  bool Claimed(uint32_t src, uint32_t vni) const {
    if (empty()) [[likely]]
      return false;
    return pairs_.contains(uint64_t{src} << 32 | vni) || keys_.contains(vni) ||
           remotes_.contains(src);
  }
  bool empty() const { return pairs_.empty() && keys_.empty() && remotes_.empty(); }
  // How many ports' claims this holds, for logs.
  size_t size() const { return pairs_.size() + keys_.size() + remotes_.size(); }

 private:
  absl::flat_hash_set<uint64_t> pairs_;    // remote_ip=R key=K: R << 32 | K
  absl::flat_hash_set<uint32_t> keys_;     // remote_ip=flow key=K
  absl::flat_hash_set<uint32_t> remotes_;  // remote_ip=R key=flow
};

// The index in `ports` of the port a datagram from `src` with `vni` belongs to: the most
// specific one covering it (the first of equals), or nullopt when none does. The reference
// the per-port VxlanClaims agree with.
std::optional<size_t> VxlanClaimant(std::span<const VxlanReceiveMatch> ports, uint32_t src,
                                    uint32_t vni);

}  // namespace podswitch::core
