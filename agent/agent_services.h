// The agent's two gRPC services on unix:/run/podswitch/agent.sock: the CNI service that
// podswitch-cni forwards every runtime call to, and the operator API behind
// `podswitchctl pod list` / `ipam show`. Both are thin layers over PodNetwork (the pod network
// on br-int) and SecondaryNetworks (configs that name a bridge).
#pragma once

#include <string>

#include "agent/l2net/secondary_networks.h"
#include "agent/podnet/pod_network.h"
#include "podswitch/agent/v1/agent.grpc.pb.h"
#include "podswitch/cni/v1/cni.grpc.pb.h"

namespace podswitch::agent {

class CniService final : public cni::v1::Cni::Service {
 public:
  CniService(PodNetwork* network, l2net::SecondaryNetworks* secondary)
      : network_(network), secondary_(secondary) {}
  // Parses the forwarded call as the CNI spec says and runs the verb; every failure comes
  // back as a spec error (code, msg, details), never as a gRPC error.
  grpc::Status Execute(grpc::ServerContext* context, const cni::v1::CniRequest* request,
                       cni::v1::CniResponse* response) override;

 private:
  PodNetwork* network_;
  l2net::SecondaryNetworks* secondary_;
};

class AgentService final : public v1::Agent::Service {
 public:
  AgentService(PodNetwork* network, l2net::SecondaryNetworks* secondary, ipam::Ipam* ipam,
               std::string node_name, std::string version)
      : network_(network),
        secondary_(secondary),
        ipam_(ipam),
        node_name_(std::move(node_name)),
        version_(std::move(version)) {}
  grpc::Status Health(grpc::ServerContext*, const v1::HealthRequest*,
                      v1::HealthResponse* response) override;
  grpc::Status ListPods(grpc::ServerContext*, const v1::ListPodsRequest*,
                        v1::ListPodsResponse* response) override;
  grpc::Status ShowIpam(grpc::ServerContext*, const v1::ShowIpamRequest*,
                        v1::ShowIpamResponse* response) override;

 private:
  PodNetwork* network_;
  l2net::SecondaryNetworks* secondary_;
  ipam::Ipam* ipam_;
  std::string node_name_;
  std::string version_;
};

}  // namespace podswitch::agent
