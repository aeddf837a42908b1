// podswitchctl: the operator's CLI, with the verbs of ovs-vsctl, ovs-ofctl and ovs-appctl.
// It is a thin client: it parses the command line, makes gRPC calls to podswitchd and prints.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/version.h"
#include "ctl/commands.h"

namespace {

using podswitch::ctl::GlobalOptions;
using podswitch::ctl::OutputFormat;

constexpr char kFooter[] =
    "Flows use ovs-ofctl's syntax; options may come before or after the verb.\n"
    "Exit status: 0 success; 1 the command failed (podswitchd or the agent unreachable or said\n"
    "no, or a bad value); 2 the command line did not parse (unknown verb or option, missing\n"
    "argument), and br-exists when the bridge does not exist.";

void AddGlobalOptions(CLI::App& app, GlobalOptions& options) {
  app.set_version_flag("--version", std::string("podswitchctl ") + podswitch::kVersion);
  app.add_option("--switch-socket", options.switch_socket, "podswitchd's switch API socket")
      ->type_name("PATH")
      ->envname("PODSWITCH_SWITCH_SOCKET")
      ->capture_default_str();
  app.add_option("--agent-socket", options.agent_socket, "podswitch-agent's API socket")
      ->type_name("PATH")
      ->envname("PODSWITCH_AGENT_SOCKET")
      ->capture_default_str();
  const std::map<std::string, OutputFormat> formats{{"text", OutputFormat::kText},
                                                    {"json", OutputFormat::kJson}};
  app.add_option("-f,--format", options.format, "Output: text, or json for scripts")
      ->type_name("text|json")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case).description(""));
  app.add_option("-t,--timeout", options.timeout_sec,
                 "Seconds to wait for podswitchd or the agent (0: forever)")
      ->type_name("SECONDS")
      ->check(CLI::Validator(CLI::NonNegativeNumber).description(""))
      ->capture_default_str();
  // ovs-vsctl/ovs-ofctl users put these before the verb; verbs show them in their own help.
  app.add_flag("--may-exist", options.may_exist)->group("");
  app.add_flag("--if-exists", options.if_exists)->group("");
  app.add_flag("--strict", options.strict)->group("");
  app.add_flag("--no-stats", options.no_stats)->group("");
}

// Prints a usage error the way the other podswitch binaries do and returns exit status 2;
// help and --version are not errors.
int ExitForParseError(const CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(error);
  const CLI::App* leaf = &app;
  while (!leaf->get_subcommands().empty()) leaf = leaf->get_subcommands().front();
  std::string message = error.what();
  if (leaf->get_require_subcommand_min() > 0 && leaf->get_subcommands().empty()) {
    std::string prefix = leaf == &app ? "" : leaf->get_name() + " ";
    std::vector<std::string> extra = app.remaining(/*recurse=*/true);
    message = extra.empty() ? "missing verb" : "unknown verb '" + prefix + extra.front() + "'";
  }
  std::cerr << "podswitchctl: " << message << "\n"
            << "Run 'podswitchctl --help' or 'podswitchctl VERB --help' for usage.\n";
  return podswitch::ctl::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "podswitchctl: operate a Podswitch node's switch (bridges, ports, flows, MAC "
      "tables, configuration database) and its agent (pods, IPAM)",
      "podswitchctl"};
  app.footer(kFooter);
  app.fallthrough();
  app.require_subcommand(1);
  GlobalOptions options;
  AddGlobalOptions(app, options);
  podswitch::ctl::CommandSet commands;
  podswitch::ctl::AddVsctlCommands(app, commands);
  podswitch::ctl::AddOfctlCommands(app, commands);
  podswitch::ctl::AddAppctlCommands(app, commands);
  podswitch::ctl::AddDbCommands(app, commands);
  podswitch::ctl::AddAgentCommands(app, commands);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return ExitForParseError(app, error);
  }
  if (!commands.selected()) {
    std::cerr << "podswitchctl: missing verb\n";
    return podswitch::ctl::kExitUsage;
  }
  podswitch::ctl::Session session(options);
  absl::Status status = commands.selected()(session);
  if (!status.ok()) {
    std::cerr << "podswitchctl: " << status.message() << "\n";
    return podswitch::ctl::kExitFailure;
  }
  return session.exit_code();
}
