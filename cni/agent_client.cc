#include "cni/agent_client.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cni/spec/error.h"
#include "grpcpp/grpcpp.h"
#include "podswitch/cni/v1/cni.grpc.pb.h"

namespace podswitch::cni {
namespace {

// The error for an agent that is not there (yet): the runtime retries on 11; STATUS reports
// the plugin as not available (50) instead.
absl::Status Unreachable(Command command, const std::string& socket_path, std::string_view why) {
  ErrorCode code =
      command == Command::kStatus ? ErrorCode::kPluginNotAvailable : ErrorCode::kTryAgainLater;
  return CniStatus(
      code,
      absl::StrCat("podswitch-agent is not reachable at unix:", socket_path, ": try again later"),
      std::string(why));
}

// Builds the wire request: the CNI_* variables and the stdin bytes, exactly as received.
v1::CniRequest MakeRequest(const RawCniEnv& env, Command command, std::string_view config) {
  v1::CniRequest request;
  request.set_command(std::string(CommandName(command)));
  request.set_container_id(env.container_id);
  request.set_netns(env.netns);
  request.set_ifname(env.ifname);
  request.set_args(env.args);
  request.set_path(env.path);
  request.set_config(std::string(config));
  return request;
}

}  // namespace

absl::StatusOr<std::string> ExecuteOnAgent(const RawCniEnv& env, Command command,
                                           std::string_view config_bytes,
                                           const std::string& socket_path,
                                           absl::Duration deadline) {
  // Checking the socket first answers the common "agent not started" case without starting
  // gRPC at all, and says precisely what is missing.
  struct stat st;
  if (stat(socket_path.c_str(), &st) != 0) {
    return Unreachable(command, socket_path, absl::StrCat("stat: ", std::strerror(errno)));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Unreachable(command, socket_path, "the path exists but is not a unix socket");
  }
  auto channel =
      grpc::CreateChannel(absl::StrCat("unix:", socket_path), grpc::InsecureChannelCredentials());
  auto stub = v1::Cni::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  v1::CniResponse response;
  grpc::Status status = stub->Execute(&context, MakeRequest(env, command, config_bytes), &response);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return Unreachable(command, socket_path, status.error_message());
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return Unreachable(command, socket_path,
                       absl::StrCat("no answer within ", absl::FormatDuration(deadline)));
  }
  if (!status.ok()) {
    return CniStatus(ErrorCode::kInternal,
                     absl::StrCat("podswitch-agent at unix:", socket_path, " failed the ",
                                  std::string(CommandName(command)), " call"),
                     absl::StrCat("gRPC status ", static_cast<int>(status.error_code()), ": ",
                                  status.error_message()));
  }
  if (response.error_code() != 0) {
    return CniStatus(static_cast<ErrorCode>(response.error_code()), response.error_msg(),
                     response.error_details());
  }
  return std::move(*response.mutable_result());
}

}  // namespace podswitch::cni
