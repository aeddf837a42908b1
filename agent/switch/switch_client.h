// SwitchClient: the agent's connection to podswitchd's public switch API (the only way the
// agent changes the dataplane), with a deadline on every call and errors that say which
// call failed and why.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "podswitch/switchd/v1/switchd.grpc.pb.h"

namespace podswitch::agent {

// True when `have` (a port podswitchd holds) is what `want` asks for: the same bridge and type,
// and every option `want` sets with the same value (podswitchd may add defaults of its own).
bool PortIsAsWanted(const switchd::v1::Port& have, const switchd::v1::Port& want);

class SwitchClient {
 public:
  // Connects lazily to unix:`socket`; `client_name` goes into podswitchd's change log.
  SwitchClient(std::string socket, std::string client_name,
               absl::Duration deadline = absl::Seconds(30));

  absl::StatusOr<switchd::v1::HealthResponse> Health();
  absl::Status EnsureBridge(const std::string& bridge);
  // Creates the port, or returns the existing one of that name (may_exist).
  absl::StatusOr<switchd::v1::Port> EnsurePort(const switchd::v1::Port& port);
  // Creates the port together with `flows` (add-flow texts that may name it) in one
  // podswitchd transaction: ALREADY_EXISTS when the name is taken and !may_exist; with
  // may_exist an existing port is returned and the flows are added to it.
  absl::StatusOr<switchd::v1::Port> CreatePort(const switchd::v1::Port& port,
                                               const std::vector<std::string>& flows,
                                               bool may_exist);
  absl::StatusOr<switchd::v1::Port> GetPort(const std::string& name);
  absl::Status DeletePort(const std::string& name);  // OK when already gone
  // Deletes the port of `bridge` and every flow with exactly `flow_cookie` in one podswitchd
  // transaction; OK when either is already gone.
  absl::Status DeletePortAndFlows(const std::string& bridge, const std::string& name,
                                  uint64_t flow_cookie);
  absl::StatusOr<std::vector<switchd::v1::Port>> ListPorts(const std::string& bridge);
  absl::Status AddFlows(const std::string& bridge, const std::vector<std::string>& flows);
  // Deletes the flow whose table, priority and match are exactly `filter`'s (del-flows --strict).
  absl::Status DeleteFlowStrict(const std::string& bridge, const std::string& filter);
  // Deletes every flow with exactly this cookie (all tables).
  absl::Status DeleteFlowsByCookie(const std::string& bridge, uint64_t cookie);
  absl::StatusOr<std::vector<switchd::v1::Flow>> DumpFlows(const std::string& bridge,
                                                           const std::string& filter);

 private:
  std::unique_ptr<grpc::ClientContext> Context() const;

  std::string socket_;
  std::string client_name_;
  absl::Duration deadline_;
  std::unique_ptr<switchd::v1::Switch::Stub> stub_;
};

}  // namespace podswitch::agent
