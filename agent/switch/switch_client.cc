#include "agent/switch/switch_client.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"

namespace podswitch::agent {
namespace {

namespace v1 = switchd::v1;

// A failed call as an absl::Status naming the call; UNAVAILABLE stays UNAVAILABLE so the CNI
// layer can answer "try again later".
absl::Status FromGrpc(const grpc::Status& status, std::string_view call,
                      const std::string& socket) {
  if (status.ok()) return absl::OkStatus();
  std::string message =
      absl::StrCat("podswitchd ", std::string(call), ": ", status.error_message());
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    message = absl::StrCat("podswitchd is not reachable at ", socket, " (", std::string(call), ": ",
                           status.error_message(), ")");
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), message);
}

// The del-flows filter of the flows with exactly this cookie.
std::string CookieFilter(uint64_t cookie) {
  return absl::StrCat("cookie=0x", absl::Hex(cookie), "/-1");
}

}  // namespace

bool PortIsAsWanted(const v1::Port& have, const v1::Port& want) {
  if (have.bridge() != want.bridge() || have.type() != want.type()) return false;
  for (const auto& [key, value] : want.options()) {
    auto found = have.options().find(key);
    if (found == have.options().end() || found->second != value) return false;
  }
  return true;
}

SwitchClient::SwitchClient(std::string socket, std::string client_name, absl::Duration deadline)
    : socket_(std::move(socket)), client_name_(std::move(client_name)), deadline_(deadline) {
  // podswitchd restarts are routine: reconnect within a second, not gRPC's default minutes.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  stub_ = v1::Switch::NewStub(
      grpc::CreateCustomChannel("unix:" + socket_, grpc::InsecureChannelCredentials(), args));
}

std::unique_ptr<grpc::ClientContext> SwitchClient::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  context->set_wait_for_ready(false);
  return context;
}

absl::StatusOr<v1::HealthResponse> SwitchClient::Health() {
  v1::HealthResponse response;
  auto context = Context();
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(3)));
  grpc::Status status = stub_->Health(context.get(), v1::HealthRequest(), &response);
  if (!status.ok()) return FromGrpc(status, "Health", socket_);
  return response;
}

absl::Status SwitchClient::EnsureBridge(const std::string& bridge) {
  v1::CreateBridgeRequest request;
  request.set_name(bridge);
  request.set_may_exist(true);
  request.set_client(client_name_);
  v1::CreateBridgeResponse response;
  return FromGrpc(stub_->CreateBridge(Context().get(), request, &response), "CreateBridge",
                  socket_);
}

absl::StatusOr<v1::Port> SwitchClient::EnsurePort(const v1::Port& port) {
  return CreatePort(port, {}, /*may_exist=*/true);
}

absl::StatusOr<v1::Port> SwitchClient::CreatePort(const v1::Port& port,
                                                  const std::vector<std::string>& flows,
                                                  bool may_exist) {
  v1::CreatePortRequest request;
  *request.mutable_port() = port;
  request.set_may_exist(may_exist);
  for (const std::string& flow : flows) request.add_flows(flow);
  request.set_client(client_name_);
  v1::CreatePortResponse response;
  grpc::Status status = stub_->CreatePort(Context().get(), request, &response);
  if (!status.ok()) return FromGrpc(status, "CreatePort " + port.name(), socket_);
  if (!flows.empty() && !response.has_added_flows()) {
    // A podswitchd older than CreatePort's flows ignored them.
    if (absl::Status added = AddFlows(port.bridge(), flows); !added.ok()) return added;
  }
  return response.port();
}

absl::StatusOr<v1::Port> SwitchClient::GetPort(const std::string& name) {
  v1::GetPortRequest request;
  request.set_name(name);
  v1::Port response;
  grpc::Status status = stub_->GetPort(Context().get(), request, &response);
  if (!status.ok()) return FromGrpc(status, "GetPort " + name, socket_);
  return response;
}

absl::Status SwitchClient::DeletePort(const std::string& name) {
  v1::DeletePortRequest request;
  request.set_name(name);
  request.set_if_exists(true);
  request.set_client(client_name_);
  v1::DeletePortResponse response;
  return FromGrpc(stub_->DeletePort(Context().get(), request, &response), "DeletePort " + name,
                  socket_);
}

absl::Status SwitchClient::DeletePortAndFlows(const std::string& bridge, const std::string& name,
                                              uint64_t flow_cookie) {
  v1::DeletePortRequest request;
  request.set_name(name);
  request.set_bridge(bridge);
  request.set_if_exists(true);
  request.set_delete_flows(CookieFilter(flow_cookie));
  request.set_client(client_name_);
  v1::DeletePortResponse response;
  grpc::Status status = stub_->DeletePort(Context().get(), request, &response);
  if (!status.ok()) return FromGrpc(status, "DeletePort " + name, socket_);
  // A podswitchd older than DeletePort's delete_flows ignored it.
  if (response.has_deleted_flows()) return absl::OkStatus();
  absl::Status flows = DeleteFlowsByCookie(bridge, flow_cookie);
  return absl::IsNotFound(flows) ? absl::OkStatus() : flows;  // no bridge: no flows either
}

absl::StatusOr<std::vector<v1::Port>> SwitchClient::ListPorts(const std::string& bridge) {
  v1::ListPortsRequest request;
  request.set_bridge(bridge);
  v1::ListPortsResponse response;
  grpc::Status status = stub_->ListPorts(Context().get(), request, &response);
  if (!status.ok()) return FromGrpc(status, "ListPorts", socket_);
  return std::vector<v1::Port>(response.ports().begin(), response.ports().end());
}

absl::Status SwitchClient::AddFlows(const std::string& bridge,
                                    const std::vector<std::string>& flows) {
  v1::AddFlowsRequest request;
  request.set_bridge(bridge);
  for (const std::string& flow : flows) request.add_flows(flow);
  request.set_client(client_name_);
  v1::AddFlowsResponse response;
  return FromGrpc(stub_->AddFlows(Context().get(), request, &response), "AddFlows", socket_);
}

absl::Status SwitchClient::DeleteFlowStrict(const std::string& bridge, const std::string& filter) {
  v1::DeleteFlowsRequest request;
  request.set_bridge(bridge);
  request.set_filter(filter);
  request.set_strict(true);
  request.set_client(client_name_);
  v1::DeleteFlowsResponse response;
  return FromGrpc(stub_->DeleteFlows(Context().get(), request, &response), "DeleteFlows", socket_);
}

absl::Status SwitchClient::DeleteFlowsByCookie(const std::string& bridge, uint64_t cookie) {
  v1::DeleteFlowsRequest request;
  request.set_bridge(bridge);
  request.set_filter(CookieFilter(cookie));
  request.set_client(client_name_);
  v1::DeleteFlowsResponse response;
  return FromGrpc(stub_->DeleteFlows(Context().get(), request, &response), "DeleteFlows", socket_);
}

absl::StatusOr<std::vector<v1::Flow>> SwitchClient::DumpFlows(const std::string& bridge,
                                                              const std::string& filter) {
  v1::DumpFlowsRequest request;
  request.set_bridge(bridge);
  request.set_filter(filter);
  v1::DumpFlowsResponse response;
  grpc::Status status = stub_->DumpFlows(Context().get(), request, &response);
  if (!status.ok()) return FromGrpc(status, "DumpFlows", socket_);
  return std::vector<v1::Flow>(response.flows().begin(), response.flows().end());
}

}  // namespace podswitch::agent
