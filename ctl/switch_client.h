// podswitchctl's connection to podswitchd: one gRPC channel to the switch API's unix socket,
// a deadline on every call, and gRPC failures turned into the one-line errors operators read.
#ifndef PODSWITCH_CTL_SWITCH_CLIENT_H_
#define PODSWITCH_CTL_SWITCH_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "podswitch/switchd/v1/switchd.grpc.pb.h"

namespace podswitch::ctl {

namespace switchd = ::podswitch::switchd::v1;

// Turns a failed call into the error podswitchctl prints: the server's message for its own
// errors, "cannot connect to SOCKET: is podswitchd running?" when nothing answers there, and a
// timeout message naming the socket. The code is kept so callers can test for NOT_FOUND.
// `daemon` names the server in those messages (podswitchd, podswitch-agent).
absl::Status ErrorFromGrpc(const grpc::Status& status, const std::string& socket_path,
                           absl::Duration timeout, const std::string& daemon = "podswitchd");

// A client of the switch API with podswitchctl's conventions (deadline, client name, errors).
class SwitchClient {
 public:
  // Opens a channel to `socket_path`; nothing connects until the first call. A zero or
  // infinite `timeout` means calls wait as long as the daemon takes.
  SwitchClient(std::string socket_path, absl::Duration timeout);

  // Makes one unary call, so commands write `client.Call(&Stub::ListBridges, request)`.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (switchd::Switch::StubInterface::*method)(
                                    grpc::ClientContext*, const Request&, Response*),
                                const Request& request) {
    grpc::ClientContext context;
    SetDeadline(context);
    Response response;
    grpc::Status status = (stub_.get()->*method)(&context, request, &response);
    if (!status.ok()) return ErrorFromGrpc(status, socket_path_, timeout_);
    return response;
  }

  // Streams the change log until the server ends the stream or the process is interrupted;
  // only connecting is bounded by the timeout.
  absl::Status Monitor(const std::function<void(const switchd::ChangeLogEntry&)>& on_entry);

  // The name recorded in podswitchd's change log for changes made by this process.
  static std::string ClientName();

 private:
  void SetDeadline(grpc::ClientContext& context) const;

  std::string socket_path_;
  absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<switchd::Switch::StubInterface> stub_;
};

}  // namespace podswitch::ctl

#endif  // PODSWITCH_CTL_SWITCH_CLIENT_H_
