// Comparing the overlay flows the agent wants with those podswitchd has, cookie by cookie,
// so a periodic resync rewrites only the remote nodes whose flows went missing, changed or
// no longer belong (a node deleted while the agent was down). Pure: the caller dumps.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "podswitch/switchd/v1/switchd.pb.h"

namespace podswitch::agent::overlay {

// What a resync has to do.
struct ResyncPlan {
  // Cookies whose flows podswitchd has but nobody wants any more: delete them.
  std::vector<uint64_t> stale;
  // Cookies whose flows are missing or differ from the wanted ones: delete and add them.
  std::vector<uint64_t> rewrite;

  bool empty() const { return stale.empty() && rewrite.empty(); }
};

// Compares `desired` (flow text by cookie, as RemoteNodeFlows writes it) with `installed`
// (a dump of the overlay's cookies). Both sides are brought to podswitchd's own printing
// (the project's flow parser and printer), so "tun0" and its number `tunnel_ofport`, or
// "0x1" and "1", compare equal. INVALID_ARGUMENT when a desired flow does not parse.
absl::StatusOr<ResyncPlan> PlanResync(const std::map<uint64_t, std::vector<std::string>>& desired,
                                      const std::vector<switchd::v1::Flow>& installed,
                                      uint32_t tunnel_ofport);

// The strict delete filters ("cookie=C/-1,table=T,priority=P,<match>") of the flows in `old`
// that `replacement` no longer has (by table, priority and match), so a changed node's flows
// are updated without a gap: add `replacement` first (podswitchd replaces same-match flows in
// place), then strictly delete these. tun0 is printed as `tunnel_ofport`. INVALID_ARGUMENT when a
// flow does not parse.
absl::StatusOr<std::vector<std::string>> FlowsToRetire(const std::vector<std::string>& old,
                                                       const std::vector<std::string>& replacement,
                                                       uint64_t cookie, uint32_t tunnel_ofport);

}  // namespace podswitch::agent::overlay
