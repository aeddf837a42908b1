// SwitchService: the podswitch.switchd.v1.Switch gRPC service. It translates messages to and
// from the SwitchController and maps absl status codes onto gRPC ones; no logic of its own.
#pragma once

#include <string>

#include "dataplane/switchd/switch_controller.h"
#include "podswitch/switchd/v1/switchd.grpc.pb.h"

namespace podswitch::switchd {

class SwitchService final : public v1::Switch::Service {
 public:
  SwitchService(SwitchController* controller, std::string version, bool hugepages,
                unsigned pmd_threads);

  grpc::Status Health(grpc::ServerContext*, const v1::HealthRequest*, v1::HealthResponse*) override;
  grpc::Status CreateBridge(grpc::ServerContext*, const v1::CreateBridgeRequest*,
                            v1::CreateBridgeResponse*) override;
  grpc::Status DeleteBridge(grpc::ServerContext*, const v1::DeleteBridgeRequest*,
                            v1::DeleteBridgeResponse*) override;
  grpc::Status GetBridge(grpc::ServerContext*, const v1::GetBridgeRequest*, v1::Bridge*) override;
  grpc::Status ListBridges(grpc::ServerContext*, const v1::ListBridgesRequest*,
                           v1::ListBridgesResponse*) override;
  grpc::Status CreatePort(grpc::ServerContext*, const v1::CreatePortRequest*,
                          v1::CreatePortResponse*) override;
  grpc::Status DeletePort(grpc::ServerContext*, const v1::DeletePortRequest*,
                          v1::DeletePortResponse*) override;
  grpc::Status GetPort(grpc::ServerContext*, const v1::GetPortRequest*, v1::Port*) override;
  grpc::Status ListPorts(grpc::ServerContext*, const v1::ListPortsRequest*,
                         v1::ListPortsResponse*) override;
  grpc::Status UpdatePort(grpc::ServerContext*, const v1::UpdatePortRequest*,
                          v1::UpdatePortResponse*) override;
  grpc::Status AddFlows(grpc::ServerContext*, const v1::AddFlowsRequest*,
                        v1::AddFlowsResponse*) override;
  grpc::Status ModifyFlows(grpc::ServerContext*, const v1::ModifyFlowsRequest*,
                           v1::ModifyFlowsResponse*) override;
  grpc::Status DeleteFlows(grpc::ServerContext*, const v1::DeleteFlowsRequest*,
                           v1::DeleteFlowsResponse*) override;
  grpc::Status DumpFlows(grpc::ServerContext*, const v1::DumpFlowsRequest*,
                         v1::DumpFlowsResponse*) override;
  grpc::Status DumpFdb(grpc::ServerContext*, const v1::DumpFdbRequest*,
                       v1::DumpFdbResponse*) override;
  grpc::Status FlushFdb(grpc::ServerContext*, const v1::FlushFdbRequest*,
                        v1::FlushFdbResponse*) override;
  grpc::Status DumpPortStats(grpc::ServerContext*, const v1::DumpPortStatsRequest*,
                             v1::DumpPortStatsResponse*) override;
  grpc::Status DumpPmdStats(grpc::ServerContext*, const v1::DumpPmdStatsRequest*,
                            v1::DumpPmdStatsResponse*) override;
  grpc::Status Trace(grpc::ServerContext*, const v1::TraceRequest*, v1::TraceResponse*) override;
  grpc::Status ShowLog(grpc::ServerContext*, const v1::ShowLogRequest*,
                       v1::ShowLogResponse*) override;
  grpc::Status DumpDb(grpc::ServerContext*, const v1::DumpDbRequest*, v1::DumpDbResponse*) override;
  grpc::Status Monitor(grpc::ServerContext*, const v1::MonitorRequest*,
                       grpc::ServerWriter<v1::ChangeLogEntry>*) override;

 private:
  void FillPort(const config::Port& port, v1::Port* out) const;

  SwitchController* controller_;
  std::string version_;
  bool hugepages_;
  unsigned pmd_threads_;
};

// absl::Status -> grpc::Status with the same code and message.
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace podswitch::switchd
