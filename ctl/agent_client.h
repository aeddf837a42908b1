// podswitchctl's connection to podswitch-agent: one gRPC channel to the agent API's unix
// socket (--agent-socket / PODSWITCH_AGENT_SOCKET), a deadline on every call, and failures
// turned into one-line errors that name the agent and its socket.
#ifndef PODSWITCH_CTL_AGENT_CLIENT_H_
#define PODSWITCH_CTL_AGENT_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ctl/switch_client.h"
#include "grpcpp/grpcpp.h"
#include "podswitch/agent/v1/agent.grpc.pb.h"

namespace podswitch::ctl {

namespace agentapi = ::podswitch::agent::v1;

// A client of the agent API with podswitchctl's conventions (deadline, errors).
class AgentClient {
 public:
  // Opens a channel to `socket_path`; nothing connects until the first call. A zero or
  // infinite `timeout` means calls wait as long as the agent takes.
  AgentClient(std::string socket_path, absl::Duration timeout);

  // Makes one unary call: `client.Call(&Stub::ListPods, request)`.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (agentapi::Agent::StubInterface::*method)(
                                    grpc::ClientContext*, const Request&, Response*),
                                const Request& request) {
    grpc::ClientContext context;
    SetDeadline(context);
    Response response;
    grpc::Status status = (stub_.get()->*method)(&context, request, &response);
    if (!status.ok()) return ErrorFromGrpc(status, socket_path_, timeout_, "podswitch-agent");
    return response;
  }

 private:
  void SetDeadline(grpc::ClientContext& context) const;

  std::string socket_path_;
  absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<agentapi::Agent::StubInterface> stub_;
};

}  // namespace podswitch::ctl

#endif  // PODSWITCH_CTL_AGENT_CLIENT_H_
