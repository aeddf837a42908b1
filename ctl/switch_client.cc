// The gRPC channel from podswitchctl to podswitchd.
#include "ctl/switch_client.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace podswitch::ctl {
namespace {

bool HasDeadline(absl::Duration timeout) {
  return timeout > absl::ZeroDuration() && timeout != absl::InfiniteDuration();
}

// gRPC reports a socket nobody listens on as UNAVAILABLE with a transport message; a server
// may also answer UNAVAILABLE itself, with its own words, which must reach the user unchanged.
bool IsConnectFailure(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  const std::string& m = status.error_message();
  return m.empty() || absl::StrContains(m, "failed to connect") ||
         absl::StrContains(m, "Connection refused") || absl::StrContains(m, "No such file") ||
         absl::StrContains(m, "Permission denied") || absl::StrContains(m, "Socket closed") ||
         absl::StrContains(m, "Connection reset");
}

absl::Status ConnectError(const std::string& socket_path,
                          const std::string& daemon = "podswitchd") {
  if (access(socket_path.c_str(), R_OK | W_OK) != 0 && errno == EACCES) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", socket_path,
                                               ": permission denied (the socket is root-only)"));
  }
  return absl::UnavailableError(
      absl::StrCat("cannot connect to ", socket_path, ": is ", daemon, " running?"));
}

}  // namespace

absl::Status ErrorFromGrpc(const grpc::Status& status, const std::string& socket_path,
                           absl::Duration timeout, const std::string& daemon) {
  if (status.ok()) return absl::OkStatus();
  if (IsConnectFailure(status)) return ConnectError(socket_path, daemon);
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::DeadlineExceededError(
        absl::StrCat("timed out after ", absl::FormatDuration(timeout), " waiting for ", daemon,
                     " at ", socket_path, " (see --timeout)"));
  }
  auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string message = status.error_message();
  if (message.empty()) message = absl::StrCat(daemon, " failed: ", absl::StatusCodeToString(code));
  return absl::Status(code, message);
}

SwitchClient::SwitchClient(std::string socket_path, absl::Duration timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout) {
  channel_ =
      grpc::CreateChannel(absl::StrCat("unix:", socket_path_), grpc::InsecureChannelCredentials());
  stub_ = switchd::Switch::NewStub(channel_);
}

void SwitchClient::SetDeadline(grpc::ClientContext& context) const {
  if (HasDeadline(timeout_)) context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
}

absl::Status SwitchClient::Monitor(
    const std::function<void(const switchd::ChangeLogEntry&)>& on_entry) {
  if (HasDeadline(timeout_) &&
      !channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + timeout_))) {
    return ConnectError(socket_path_);
  }
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderInterface<switchd::ChangeLogEntry>> reader =
      stub_->Monitor(&context, switchd::MonitorRequest());
  switchd::ChangeLogEntry entry;
  while (reader->Read(&entry)) on_entry(entry);
  grpc::Status status = reader->Finish();
  if (!status.ok()) return ErrorFromGrpc(status, socket_path_, timeout_);
  return absl::OkStatus();
}

std::string SwitchClient::ClientName() {
  return absl::StrCat("podswitchctl (uid ", getuid(), ", pid ", getpid(), ")");
}

}  // namespace podswitch::ctl
