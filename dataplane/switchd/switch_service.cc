#include "dataplane/switchd/switch_service.h"

#include <deque>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dataplane/core/packet/addr.h"

namespace podswitch::switchd {
namespace {

// The client name recorded in the change log.
std::string ClientOf(const std::string& requested, grpc::ServerContext* context) {
  return requested.empty() ? context->peer() : requested;
}

// The proto carries VLAN ids as uint32; they must fit 12 bits before the uint16 columns
// (a cast would quietly turn 4096 into 0). `field` names the column in the error.
grpc::Status CheckVlanIds(std::string_view field, std::initializer_list<uint32_t> single,
                          const google::protobuf::RepeatedField<uint32_t>& list = {}) {
  auto check = [&](uint32_t vlan) {
    return vlan <= 4095 ? grpc::Status::OK
                        : grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                       std::string(field) + ": VLAN id " + std::to_string(vlan) +
                                           " is not in 0-4095");
  };
  for (uint32_t vlan : single) {
    if (grpc::Status status = check(vlan); !status.ok()) return status;
  }
  for (uint32_t vlan : list) {
    if (grpc::Status status = check(vlan); !status.ok()) return status;
  }
  return grpc::Status::OK;
}

void FillLogEntry(const config::ChangeLogEntry& entry, v1::ChangeLogEntry* out) {
  out->set_seq(entry.seq);
  out->set_time_unix_ms(absl::ToUnixMillis(entry.time));
  out->set_client(entry.client);
  out->set_summary(entry.summary);
  out->set_details_json(entry.details_json);
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

SwitchService::SwitchService(SwitchController* controller, std::string version, bool hugepages,
                             unsigned pmd_threads)
    : controller_(controller),
      version_(std::move(version)),
      hugepages_(hugepages),
      pmd_threads_(pmd_threads) {}

void SwitchService::FillPort(const config::Port& port, v1::Port* out) const {
  out->set_bridge(port.bridge);
  out->set_name(port.name);
  out->set_type(port.type);
  out->set_ofport(port.ofport);
  for (const auto& [key, value] : port.options) (*out->mutable_options())[key] = value;
  if (port.tag) out->set_tag(*port.tag);
  for (uint16_t trunk : port.trunks) out->add_trunks(trunk);
  out->set_vlan_mode(port.vlan_mode);
  out->set_admin_up(port.admin_up);
  PortRuntime runtime = controller_->Runtime(port.name);
  out->set_link_state(runtime.attached ? "up" : (port.admin_up ? "error" : "down"));
  out->set_error(runtime.error);
}

grpc::Status SwitchService::Health(grpc::ServerContext*, const v1::HealthRequest*,
                                   v1::HealthResponse* response) {
  auto bridges = controller_->db().ListBridges();
  auto ports = controller_->db().ListPorts();
  if (!bridges.ok()) return ToGrpc(bridges.status());
  response->set_ready(true);
  response->set_version(version_);
  response->set_bridges(bridges->size());
  response->set_ports(ports.ok() ? ports->size() : 0);
  response->set_db_path(controller_->db().path());
  response->set_hugepages(hugepages_);
  response->set_pmd_threads(pmd_threads_);
  return grpc::Status::OK;
}

grpc::Status SwitchService::CreateBridge(grpc::ServerContext* context,
                                         const v1::CreateBridgeRequest* request,
                                         v1::CreateBridgeResponse*) {
  return ToGrpc(controller_->CreateBridge(ClientOf(request->client(), context), request->name(),
                                          request->may_exist()));
}

grpc::Status SwitchService::DeleteBridge(grpc::ServerContext* context,
                                         const v1::DeleteBridgeRequest* request,
                                         v1::DeleteBridgeResponse*) {
  return ToGrpc(controller_->DeleteBridge(ClientOf(request->client(), context), request->name(),
                                          request->if_exists()));
}

grpc::Status SwitchService::GetBridge(grpc::ServerContext*, const v1::GetBridgeRequest* request,
                                      v1::Bridge* response) {
  auto bridge = controller_->db().GetBridge(request->name());
  if (!bridge.ok()) {
    if (absl::IsNotFound(bridge.status())) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no bridge named " + request->name());
    }
    return ToGrpc(bridge.status());
  }
  response->set_name(bridge->name);
  auto ports = controller_->db().ListPorts(bridge->name);
  if (!ports.ok()) return ToGrpc(ports.status());
  for (const config::Port& port : *ports) FillPort(port, response->add_ports());
  auto flows = controller_->db().ListFlows(bridge->name);
  response->set_flow_count(flows.ok() ? flows->size() : 0);
  return grpc::Status::OK;
}

grpc::Status SwitchService::ListBridges(grpc::ServerContext* context, const v1::ListBridgesRequest*,
                                        v1::ListBridgesResponse* response) {
  auto bridges = controller_->db().ListBridges();
  if (!bridges.ok()) return ToGrpc(bridges.status());
  for (const config::Bridge& bridge : *bridges) {
    v1::GetBridgeRequest get;
    get.set_name(bridge.name);
    grpc::Status status = GetBridge(context, &get, response->add_bridges());
    if (!status.ok()) return status;
  }
  return grpc::Status::OK;
}

grpc::Status SwitchService::CreatePort(grpc::ServerContext* context,
                                       const v1::CreatePortRequest* request,
                                       v1::CreatePortResponse* response) {
  const v1::Port& in = request->port();
  config::Port port;
  port.bridge = in.bridge();
  port.name = in.name();
  port.type = in.type().empty() ? "afxdp" : in.type();
  port.ofport = in.ofport();
  port.options = {in.options().begin(), in.options().end()};
  if (grpc::Status status = CheckVlanIds("tag", {in.tag()}); !status.ok()) return status;
  if (grpc::Status status = CheckVlanIds("trunks", {}, in.trunks()); !status.ok()) return status;
  if (in.has_tag()) port.tag = static_cast<uint16_t>(in.tag());
  port.trunks.assign(in.trunks().begin(), in.trunks().end());
  port.vlan_mode = in.vlan_mode();
  port.admin_up = !in.has_admin_up() || in.admin_up();
  auto created = controller_->CreatePort(
      ClientOf(request->client(), context), std::move(port), request->may_exist(),
      std::vector<std::string>(request->flows().begin(), request->flows().end()));
  if (!created.ok()) return ToGrpc(created.status());
  FillPort(*created, response->mutable_port());
  if (request->flows_size() > 0) response->set_added_flows(request->flows_size());
  return grpc::Status::OK;
}

grpc::Status SwitchService::DeletePort(grpc::ServerContext* context,
                                       const v1::DeletePortRequest* request,
                                       v1::DeletePortResponse* response) {
  std::optional<std::string> delete_flows;
  if (request->has_delete_flows()) delete_flows = request->delete_flows();
  auto deleted = controller_->DeletePort(ClientOf(request->client(), context), request->name(),
                                         request->bridge(), request->if_exists(), delete_flows);
  if (!deleted.ok()) return ToGrpc(deleted.status());
  if (delete_flows) response->set_deleted_flows(*deleted);
  return grpc::Status::OK;
}

grpc::Status SwitchService::GetPort(grpc::ServerContext*, const v1::GetPortRequest* request,
                                    v1::Port* response) {
  auto port = controller_->db().GetPort(request->name());
  if (!port.ok()) {
    if (absl::IsNotFound(port.status())) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no port named " + request->name());
    }
    return ToGrpc(port.status());
  }
  FillPort(*port, response);
  return grpc::Status::OK;
}

grpc::Status SwitchService::ListPorts(grpc::ServerContext*, const v1::ListPortsRequest* request,
                                      v1::ListPortsResponse* response) {
  if (!request->bridge().empty() && !controller_->db().GetBridge(request->bridge()).ok()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no bridge named " + request->bridge());
  }
  auto ports = controller_->db().ListPorts(request->bridge());
  if (!ports.ok()) return ToGrpc(ports.status());
  for (const config::Port& port : *ports) FillPort(port, response->add_ports());
  return grpc::Status::OK;
}

grpc::Status SwitchService::UpdatePort(grpc::ServerContext* context,
                                       const v1::UpdatePortRequest* request,
                                       v1::UpdatePortResponse* response) {
  if (grpc::Status status = CheckVlanIds("tag", {request->tag()}); !status.ok()) return status;
  if (grpc::Status status = CheckVlanIds("trunks", {}, request->trunks()); !status.ok()) {
    return status;
  }
  auto updated = controller_->UpdatePort(
      ClientOf(request->client(), context), request->name(), [&](config::Port& port) {
        if (request->has_tag()) port.tag = static_cast<uint16_t>(request->tag());
        if (request->remove_tag()) port.tag.reset();
        if (request->set_trunks()) {
          port.trunks.assign(request->trunks().begin(), request->trunks().end());
        }
        if (request->has_vlan_mode()) port.vlan_mode = request->vlan_mode();
        if (request->has_admin_up()) port.admin_up = request->admin_up();
        for (const auto& [key, value] : request->set_options()) port.options[key] = value;
        for (const std::string& key : request->remove_options()) port.options.erase(key);
      });
  if (!updated.ok()) return ToGrpc(updated.status());
  FillPort(*updated, response->mutable_port());
  return grpc::Status::OK;
}

grpc::Status SwitchService::AddFlows(grpc::ServerContext* context,
                                     const v1::AddFlowsRequest* request,
                                     v1::AddFlowsResponse* response) {
  std::vector<std::string> flows(request->flows().begin(), request->flows().end());
  auto added =
      controller_->AddFlows(ClientOf(request->client(), context), request->bridge(), flows);
  if (!added.ok()) return ToGrpc(added.status());
  response->set_added(*added);
  return grpc::Status::OK;
}

grpc::Status SwitchService::ModifyFlows(grpc::ServerContext* context,
                                        const v1::ModifyFlowsRequest* request,
                                        v1::ModifyFlowsResponse* response) {
  auto modified = controller_->ModifyFlows(ClientOf(request->client(), context), request->bridge(),
                                           request->flow(), request->strict());
  if (!modified.ok()) return ToGrpc(modified.status());
  response->set_modified(*modified);
  return grpc::Status::OK;
}

grpc::Status SwitchService::DeleteFlows(grpc::ServerContext* context,
                                        const v1::DeleteFlowsRequest* request,
                                        v1::DeleteFlowsResponse* response) {
  auto deleted = controller_->DeleteFlows(ClientOf(request->client(), context), request->bridge(),
                                          request->filter(), request->strict());
  if (!deleted.ok()) return ToGrpc(deleted.status());
  response->set_deleted(*deleted);
  return grpc::Status::OK;
}

grpc::Status SwitchService::DumpFlows(grpc::ServerContext*, const v1::DumpFlowsRequest* request,
                                      v1::DumpFlowsResponse* response) {
  auto flows = controller_->DumpFlows(request->bridge(), request->filter());
  if (!flows.ok()) return ToGrpc(flows.status());
  for (const FlowSnapshot& flow : *flows) {
    v1::Flow* out = response->add_flows();
    out->set_table(flow.table);
    out->set_priority(flow.priority);
    out->set_cookie(flow.cookie);
    out->set_match(flow.match);
    out->set_actions(flow.actions);
    out->set_text(flow.text);
    out->set_n_packets(flow.n_packets);
    out->set_n_bytes(flow.n_bytes);
    out->set_duration_sec(flow.duration_sec);
    out->set_idle_age_sec(flow.idle_age_sec);
    out->set_idle_timeout(flow.idle_timeout);
    out->set_hard_timeout(flow.hard_timeout);
  }
  return grpc::Status::OK;
}

grpc::Status SwitchService::DumpFdb(grpc::ServerContext*, const v1::DumpFdbRequest* request,
                                    v1::DumpFdbResponse* response) {
  auto entries = controller_->DumpFdb(request->bridge());
  if (!entries.ok()) return ToGrpc(entries.status());
  auto ports = controller_->db().ListPorts(request->bridge());
  for (const core::FdbEntry& entry : *entries) {
    v1::FdbEntry* out = response->add_entries();
    out->set_port(entry.port);
    out->set_vlan(entry.vlan);
    out->set_mac(core::MacToString(entry.mac));
    out->set_age_sec(entry.age_seconds);
    if (ports.ok()) {
      for (const config::Port& port : *ports) {
        if (port.ofport == entry.port) out->set_port_name(port.name);
      }
    }
  }
  return grpc::Status::OK;
}

grpc::Status SwitchService::FlushFdb(grpc::ServerContext*, const v1::FlushFdbRequest* request,
                                     v1::FlushFdbResponse* response) {
  std::vector<std::string> bridges;
  if (request->bridge().empty()) {
    auto all = controller_->db().ListBridges();
    if (!all.ok()) return ToGrpc(all.status());
    for (const config::Bridge& bridge : *all) bridges.push_back(bridge.name);
  } else {
    bridges.push_back(request->bridge());
  }
  uint32_t flushed = 0;
  for (const std::string& bridge : bridges) {
    auto n = controller_->FlushFdb(bridge);
    if (!n.ok()) return ToGrpc(n.status());
    flushed += *n;
  }
  response->set_flushed(flushed);
  return grpc::Status::OK;
}

grpc::Status SwitchService::DumpPortStats(grpc::ServerContext*,
                                          const v1::DumpPortStatsRequest* request,
                                          v1::DumpPortStatsResponse* response) {
  auto stats = controller_->datapath().GetPortStats(request->bridge());
  if (!stats.ok()) return ToGrpc(stats.status());
  for (const dpdk::AttachedPortStats& port : *stats) {
    if (!request->port().empty() && port.name != request->port()) continue;
    v1::PortStats* out = response->add_ports();
    out->set_bridge(port.bridge);
    out->set_name(port.name);
    out->set_ofport(port.ofport);
    out->set_rx_packets(port.stats.rx_packets);
    out->set_rx_bytes(port.stats.rx_bytes);
    out->set_rx_dropped(port.stats.rx_dropped);
    out->set_rx_errors(port.stats.rx_errors);
    out->set_tx_packets(port.stats.tx_packets);
    out->set_tx_bytes(port.stats.tx_bytes);
    out->set_tx_dropped(port.stats.tx_dropped);
    out->set_tx_errors(port.stats.tx_errors);
    for (const auto& [name, value] : port.stats.details) (*out->mutable_details())[name] = value;
  }
  return grpc::Status::OK;
}

grpc::Status SwitchService::DumpPmdStats(grpc::ServerContext*, const v1::DumpPmdStatsRequest*,
                                         v1::DumpPmdStatsResponse* response) {
  uint32_t id = 0;
  for (const dpdk::PmdStats& pmd : controller_->datapath().GetPmdStats()) {
    v1::PmdStats* out = response->add_pmds();
    out->set_id(id++);
    out->set_lcore(pmd.lcore);
    out->set_packets(pmd.packets);
    out->set_batches(pmd.batches);
    out->set_busy_cycles(pmd.busy_cycles);
    out->set_idle_cycles(pmd.idle_cycles);
    out->set_emc_hits(pmd.emc_hits);
    out->set_megaflow_hits(pmd.megaflow_hits);
    out->set_misses(pmd.misses);
    out->set_megaflows(pmd.megaflows);
  }
  return grpc::Status::OK;
}

grpc::Status SwitchService::Trace(grpc::ServerContext*, const v1::TraceRequest* request,
                                  v1::TraceResponse* response) {
  auto trace = controller_->Trace(request->bridge(), request->flow(), request->packet());
  if (!trace.ok()) return ToGrpc(trace.status());
  for (const core::TraceStep& step : trace->steps) {
    v1::TraceStep* out = response->add_steps();
    out->set_table(step.table);
    out->set_depth(step.depth);
    out->set_matched(step.matched);
    out->set_priority(step.priority);
    out->set_cookie(step.cookie);
    out->set_rule(step.rule);
    for (const std::string& note : step.notes) out->add_notes(note);
  }
  response->set_datapath_actions(core::FormatDpActions(trace->actions));
  response->set_disposition(trace->disposition);
  response->set_text(trace->ToString());
  return grpc::Status::OK;
}

grpc::Status SwitchService::ShowLog(grpc::ServerContext*, const v1::ShowLogRequest* request,
                                    v1::ShowLogResponse* response) {
  auto entries =
      controller_->db().ChangeLog(request->since_seq(), request->limit() ? request->limit() : 1000);
  if (!entries.ok()) return ToGrpc(entries.status());
  for (const config::ChangeLogEntry& entry : *entries) FillLogEntry(entry, response->add_entries());
  return grpc::Status::OK;
}

grpc::Status SwitchService::DumpDb(grpc::ServerContext*, const v1::DumpDbRequest*,
                                   v1::DumpDbResponse* response) {
  auto json = controller_->db().DumpJson();
  if (!json.ok()) return ToGrpc(json.status());
  response->set_json(*json);
  return grpc::Status::OK;
}

grpc::Status SwitchService::Monitor(grpc::ServerContext* context, const v1::MonitorRequest*,
                                    grpc::ServerWriter<v1::ChangeLogEntry>* writer) {
  absl::Mutex mu;
  std::deque<config::ChangeLogEntry> pending;
  uint64_t id = controller_->db().Subscribe([&](const config::ChangeLogEntry& entry) {
    absl::MutexLock lock(&mu);
    pending.push_back(entry);
  });
  grpc::Status result = grpc::Status::OK;
  while (!context->IsCancelled()) {
    std::deque<config::ChangeLogEntry> batch;
    {
      absl::MutexLock lock(&mu);
      auto ready = [&pending] { return !pending.empty(); };
      mu.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(200));
      batch.swap(pending);
    }
    bool ok = true;
    for (const config::ChangeLogEntry& entry : batch) {
      v1::ChangeLogEntry out;
      FillLogEntry(entry, &out);
      if (!writer->Write(out)) ok = false;
    }
    if (!ok) break;
  }
  controller_->db().Unsubscribe(id);
  return result;
}

}  // namespace podswitch::switchd
