#include "dataplane/switchd/switch_controller.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "dataplane/core/flow/flow_syntax.h"
#include "dataplane/core/packet/packet_parser.h"
#include "dataplane/core/pipeline/pipeline.h"
#include "spdlog/spdlog.h"

namespace podswitch::switchd {
namespace {

using dpdk::BridgeContext;

constexpr auto kRetryInterval = std::chrono::seconds(2);

// The VLAN columns of a port as the core's NORMAL understands them.
core::PortVlanConfig VlanConfigOf(const config::Port& port) {
  core::PortVlanConfig vlan;
  vlan.tag = port.tag;
  vlan.trunks = port.trunks;
  if (port.vlan_mode == "access") vlan.mode = core::VlanMode::kAccess;
  if (port.vlan_mode == "trunk") vlan.mode = core::VlanMode::kTrunk;
  if (port.vlan_mode == "native-tagged") vlan.mode = core::VlanMode::kNativeTagged;
  if (port.vlan_mode == "native-untagged") vlan.mode = core::VlanMode::kNativeUntagged;
  return vlan;
}

// Flows with timeouts live only in the datapath: they are meant to go away by themselves.
bool IsPersistent(const core::FlowRule& rule) {
  return rule.idle_timeout == 0 && rule.hard_timeout == 0;
}

std::string Describe(const config::Port& port) {
  std::string text = absl::StrCat("add-port ", port.bridge, " ", port.name, " type=", port.type);
  if (port.tag) absl::StrAppend(&text, " tag=", *port.tag);
  if (!port.trunks.empty()) absl::StrAppend(&text, " trunks=", absl::StrJoin(port.trunks, ","));
  for (const auto& [key, value] : port.options) {
    absl::StrAppend(&text, " options:", key, "=", value);
  }
  return text;
}

}  // namespace

SwitchController::SwitchController(config::ConfigDb* db, dpdk::Datapath* datapath,
                                   rte_mempool* pool)
    : db_(db), datapath_(datapath), pool_(pool) {
  retry_thread_ = std::thread([this] { RetryLoop(); });
}

SwitchController::~SwitchController() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  retry_thread_.join();
}

absl::Status SwitchController::Restore() {
  absl::MutexLock lock(&mu_);
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<config::Bridge> bridges, db_->ListBridges());
  for (const config::Bridge& bridge : bridges) {
    PODSWITCH_RETURN_IF_ERROR(datapath_->AddBridge(bridge.name));
    PODSWITCH_ASSIGN_OR_RETURN(std::vector<config::Port> ports, db_->ListPorts(bridge.name));
    for (const config::Port& port : ports) {
      if (absl::Status status = OpenAndAttach(port); !status.ok()) {
        spdlog::warn("restore: port {} of {}: {}", port.name, bridge.name, status.ToString());
      }
    }
    if (absl::Status status = InstallFlowsFromDb(bridge.name); !status.ok()) {
      spdlog::error("restore: flows of {}: {}", bridge.name, status.ToString());
    }
    spdlog::info("restored bridge {}: {} ports", bridge.name, ports.size());
  }
  return absl::OkStatus();
}

absl::Status SwitchController::InstallFlowsFromDb(const std::string& bridge) {
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<config::Flow> flows, db_->ListFlows(bridge));
  std::vector<core::FlowSpec> specs;
  for (const config::Flow& flow : flows) {
    auto spec = core::ParseFlow(flow.text, core::FlowTextMode::kAdd);
    if (!spec.ok()) {
      spdlog::error("flow {} of {} in the database does not parse, skipped: {}", flow.id, bridge,
                    spec.status().ToString());
      continue;
    }
    specs.push_back(*std::move(spec));
  }
  return datapath_->RunOnBridge(bridge, [&](BridgeContext& b) {
    for (const core::FlowSpec& spec : specs) {
      if (absl::Status status = b.pipeline().AddFlow(spec, b.now_ms()); !status.ok()) {
        spdlog::error("flow of {} refused by the pipeline: {}", bridge, status.ToString());
      }
    }
  });
}

absl::Status SwitchController::OpenAndAttach(const config::Port& port) {
  PortRuntime& runtime = runtime_[port.name];
  if (runtime.attached) return absl::OkStatus();
  if (!port.admin_up) {
    runtime.error = "admin down";
    return absl::OkStatus();
  }
  dpdk::PortSpec spec{port.name, port.type, port.options};
  auto opened = dpdk::Port::Open(spec, pool_);
  if (!opened.ok()) {
    runtime.error = std::string(opened.status().message());
    return opened.status();
  }
  absl::Status attached =
      datapath_->AttachPort(port.bridge, port.ofport, *std::move(opened), VlanConfigOf(port));
  if (!attached.ok()) {
    runtime.error = std::string(attached.message());
    return attached;
  }
  runtime = PortRuntime{.attached = true};
  return absl::OkStatus();
}

void SwitchController::DetachIfAttached(const config::Port& port) {
  auto it = runtime_.find(port.name);
  if (it == runtime_.end()) return;
  if (it->second.attached) {
    auto detached = datapath_->DetachPort(port.bridge, port.ofport);
    if (!detached.ok()) spdlog::warn("detach {}: {}", port.name, detached.status().ToString());
  }
  runtime_.erase(it);
}

absl::Status SwitchController::RequireBridge(const std::string& bridge) {
  auto found = db_->GetBridge(bridge);
  if (!found.ok() && absl::IsNotFound(found.status())) {
    return absl::NotFoundError(absl::StrCat("no bridge named ", bridge));
  }
  return found.status();
}

absl::Status SwitchController::CreateBridge(std::string_view client, const std::string& name,
                                            bool may_exist) {
  absl::MutexLock lock(&mu_);
  if (may_exist && db_->GetBridge(name).ok()) return absl::OkStatus();
  PODSWITCH_RETURN_IF_ERROR(db_->Transact(
      client, absl::StrCat("add-br ", name),
      [&](config::ConfigTxn& txn) { return txn.AddBridge(config::Bridge{.name = name}); }));
  return datapath_->AddBridge(name);
}

absl::Status SwitchController::DeleteBridge(std::string_view client, const std::string& name,
                                            bool if_exists) {
  absl::MutexLock lock(&mu_);
  if (if_exists && !db_->GetBridge(name).ok()) return absl::OkStatus();
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<config::Port> ports, db_->ListPorts(name));
  PODSWITCH_RETURN_IF_ERROR(
      db_->Transact(client, absl::StrCat("del-br ", name),
                    [&](config::ConfigTxn& txn) { return txn.DeleteBridge(name); }));
  for (const config::Port& port : ports) runtime_.erase(port.name);
  return datapath_->DeleteBridge(name);
}

absl::StatusOr<config::Port> SwitchController::CreatePort(std::string_view client,
                                                          config::Port port, bool may_exist) {
  absl::MutexLock lock(&mu_);
  if (may_exist) {
    if (auto existing = db_->GetPort(port.name); existing.ok()) return *existing;
  }
  if (std::find(dpdk::Port::ValidTypes().begin(), dpdk::Port::ValidTypes().end(), port.type) ==
      dpdk::Port::ValidTypes().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("type: \"", port.type, "\" is not a port type this podswitchd supports (",
                     absl::StrJoin(dpdk::Port::ValidTypes(), ", "), ")"));
  }
  PODSWITCH_RETURN_IF_ERROR(
      db_->Transact(client, Describe(port), [&](config::ConfigTxn& txn) -> absl::Status {
        PODSWITCH_ASSIGN_OR_RETURN(port.ofport, txn.AddPort(port));
        return absl::OkStatus();
      }));
  PODSWITCH_ASSIGN_OR_RETURN(config::Port stored, db_->GetPort(port.name));
  if (absl::Status status = OpenAndAttach(stored); !status.ok()) {
    spdlog::warn("port {} added to {} but not attached: {}", stored.name, stored.bridge,
                 status.ToString());
  }
  return stored;
}

absl::Status SwitchController::DeletePort(std::string_view client, const std::string& name,
                                          const std::string& bridge, bool if_exists) {
  absl::MutexLock lock(&mu_);
  auto port = db_->GetPort(name);
  if (!port.ok()) {
    if (if_exists && absl::IsNotFound(port.status())) return absl::OkStatus();
    if (absl::IsNotFound(port.status())) {
      return absl::NotFoundError(absl::StrCat("no port named ", name));
    }
    return port.status();
  }
  if (!bridge.empty() && port->bridge != bridge) {
    return absl::NotFoundError(absl::StrCat("bridge ", bridge, " does not have a port ", name,
                                            " (it is on ", port->bridge, ")"));
  }
  PODSWITCH_RETURN_IF_ERROR(
      db_->Transact(client, absl::StrCat("del-port ", port->bridge, " ", name),
                    [&](config::ConfigTxn& txn) { return txn.DeletePort(name); }));
  DetachIfAttached(*port);
  return absl::OkStatus();
}

absl::StatusOr<config::Port> SwitchController::UpdatePort(
    std::string_view client, const std::string& name, absl::FunctionRef<void(config::Port&)> edit) {
  absl::MutexLock lock(&mu_);
  PODSWITCH_ASSIGN_OR_RETURN(config::Port before, db_->GetPort(name));
  config::Port after = before;
  edit(after);
  PODSWITCH_RETURN_IF_ERROR(
      db_->Transact(client, absl::StrCat("set port ", name), [&](config::ConfigTxn& txn) {
        return txn.UpdatePort(name, [&](config::Port& p) { edit(p); });
      }));
  PODSWITCH_ASSIGN_OR_RETURN(after, db_->GetPort(name));
  bool reopen = after.options != before.options || after.admin_up != before.admin_up;
  if (reopen) {
    DetachIfAttached(before);
    (void)OpenAndAttach(after);
  } else if (runtime_[name].attached) {
    PODSWITCH_RETURN_IF_ERROR(
        datapath_->SetPortVlan(after.bridge, after.ofport, VlanConfigOf(after)));
  }
  return after;
}

// ---- flows -----------------------------------------------------------------------------

absl::StatusOr<std::vector<std::string>> SwitchController::PersistentFlowTexts(
    const std::string& bridge) {
  return datapath_->RunOnBridge(bridge, [](BridgeContext& b) {
    std::vector<std::string> texts;
    for (const core::FlowRule* rule : b.pipeline().DumpFlows({})) {
      if (IsPersistent(*rule)) texts.push_back(core::FormatFlow(core::SpecFromRule(*rule)));
    }
    return texts;
  });
}

// Port names in flows (in_port=pod1, output:pod1) resolve against the bridge's ports.
static core::PortNameResolver ResolverFor(const std::vector<config::Port>& ports) {
  return [ports](std::string_view name) -> std::optional<uint32_t> {
    for (const config::Port& port : ports) {
      if (port.name == name) return port.ofport;
    }
    return std::nullopt;
  };
}

absl::StatusOr<size_t> SwitchController::AddFlows(std::string_view client,
                                                  const std::string& bridge,
                                                  const std::vector<std::string>& texts) {
  absl::MutexLock lock(&mu_);
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<config::Port> ports, db_->ListPorts(bridge));
  auto resolver = ResolverFor(ports);
  std::vector<core::FlowSpec> specs;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto spec = core::ParseFlow(texts[i], core::FlowTextMode::kAdd, resolver);
    if (!spec.ok()) {
      return absl::InvalidArgumentError(
          texts.size() == 1 ? std::string(spec.status().message())
                            : absl::StrCat("flow ", i + 1, ": ", spec.status().message()));
    }
    specs.push_back(*std::move(spec));
  }
  // The flow set after the change, computed without changing anything yet.
  auto next = datapath_->RunOnBridge(
      bridge, [&](BridgeContext& b) -> absl::StatusOr<std::vector<std::string>> {
        core::Pipeline& pipeline = b.pipeline();
        std::vector<std::pair<core::FlowSpec, bool>> result;  // spec, persistent
        for (const core::FlowRule* rule : pipeline.DumpFlows({})) {
          result.push_back({core::SpecFromRule(*rule), IsPersistent(*rule)});
        }
        for (size_t i = 0; i < specs.size(); ++i) {
          if (absl::Status status = pipeline.CheckFlow(specs[i]); !status.ok()) {
            return absl::InvalidArgumentError(absl::StrCat("flow ", i + 1, ": ", status.message()));
          }
          core::Match normalized = specs[i].match;
          normalized.Normalize();
          std::erase_if(result, [&](const auto& entry) {
            return entry.first.table == specs[i].table &&
                   entry.first.priority == specs[i].priority && entry.first.match == normalized;
          });
          result.push_back({specs[i], specs[i].idle_timeout == 0 && specs[i].hard_timeout == 0});
        }
        std::vector<std::string> persistent;
        for (const auto& [spec, keep] : result) {
          if (keep) persistent.push_back(core::FormatFlow(spec));
        }
        return persistent;
      });
  if (!next.ok()) return next.status();
  std::string summary = texts.size() == 1
                            ? absl::StrCat("add-flow ", bridge, " ", texts[0])
                            : absl::StrCat("add-flows ", bridge, " (", texts.size(), " flows)");
  PODSWITCH_RETURN_IF_ERROR(db_->Transact(
      client, summary, [&](config::ConfigTxn& txn) { return txn.ReplaceFlows(bridge, *next); }));
  PODSWITCH_RETURN_IF_ERROR(datapath_->RunOnBridge(bridge, [&](BridgeContext& b) {
    for (const core::FlowSpec& spec : specs) {
      PODSWITCH_RETURN_IF_ERROR(b.pipeline().AddFlow(spec, b.now_ms()));
    }
    return absl::OkStatus();
  }));
  return specs.size();
}

absl::StatusOr<size_t> SwitchController::ModifyFlows(std::string_view client,
                                                     const std::string& bridge,
                                                     const std::string& text, bool strict) {
  absl::MutexLock lock(&mu_);
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<config::Port> ports, db_->ListPorts(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(
      core::FlowSpec spec, core::ParseFlow(text, core::FlowTextMode::kModify, ResolverFor(ports)));
  core::FlowFilter filter = core::FilterFromSpec(spec, strict);
  auto next = datapath_->RunOnBridge(
      bridge, [&](BridgeContext& b) -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> persistent;
        for (const core::FlowRule* rule : b.pipeline().DumpFlows({})) {
          core::FlowSpec current = core::SpecFromRule(*rule);
          if (core::Pipeline::Selects(filter, *rule)) {
            current.actions = spec.actions;
            PODSWITCH_RETURN_IF_ERROR(b.pipeline().CheckFlow(current));
          }
          if (IsPersistent(*rule)) persistent.push_back(core::FormatFlow(current));
        }
        return persistent;
      });
  if (!next.ok()) return next.status();
  PODSWITCH_RETURN_IF_ERROR(db_->Transact(
      client, absl::StrCat(strict ? "mod-flows --strict " : "mod-flows ", bridge, " ", text),
      [&](config::ConfigTxn& txn) { return txn.ReplaceFlows(bridge, *next); }));
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
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<config::Port> ports, db_->ListPorts(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(
      core::FlowSpec spec,
      core::ParseFlow(filter_text, core::FlowTextMode::kMatchOnly, ResolverFor(ports)));
  core::FlowFilter filter = core::FilterFromSpec(spec, strict);
  auto next = datapath_->RunOnBridge(bridge, [&](BridgeContext& b) {
    std::vector<std::string> persistent;
    for (const core::FlowRule* rule : b.pipeline().DumpFlows({})) {
      if (!core::Pipeline::Selects(filter, *rule) && IsPersistent(*rule)) {
        persistent.push_back(core::FormatFlow(core::SpecFromRule(*rule)));
      }
    }
    return persistent;
  });
  if (!next.ok()) return next.status();
  PODSWITCH_RETURN_IF_ERROR(
      db_->Transact(client,
                    absl::StrCat(strict ? "del-flows --strict " : "del-flows ", bridge,
                                 filter_text.empty() ? "" : " ", filter_text),
                    [&](config::ConfigTxn& txn) { return txn.ReplaceFlows(bridge, *next); }));
  return datapath_->RunOnBridge(bridge,
                                [&](BridgeContext& b) { return b.pipeline().DeleteFlows(filter); });
}

absl::StatusOr<std::vector<FlowSnapshot>> SwitchController::DumpFlows(const std::string& bridge,
                                                                      const std::string& filter) {
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<config::Port> ports, db_->ListPorts(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(
      core::FlowSpec spec,
      core::ParseFlow(filter, core::FlowTextMode::kMatchOnly, ResolverFor(ports)));
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

// ---- MAC table and trace ---------------------------------------------------------------

absl::StatusOr<std::vector<core::FdbEntry>> SwitchController::DumpFdb(const std::string& bridge) {
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  return datapath_->RunOnBridge(
      bridge, [](BridgeContext& b) { return b.pipeline().macs().Entries(b.now_ms()); });
}

absl::StatusOr<size_t> SwitchController::FlushFdb(const std::string& bridge) {
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  return datapath_->RunOnBridge(bridge,
                                [](BridgeContext& b) { return b.pipeline().macs().FlushAll(); });
}

absl::StatusOr<core::Trace> SwitchController::Trace(const std::string& bridge,
                                                    const std::string& flow,
                                                    const std::string& packet) {
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<config::Port> ports, db_->ListPorts(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(core::Match match, core::ParseMatch(flow, ResolverFor(ports)));
  core::FlowKey key = match.value;  // the fields the flow names; everything else zero
  if (!packet.empty()) {
    key = core::ParsePacket({reinterpret_cast<const uint8_t*>(packet.data()), packet.size()},
                            match.value.in_port);
  }
  return datapath_->RunOnBridge(bridge, [&](BridgeContext& b) {
    core::Trace trace;
    b.pipeline().Translate(key, b.now_ms(), &trace);
    return trace;
  });
}

// ---- runtime state -----------------------------------------------------------------------

PortRuntime SwitchController::Runtime(const std::string& port) const {
  absl::MutexLock lock(&mu_);
  auto it = runtime_.find(port);
  return it == runtime_.end() ? PortRuntime{.error = "not configured"} : it->second;
}

void SwitchController::OnPortLost(const dpdk::LostPort& lost) {
  absl::MutexLock lock(&mu_);
  spdlog::warn("port {} of {}: interface {} disappeared; detached", lost.name, lost.bridge,
               lost.iface);
  runtime_[lost.name] = PortRuntime{
      .attached = false, .error = absl::StrCat("interface ", lost.iface, " disappeared")};
}

// Ports whose interface was missing are opened again once it appears (a pod's veth created
// after podswitchd restarted, an interface that came back).
void SwitchController::RetryLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::FromChrono(kRetryInterval));
      if (stopping_) return;
      auto ports = db_->ListPorts();
      if (!ports.ok()) continue;
      for (const config::Port& port : *ports) {
        PortRuntime& runtime = runtime_[port.name];
        if (runtime.attached || !port.admin_up) continue;
        if (OpenAndAttach(port).ok())
          spdlog::info("port {} of {} attached", port.name, port.bridge);
      }
    }
  }
}

}  // namespace podswitch::switchd
