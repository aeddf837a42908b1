// SwitchController's flow operations: add-flows, mod-flows, del-flows and dump-flows, the
// restore of a bridge's flows, and the rows each persistent flow has in the config database
// (FlowRows): an operation writes the rows of the flows it changes, nothing else.
#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/core/flow/flow_syntax.h"
#include "dataplane/core/pipeline/pipeline.h"
#include "dataplane/switchd/switch_controller.h"
#include "spdlog/spdlog.h"

namespace podswitch::switchd {
namespace {

using dpdk::BridgeContext;

// Flows with timeouts live only in the datapath: they are meant to go away by themselves.
bool IsPersistent(const core::FlowRule& rule) {
  return rule.idle_timeout == 0 && rule.hard_timeout == 0;
}

}  // namespace

absl::Status SwitchController::InstallFlowsFromDb(const std::string& bridge) {
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<config::Flow> flows, db_->ListFlows(bridge));
  std::vector<std::pair<uint64_t, core::FlowSpec>> rows;  // row id, flow
  for (const config::Flow& flow : flows) {
    auto spec = core::ParseFlow(flow.text, core::FlowTextMode::kAdd);
    if (!spec.ok()) {
      spdlog::error("flow {} of {} in the database does not parse, skipped: {}", flow.id, bridge,
                    spec.status().ToString());
      continue;
    }
    rows.emplace_back(flow.id, *std::move(spec));
  }
  auto install = [&](BridgeContext& b) {
    std::vector<bool> installed;
    for (const auto& [id, spec] : rows) {
      absl::Status status = b.pipeline().AddFlow(spec, b.now_ms());
      if (!status.ok()) {
        spdlog::error("flow {} of {} refused by the pipeline: {}", id, bridge, status.ToString());
      }
      installed.push_back(status.ok());
    }
    return installed;
  };
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<bool> installed, datapath_->RunOnBridge(bridge, install));
  // Rows are read in id order, so a later row of the same flow identity replaced an earlier
  // one in the pipeline, as add-flow does; the earlier rows are dropped from the database.
  std::vector<uint64_t> shadowed;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!installed[i]) continue;
    std::optional<uint64_t> earlier =
        flow_rows_.Set(bridge, FlowIdentity::Of(rows[i].second), rows[i].first);
    if (earlier) shadowed.push_back(*earlier);
  }
  if (shadowed.empty()) return absl::OkStatus();
  spdlog::warn("restore: {} flow row(s) of {} replaced by later rows of the same flow; deleting",
               shadowed.size(), bridge);
  return db_->Transact("podswitchd", absl::StrCat("restore ", bridge, ": drop replaced flow rows"),
                       [&](config::ConfigTxn& txn) -> absl::Status {
                         for (uint64_t id : shadowed) {
                           PODSWITCH_RETURN_IF_ERROR(txn.DeleteFlow(id));
                         }
                         return absl::OkStatus();
                       });
}

// Port names in flows (in_port=pod1, output:pod1) resolve against the bridge's ports, read
// one by one as the flow names them (a pod's flows name one port; the bridge may have
// hundreds).
core::PortNameResolver SwitchController::ResolverFor(const std::string& bridge) {
  return [this, bridge](std::string_view name) -> std::optional<uint32_t> {
    absl::StatusOr<config::Port> port = db_->GetPort(name);
    if (!port.ok() || port->bridge != bridge) return std::nullopt;
    return port->ofport;
  };
}

absl::StatusOr<std::vector<core::FlowSpec>> SwitchController::ParseFlowsToAdd(
    const std::string& bridge, const std::vector<std::string>& texts,
    const core::PortNameResolver& resolver) {
  std::vector<core::FlowSpec> specs;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto spec = core::ParseFlow(texts[i], core::FlowTextMode::kAdd, resolver);
    if (!spec.ok()) {
      return absl::InvalidArgumentError(
          texts.size() == 1 ? std::string(spec.status().message())
                            : absl::StrCat("flow ", i + 1, ": ", spec.status().message()));
    }
    spec->match.Normalize();
    specs.push_back(*std::move(spec));
  }
  PODSWITCH_RETURN_IF_ERROR(datapath_->RunOnBridge(bridge, [&](BridgeContext& b) {
    for (size_t i = 0; i < specs.size(); ++i) {
      if (absl::Status status = b.pipeline().CheckFlow(specs[i]); !status.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("flow ", i + 1, ": ", status.message()));
      }
    }
    return absl::OkStatus();
  }));
  return specs;
}

void SwitchController::PlanFlowRows(const std::vector<core::FlowSpec>& specs,
                                    FlowRowChanges& changes) {
  for (const core::FlowSpec& spec : specs) {
    bool persistent = spec.idle_timeout == 0 && spec.hard_timeout == 0;
    changes.Set(FlowIdentity::Of(spec),
                persistent ? std::optional<std::string>(core::FormatFlow(spec)) : std::nullopt);
  }
}

absl::Status SwitchController::InstallFlows(const std::string& bridge,
                                            const std::vector<core::FlowSpec>& specs) {
  if (specs.empty()) return absl::OkStatus();
  return datapath_->RunOnBridge(bridge, [&](BridgeContext& b) {
    for (const core::FlowSpec& spec : specs) {
      PODSWITCH_RETURN_IF_ERROR(b.pipeline().AddFlow(spec, b.now_ms()));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<core::FlowFilter> SwitchController::ParseFlowFilter(const std::string& bridge,
                                                                   const std::string& text,
                                                                   bool strict) {
  PODSWITCH_ASSIGN_OR_RETURN(
      core::FlowSpec spec,
      core::ParseFlow(text, core::FlowTextMode::kMatchOnly, ResolverFor(bridge)));
  return core::FilterFromSpec(spec, strict);
}

absl::Status SwitchController::PlanFlowDeletes(const std::string& bridge,
                                               const core::FlowFilter& filter,
                                               FlowRowChanges& changes) {
  return datapath_->RunOnBridge(bridge, [&](BridgeContext& b) {
    for (const core::FlowRule* rule : b.pipeline().DumpFlows(filter)) {
      if (IsPersistent(*rule)) changes.Set(FlowIdentity::Of(*rule), std::nullopt);
    }
  });
}

absl::StatusOr<size_t> SwitchController::AddFlows(std::string_view client,
                                                  const std::string& bridge,
                                                  const std::vector<std::string>& texts) {
  absl::MutexLock lock(&mu_);
  return AddFlowsLocked(client, bridge, texts);
}

absl::StatusOr<size_t> SwitchController::AddFlowsLocked(std::string_view client,
                                                        const std::string& bridge,
                                                        const std::vector<std::string>& texts) {
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  // All or nothing: every flow is checked before anything changes.
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<core::FlowSpec> specs,
                             ParseFlowsToAdd(bridge, texts, ResolverFor(bridge)));
  FlowRowChanges changes(flow_rows_, bridge);
  PlanFlowRows(specs, changes);
  std::string summary = texts.size() == 1
                            ? absl::StrCat("add-flow ", bridge, " ", texts[0])
                            : absl::StrCat("add-flows ", bridge, " (", texts.size(), " flows)");
  PODSWITCH_RETURN_IF_ERROR(
      db_->Transact(client, summary, [&](config::ConfigTxn& txn) { return changes.Write(txn); }));
  changes.Apply(flow_rows_);
  PODSWITCH_RETURN_IF_ERROR(InstallFlows(bridge, specs));
  return specs.size();
}

absl::StatusOr<size_t> SwitchController::ModifyFlows(std::string_view client,
                                                     const std::string& bridge,
                                                     const std::string& text, bool strict) {
  absl::MutexLock lock(&mu_);
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(
      core::FlowSpec spec, core::ParseFlow(text, core::FlowTextMode::kModify, ResolverFor(bridge)));
  core::FlowFilter filter = core::FilterFromSpec(spec, strict);
  FlowRowChanges changes(flow_rows_, bridge);
  PODSWITCH_RETURN_IF_ERROR(datapath_->RunOnBridge(bridge, [&](BridgeContext& b) {
    for (const core::FlowRule* rule : b.pipeline().DumpFlows(filter)) {
      core::FlowSpec changed = core::SpecFromRule(*rule);
      changed.actions = spec.actions;
      PODSWITCH_RETURN_IF_ERROR(b.pipeline().CheckFlow(changed));
      if (IsPersistent(*rule)) changes.Set(FlowIdentity::Of(*rule), core::FormatFlow(changed));
    }
    return absl::OkStatus();
  }));
  PODSWITCH_RETURN_IF_ERROR(db_->Transact(
      client, absl::StrCat(strict ? "mod-flows --strict " : "mod-flows ", bridge, " ", text),
      [&](config::ConfigTxn& txn) { return changes.Write(txn); }));
  changes.Apply(flow_rows_);
  auto changed = datapath_->RunOnBridge(
      bridge, [&](BridgeContext& b) { return b.pipeline().ModifyFlows(filter, spec.actions); });
  if (!changed.ok()) return changed.status();
  return *changed;
}

absl::StatusOr<size_t> SwitchController::DeleteFlows(std::string_view client,
                                                     const std::string& bridge,
                                                     const std::string& filter_text, bool strict) {
  absl::MutexLock lock(&mu_);
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(core::FlowFilter filter, ParseFlowFilter(bridge, filter_text, strict));
  FlowRowChanges changes(flow_rows_, bridge);
  PODSWITCH_RETURN_IF_ERROR(PlanFlowDeletes(bridge, filter, changes));
  PODSWITCH_RETURN_IF_ERROR(
      db_->Transact(client,
                    absl::StrCat(strict ? "del-flows --strict " : "del-flows ", bridge,
                                 filter_text.empty() ? "" : " ", filter_text),
                    [&](config::ConfigTxn& txn) { return changes.Write(txn); }));
  changes.Apply(flow_rows_);
  return datapath_->RunOnBridge(bridge,
                                [&](BridgeContext& b) { return b.pipeline().DeleteFlows(filter); });
}

absl::StatusOr<std::vector<FlowSnapshot>> SwitchController::DumpFlows(const std::string& bridge,
                                                                      const std::string& filter) {
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(
      core::FlowSpec spec,
      core::ParseFlow(filter, core::FlowTextMode::kMatchOnly, ResolverFor(bridge)));
  core::FlowFilter flow_filter = core::FilterFromSpec(spec, /*strict=*/false);
  return datapath_->RunOnBridge(bridge, [&](BridgeContext& b) {
    std::vector<FlowSnapshot> flows;
    uint64_t now = b.now_ms();
    for (const core::FlowRule* rule : b.pipeline().DumpFlows(flow_filter)) {
      flows.push_back(FlowSnapshot{
          .table = rule->table,
          .priority = rule->priority,
          .cookie = rule->cookie,
          .match = core::FormatMatch(rule->match),
          .actions = core::FormatActions(rule->actions),
          .text = core::FormatFlow(core::SpecFromRule(*rule)),
          .n_packets = rule->n_packets,
          .n_bytes = rule->n_bytes,
          .duration_sec = (now - std::min(now, rule->created_ms)) / 1000.0,
          .idle_age_sec = (now - std::min(now, rule->last_used_ms)) / 1000.0,
          .idle_timeout = rule->idle_timeout,
          .hard_timeout = rule->hard_timeout,
      });
    }
    return flows;
  });
}

}  // namespace podswitch::switchd
