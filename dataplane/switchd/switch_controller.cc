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
#include "dataplane/dpdk/ethdev_port.h"
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

// Ports DPDK ethdevs back (af_xdp, vhost-user, tap, ring, null); the others are kernel sockets.
bool IsEthdevType(const std::string& type) {
  const std::vector<std::string>& types = dpdk::EthdevPort::Types();
  return std::find(types.begin(), types.end(), type) != types.end();
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

absl::StatusOr<std::unique_ptr<dpdk::Port>> SwitchController::OpenPort(const config::Port& port) {
  dpdk::PortSpec spec{port.name, port.type, port.options};
  if (IsEthdevType(port.type)) {
    absl::MutexLock lock(&ethdev_mu_);
    return dpdk::Port::Open(spec, pool_);
  }
  return dpdk::Port::Open(spec, pool_);
}

void SwitchController::ClosePort(std::unique_ptr<dpdk::Port> port) {
  if (port == nullptr) return;
  // An ethdev port is closed before the call returns: the next port may need what it holds
  // (a vhost-user socket path, a tap's name, an af_xdp queue).
  if (IsEthdevType(port->type())) {
    absl::MutexLock lock(&ethdev_mu_);
    port.reset();
    return;
  }
  closer_.Close(std::move(port));
}

absl::Status SwitchController::OpenAndAttach(const config::Port& port) {
  PortRuntime& runtime = runtime_[port.name];
  if (runtime.attached || opening_.contains(port.name)) return absl::OkStatus();
  if (!port.admin_up) {
    runtime.error = "admin down";
    return absl::OkStatus();
  }
  runtime.error = "opening";
  const uint64_t token = ++next_open_token_;
  opening_[port.name] = token;
  mu_.Unlock();
  absl::StatusOr<std::unique_ptr<dpdk::Port>> opened = OpenPort(port);
  mu_.Lock();
  // While mu_ was released the port may have been deleted, deleted and added again, or
  // reconfigured to be reopened: each of those forgot this open (its token is gone).
  auto still = opening_.find(port.name);
  if (still == opening_.end() || still->second != token) {
    mu_.Unlock();
    if (opened.ok()) ClosePort(*std::move(opened));
    mu_.Lock();
    return absl::AbortedError(
        absl::StrCat("port ", port.name, " changed while it was being opened"));
  }
  opening_.erase(still);
  PortRuntime& now = runtime_[port.name];
  if (!opened.ok()) {
    now.error = std::string(opened.status().message());
    return opened.status();
  }
  // The VLAN columns may have changed meanwhile (they do not need a reopen): use the stored
  // ones.
  absl::StatusOr<config::Port> current = db_->GetPort(port.name);
  absl::Status attached = datapath_->AttachPort(port.bridge, port.ofport, *std::move(opened),
                                                VlanConfigOf(current.ok() ? *current : port));
  if (!attached.ok()) {
    now.error = std::string(attached.message());
    return attached;
  }
  now = PortRuntime{.attached = true};
  return absl::OkStatus();
}

std::unique_ptr<dpdk::Port> SwitchController::DetachIfAttached(const config::Port& port) {
  auto it = runtime_.find(port.name);
  if (it == runtime_.end()) return nullptr;
  std::unique_ptr<dpdk::Port> detached;
  if (it->second.attached) {
    auto taken = datapath_->DetachPort(port.bridge, port.ofport);
    if (taken.ok()) {
      detached = *std::move(taken);
    } else {
      spdlog::warn("detach {}: {}", port.name, taken.status().ToString());
    }
  }
  runtime_.erase(it);
  opening_.erase(port.name);  // an open in flight finds its token gone and closes the port
  return detached;
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
  for (const config::Port& port : ports) {
    runtime_.erase(port.name);
    opening_.erase(port.name);
  }
  flow_rows_.ForgetBridge(name);
  return datapath_->DeleteBridge(name);
}

absl::StatusOr<config::Port> SwitchController::CreatePort(std::string_view client,
                                                          config::Port port, bool may_exist,
                                                          const std::vector<std::string>& flows) {
  absl::MutexLock lock(&mu_);
  if (may_exist) {
    if (auto existing = db_->GetPort(port.name); existing.ok()) {
      if (!flows.empty()) {
        PODSWITCH_RETURN_IF_ERROR(AddFlowsLocked(client, existing->bridge, flows).status());
      }
      return *existing;
    }
  }
  if (std::find(dpdk::Port::ValidTypes().begin(), dpdk::Port::ValidTypes().end(), port.type) ==
      dpdk::Port::ValidTypes().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("type: \"", port.type, "\" is not a port type this podswitchd supports (",
                     absl::StrJoin(dpdk::Port::ValidTypes(), ", "), ")"));
  }
  std::string summary = Describe(port);
  if (!flows.empty()) absl::StrAppend(&summary, " with ", flows.size(), " flow(s)");
  std::vector<core::FlowSpec> specs;
  FlowRowChanges changes(flow_rows_, port.bridge);
  PODSWITCH_RETURN_IF_ERROR(
      db_->Transact(client, summary, [&](config::ConfigTxn& txn) -> absl::Status {
        PODSWITCH_ASSIGN_OR_RETURN(port.ofport, txn.AddPort(port));
        if (flows.empty()) return absl::OkStatus();
        // The flows may name the new port, which only this transaction sees yet.
        core::PortNameResolver resolver = [&](std::string_view name) -> std::optional<uint32_t> {
          absl::StatusOr<config::Port> named = txn.GetPort(name);
          if (!named.ok() || named->bridge != port.bridge) return std::nullopt;
          return named->ofport;
        };
        PODSWITCH_ASSIGN_OR_RETURN(specs, ParseFlowsToAdd(port.bridge, flows, resolver));
        PlanFlowRows(specs, changes);
        return changes.Write(txn);
      }));
  changes.Apply(flow_rows_);
  PODSWITCH_RETURN_IF_ERROR(InstallFlows(port.bridge, specs));
  PODSWITCH_ASSIGN_OR_RETURN(config::Port stored, db_->GetPort(port.name));
  if (absl::Status status = OpenAndAttach(stored); !status.ok()) {
    spdlog::warn("port {} added to {} but not attached: {}", stored.name, stored.bridge,
                 status.ToString());
  }
  return stored;
}

absl::StatusOr<size_t> SwitchController::DeletePort(
    std::string_view client, const std::string& name, const std::string& bridge, bool if_exists,
    const std::optional<std::string>& delete_flows) {
  absl::StatusOr<DeletedPort> deleted;
  {
    absl::MutexLock lock(&mu_);
    deleted = DeletePortLocked(client, name, bridge, if_exists, delete_flows);
  }
  if (!deleted.ok()) return deleted.status();
  ClosePort(std::move(deleted->port));
  return deleted->flows;
}

absl::StatusOr<SwitchController::DeletedPort> SwitchController::DeletePortLocked(
    std::string_view client, const std::string& name, const std::string& bridge, bool if_exists,
    const std::optional<std::string>& delete_flows) {
  auto port = db_->GetPort(name);
  if (!port.ok() && !absl::IsNotFound(port.status())) return port.status();
  if (!port.ok() && !if_exists) return absl::NotFoundError(absl::StrCat("no port named ", name));
  if (port.ok() && !bridge.empty() && port->bridge != bridge) {
    return absl::NotFoundError(absl::StrCat("bridge ", bridge, " does not have a port ", name,
                                            " (it is on ", port->bridge, ")"));
  }
  const std::string& flows_bridge = port.ok() ? port->bridge : bridge;
  std::optional<core::FlowFilter> filter;
  FlowRowChanges changes(flow_rows_, flows_bridge);
  if (delete_flows) {
    if (flows_bridge.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("delete_flows: port ", name, " does not exist; name its bridge"));
    }
    if (!port.ok()) {  // if_exists: without the bridge there are no flows to delete either
      absl::Status has_bridge = RequireBridge(flows_bridge);
      if (absl::IsNotFound(has_bridge)) return DeletedPort{};
      PODSWITCH_RETURN_IF_ERROR(has_bridge);
    }
    PODSWITCH_ASSIGN_OR_RETURN(filter, ParseFlowFilter(flows_bridge, *delete_flows, false));
    PODSWITCH_RETURN_IF_ERROR(PlanFlowDeletes(flows_bridge, *filter, changes));
  }
  if (port.ok() || !changes.empty()) {
    std::string summary = port.ok() ? absl::StrCat("del-port ", port->bridge, " ", name)
                                    : absl::StrCat("del-flows ", flows_bridge);
    if (delete_flows) absl::StrAppend(&summary, " (flows ", *delete_flows, ")");
    PODSWITCH_RETURN_IF_ERROR(
        db_->Transact(client, summary, [&](config::ConfigTxn& txn) -> absl::Status {
          if (port.ok()) PODSWITCH_RETURN_IF_ERROR(txn.DeletePort(name));
          return changes.Write(txn);
        }));
    changes.Apply(flow_rows_);
  }
  DeletedPort deleted;
  if (filter) {
    PODSWITCH_ASSIGN_OR_RETURN(deleted.flows,
                               datapath_->RunOnBridge(flows_bridge, [&](BridgeContext& b) {
                                 return b.pipeline().DeleteFlows(*filter);
                               }));
  }
  if (port.ok()) deleted.port = DetachIfAttached(*port);
  return deleted;
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
    DetachIfAttached(before).reset();  // closed first: the new one may need what it holds
    (void)OpenAndAttach(after);
  } else if (runtime_[name].attached) {
    PODSWITCH_RETURN_IF_ERROR(
        datapath_->SetPortVlan(after.bridge, after.ofport, VlanConfigOf(after)));
  }
  return after;
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
  PODSWITCH_ASSIGN_OR_RETURN(core::Match match, core::ParseMatch(flow, ResolverFor(bridge)));
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
        if (runtime_[port.name].attached || opening_.contains(port.name) || !port.admin_up) {
          continue;
        }
        if (OpenAndAttach(port).ok())
          spdlog::info("port {} of {} attached", port.name, port.bridge);
      }
    }
  }
}

}  // namespace podswitch::switchd
