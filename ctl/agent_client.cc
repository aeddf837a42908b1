// The gRPC channel from podswitchctl to podswitch-agent.
#include "ctl/agent_client.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace podswitch::ctl {

AgentClient::AgentClient(std::string socket_path, absl::Duration timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout) {
  channel_ =
      grpc::CreateChannel(absl::StrCat("unix:", socket_path_), grpc::InsecureChannelCredentials());
  stub_ = agentapi::Agent::NewStub(channel_);
}

void AgentClient::SetDeadline(grpc::ClientContext& context) const {
  if (timeout_ > absl::ZeroDuration() && timeout_ != absl::InfiniteDuration()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  }
}

}  // namespace podswitch::ctl
