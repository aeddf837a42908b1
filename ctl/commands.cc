// The session and the action binding shared by every verb.
#include "ctl/commands.h"

#include <iostream>
#include <utility>

#include "absl/time/time.h"

namespace podswitch::ctl {

Session::Session(const GlobalOptions& options) : options_(options) {}

namespace {

absl::Duration Timeout(const GlobalOptions& options) {
  return options.timeout_sec > 0 ? absl::Seconds(options.timeout_sec) : absl::InfiniteDuration();
}

}  // namespace

SwitchClient& Session::Switch() {
  if (client_ == nullptr) {
    client_ = std::make_unique<SwitchClient>(options_.switch_socket, Timeout(options_));
  }
  return *client_;
}

AgentClient& Session::Agent() {
  if (agent_ == nullptr) {
    agent_ = std::make_unique<AgentClient>(options_.agent_socket, Timeout(options_));
  }
  return *agent_;
}

void Session::Print(std::string_view text) { std::cout << text << std::flush; }

void Session::PrintJson(const nlohmann::json& value) {
  std::cout << value.dump(2, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace)
            << "\n"
            << std::flush;
}

void Session::PrintReplyIfJson(const google::protobuf::Message& reply) {
  if (json()) PrintJson(MessageToJson(reply));
}

void CommandSet::Bind(CLI::App* command, Action action) {
  command->callback([this, action = std::move(action)] { selected_ = action; });
}

}  // namespace podswitch::ctl
