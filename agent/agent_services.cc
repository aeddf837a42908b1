#include "agent/agent_services.h"

#include "cni/spec/error.h"
#include "cni/spec/invocation.h"
#include "cni/spec/result.h"
#include "spdlog/spdlog.h"

namespace podswitch::agent {
namespace {

void FillError(const absl::Status& status, cni::v1::CniResponse* response) {
  cni::CniError error = cni::CniErrorFromStatus(status);
  response->set_error_code(static_cast<uint32_t>(error.code));
  response->set_error_msg(error.msg);
  response->set_error_details(error.details);
}

void FillAttachment(const PodRecord& pod, v1::PodAttachment* out) {
  out->set_container_id(pod.allocation.container_id);
  out->set_ifname(pod.allocation.ifname);
  out->set_pod_namespace(pod.allocation.pod_namespace);
  out->set_pod_name(pod.allocation.pod_name);
  out->set_ip(pod.allocation.ip.ToString());
  out->set_mac(pod.mac);
  out->set_port(pod.port);
  out->set_interface_type(pod.interface_type);
  out->set_link_state(pod.link_state);
  out->set_bridge(kIntegrationBridge);
}

void FillAttachment(const l2net::L2AttachmentRecord& record, v1::PodAttachment* out) {
  const l2net::L2Attachment& a = record.attachment;
  out->set_container_id(a.container_id);
  out->set_ifname(a.ifname);
  out->set_pod_namespace(a.pod_namespace);
  out->set_pod_name(a.pod_name);
  out->set_ip(record.ip);
  out->set_mac(record.mac);
  out->set_port(record.port);
  out->set_interface_type("veth");
  out->set_link_state(record.link_state);
  out->set_bridge(a.bridge);
  out->set_network(a.network);
}

}  // namespace

grpc::Status CniService::Execute(grpc::ServerContext*, const cni::v1::CniRequest* request,
                                 cni::v1::CniResponse* response) {
  cni::RawCniEnv env{.command = request->command(),
                     .container_id = request->container_id(),
                     .netns = request->netns(),
                     .ifname = request->ifname(),
                     .args = request->args(),
                     .path = request->path()};
  auto invocation = cni::ParseInvocation(env, request->config());
  if (!invocation.ok()) {
    FillError(invocation.status(), response);
    return grpc::Status::OK;
  }
  absl::Status status;
  // A config naming a bridge is a secondary network; STATUS is the node's either way.
  const bool secondary = invocation->config.l2.has_value();
  switch (invocation->env.command) {
    case cni::Command::kAdd: {
      auto result = secondary ? secondary_->Add(*invocation) : network_->Add(*invocation);
      if (result.ok()) {
        response->set_result(cni::ResultToJson(*result, "1.1.0").dump());
        return grpc::Status::OK;
      }
      status = result.status();
      break;
    }
    case cni::Command::kDel:
      status = secondary ? secondary_->Del(*invocation) : network_->Del(*invocation);
      break;
    case cni::Command::kCheck:
      status = secondary ? secondary_->Check(*invocation) : network_->Check(*invocation);
      break;
    case cni::Command::kGc:
      status = secondary ? secondary_->Gc(*invocation) : network_->Gc(*invocation);
      break;
    case cni::Command::kStatus:
      status = network_->Status();
      break;
    case cni::Command::kVersion:
      status = cni::CniStatus(cni::ErrorCode::kInvalidEnvironment,
                              "VERSION is answered by podswitch-cni itself");
      break;
  }
  if (!status.ok()) {
    spdlog::warn("CNI {} {}: {}", request->command(), request->container_id().substr(0, 12),
                 status.ToString());
    FillError(status, response);
  }
  return grpc::Status::OK;
}

grpc::Status AgentService::Health(grpc::ServerContext*, const v1::HealthRequest*,
                                  v1::HealthResponse* response) {
  response->set_version(version_);
  response->set_node_name(node_name_);
  response->set_switch_connected(network_->Status().ok());
  response->set_ready(response->switch_connected());
  return grpc::Status::OK;
}

grpc::Status AgentService::ListPods(grpc::ServerContext*, const v1::ListPodsRequest*,
                                    v1::ListPodsResponse* response) {
  for (const PodRecord& pod : network_->ListPods()) FillAttachment(pod, response->add_pods());
  for (const auto& record : secondary_->List()) FillAttachment(record, response->add_pods());
  return grpc::Status::OK;
}

grpc::Status AgentService::ShowIpam(grpc::ServerContext*, const v1::ShowIpamRequest*,
                                    v1::ShowIpamResponse* response) {
  response->set_pod_cidr(ipam_->pod_cidr().ToString());
  response->set_gateway(ipam_->gateway().ToString());
  response->set_capacity(ipam_->capacity());
  std::vector<ipam::Allocation> allocations = ipam_->List();
  response->set_allocated(allocations.size());
  for (const ipam::Allocation& allocation : allocations) {
    PodRecord record{.allocation = allocation};
    FillAttachment(record, response->add_allocations());
  }
  return grpc::Status::OK;
}

}  // namespace podswitch::agent
