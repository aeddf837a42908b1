// How podswitchctl's verbs plug into the command line: each family of verbs (vsctl, ofctl,
// appctl, db, agent) adds CLI11 subcommands and binds each to an action. main parses first and runs
// the chosen action after, so a usage error never half-runs a command.
#ifndef PODSWITCH_CTL_COMMANDS_H_
#define PODSWITCH_CTL_COMMANDS_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "ctl/agent_client.h"
#include "ctl/output.h"
#include "ctl/switch_client.h"
#include "nlohmann/json.hpp"

namespace podswitch::ctl {

// Exit codes, as documented in `podswitchctl --help`.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed (daemon error, bad value)
inline constexpr int kExitUsage = 2;    // the command line did not parse; also br-exists: absent

// The options every verb shares.
struct GlobalOptions {
  std::string switch_socket = "/run/podswitch/switchd.sock";
  std::string agent_socket = "/run/podswitch/agent.sock";
  OutputFormat format = OutputFormat::kText;
  double timeout_sec = 10;
  // ovs-vsctl and ovs-ofctl take these before the verb (`--may-exist add-br br0`); podswitchctl
  // accepts them there as well as after it.
  bool may_exist = false;
  bool if_exists = false;
  bool strict = false;
  bool no_stats = false;
};

// What a running command may use: the global options, the switch client and the output.
class Session {
 public:
  // Binds to the parsed global options; the client connects on first use.
  explicit Session(const GlobalOptions& options);

  // The switch API client, created on first use so `--help` never touches the socket.
  SwitchClient& Switch();

  // The agent API client (pod list, ipam show), likewise created on first use.
  AgentClient& Agent();

  // The parsed global options.
  const GlobalOptions& options() const { return options_; }

  // True when the user asked for `--format json`.
  bool json() const { return options_.format == OutputFormat::kJson; }

  // Prints text as is to stdout (text mode output).
  void Print(std::string_view text);

  // Prints one JSON document to stdout, indented, for scripts.
  void PrintJson(const nlohmann::json& value);

  // Prints a mutating verb's reply in JSON mode; text mode stays silent, as ovs-vsctl does.
  void PrintReplyIfJson(const google::protobuf::Message& reply);

  // Lets a verb exit with a code other than 0 without failing (br-exists: 2 when absent).
  void set_exit_code(int code) { exit_code_ = code; }

  // The exit code of a command that returned OK.
  int exit_code() const { return exit_code_; }

 private:
  const GlobalOptions& options_;
  std::unique_ptr<SwitchClient> client_;
  std::unique_ptr<AgentClient> agent_;
  int exit_code_ = kExitOk;
};

// A verb's body, run after parsing succeeded; an error is printed as "podswitchctl: MESSAGE".
using Action = std::function<absl::Status(Session&)>;

// The action the parsed command line selected.
class CommandSet {
 public:
  // Makes `command` select `action` when the user names it.
  void Bind(CLI::App* command, Action action);

  // The selected action, or null when no leaf verb was named.
  const Action& selected() const { return selected_; }

 private:
  Action selected_;
};

// ovs-vsctl's verbs: show, add-br, del-br, list-br, br-exists, add-port, del-port, list-ports,
// port-to-br, set, get, clear.
void AddVsctlCommands(CLI::App& app, CommandSet& commands);

// ovs-ofctl's verbs: add-flow, add-flows, mod-flows, del-flows, dump-flows, dump-ports, trace.
void AddOfctlCommands(CLI::App& app, CommandSet& commands);

// ovs-appctl's verbs: fdb/show, fdb/flush, dpif-netdev/pmd-stats-show.
void AddAppctlCommands(CLI::App& app, CommandSet& commands);

// The configuration database's verbs: db show-log, db dump, monitor.
void AddDbCommands(CLI::App& app, CommandSet& commands);

// podswitch-agent's verbs: pod list, ipam show.
void AddAgentCommands(CLI::App& app, CommandSet& commands);

}  // namespace podswitch::ctl

#endif  // PODSWITCH_CTL_COMMANDS_H_
