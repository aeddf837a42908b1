#include "agent/overlay/flow_resync.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "agent/overlay/tunnel_flows.h"
#include "dataplane/core/flow/flow_syntax.h"

namespace podswitch::agent::overlay {
namespace {

// One flow reduced to what decides its behaviour, as podswitchd prints it.
std::string Fingerprint(uint32_t table, int32_t priority, const std::string& match,
                        const std::string& actions) {
  return absl::StrCat(table, " ", priority, " ", match, " ", actions);
}

// The sorted fingerprints of the flows the agent wants under one cookie.
absl::StatusOr<std::vector<std::string>> DesiredFingerprints(const std::vector<std::string>& flows,
                                                             uint32_t tunnel_ofport) {
  core::PortNameResolver ports = [tunnel_ofport](std::string_view name) {
    return name == kTunnelPort ? std::optional<uint32_t>(tunnel_ofport) : std::nullopt;
  };
  std::vector<std::string> fingerprints;
  for (const std::string& text : flows) {
    absl::StatusOr<core::FlowSpec> spec = core::ParseFlow(text, core::FlowTextMode::kAdd, ports);
    if (!spec.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("overlay flow \"", text, "\": ", spec.status().message()));
    }
    fingerprints.push_back(Fingerprint(spec->table, spec->priority, core::FormatMatch(spec->match),
                                       core::FormatActions(spec->actions)));
  }
  std::sort(fingerprints.begin(), fingerprints.end());
  return fingerprints;
}

// "table=T,priority=P,<match>" of a flow the agent writes.
absl::StatusOr<std::string> MatchKey(const std::string& text, uint32_t tunnel_ofport) {
  core::PortNameResolver ports = [tunnel_ofport](std::string_view name) {
    return name == kTunnelPort ? std::optional<uint32_t>(tunnel_ofport) : std::nullopt;
  };
  absl::StatusOr<core::FlowSpec> spec = core::ParseFlow(text, core::FlowTextMode::kAdd, ports);
  if (!spec.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("overlay flow \"", text, "\": ", spec.status().message()));
  }
  return absl::StrCat("table=", spec->table, ",priority=", spec->priority, ",",
                      core::FormatMatch(spec->match));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> FlowsToRetire(const std::vector<std::string>& old,
                                                       const std::vector<std::string>& replacement,
                                                       uint64_t cookie, uint32_t tunnel_ofport) {
  std::set<std::string> kept;
  for (const std::string& text : replacement) {
    absl::StatusOr<std::string> key = MatchKey(text, tunnel_ofport);
    if (!key.ok()) return key.status();
    kept.insert(*key);
  }
  std::vector<std::string> filters;
  for (const std::string& text : old) {
    absl::StatusOr<std::string> key = MatchKey(text, tunnel_ofport);
    if (!key.ok()) return key.status();
    if (kept.contains(*key)) continue;
    filters.push_back(absl::StrCat("cookie=0x", absl::Hex(cookie), "/-1,", *key));
  }
  return filters;
}

absl::StatusOr<ResyncPlan> PlanResync(const std::map<uint64_t, std::vector<std::string>>& desired,
                                      const std::vector<switchd::v1::Flow>& installed,
                                      uint32_t tunnel_ofport) {
  std::map<uint64_t, std::vector<std::string>> have;
  for (const switchd::v1::Flow& flow : installed) {
    have[flow.cookie()].push_back(
        Fingerprint(flow.table(), flow.priority(), flow.match(), flow.actions()));
  }
  ResyncPlan plan;
  for (auto& [cookie, fingerprints] : have) {
    if (!desired.contains(cookie)) plan.stale.push_back(cookie);
    std::sort(fingerprints.begin(), fingerprints.end());
  }
  for (const auto& [cookie, flows] : desired) {
    absl::StatusOr<std::vector<std::string>> want = DesiredFingerprints(flows, tunnel_ofport);
    if (!want.ok()) return want.status();
    auto found = have.find(cookie);
    if (found == have.end() || found->second != *want) plan.rewrite.push_back(cookie);
  }
  return plan;
}

}  // namespace podswitch::agent::overlay
