#include "dataplane/core/tunnel/vxlan_demux.h"

namespace podswitch::core {
namespace {

// Whether some datagram fits both matches.
bool Overlap(const VxlanReceiveMatch& a, const VxlanReceiveMatch& b) {
  return (!a.remote_ip || !b.remote_ip || *a.remote_ip == *b.remote_ip) &&
         (!a.key || !b.key || *a.key == *b.key);
}

}  // namespace

int VxlanMatchRank(const VxlanReceiveMatch& match) {
  return (match.key ? 2 : 0) + (match.remote_ip ? 1 : 0);
}

VxlanClaims VxlanClaims::Above(const VxlanReceiveMatch& self,
                               std::span<const VxlanReceiveMatch> others) {
  VxlanClaims claims;
  const int rank = VxlanMatchRank(self);
  for (const VxlanReceiveMatch& other : others) {
    if (VxlanMatchRank(other) <= rank || !Overlap(self, other)) continue;
    if (other.remote_ip && other.key) {
      claims.pairs_.insert(uint64_t{*other.remote_ip} << 32 | *other.key);
    } else if (other.key) {
      claims.keys_.insert(*other.key);
    } else {
      claims.remotes_.insert(*other.remote_ip);
    }
  }
  return claims;
}

std::optional<size_t> VxlanClaimant(std::span<const VxlanReceiveMatch> ports, uint32_t src,
                                    uint32_t vni) {
  std::optional<size_t> best;
  for (size_t i = 0; i < ports.size(); ++i) {
    if (!ports[i].Covers(src, vni)) continue;
    if (!best || VxlanMatchRank(ports[i]) > VxlanMatchRank(ports[*best])) best = i;
  }
  return best;
}

}  // namespace podswitch::core
