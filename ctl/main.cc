// podswitchctl: the operator's CLI, with the verbs of ovs-vsctl, ovs-ofctl and ovs-appctl.
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "common/version.h"

int main(int argc, char** argv) {
  CLI::App app{"podswitchctl: operate a Podswitch node (switch and agent)", "podswitchctl"};
  app.set_version_flag("--version", std::string("podswitchctl ") + podswitch::kVersion);
  std::string switch_socket = "/run/podswitch/switchd.sock";
  std::string agent_socket = "/run/podswitch/agent.sock";
  app.add_option("--switch-socket", switch_socket, "Switch API socket")
      ->envname("PODSWITCH_SWITCH_SOCKET");
  app.add_option("--agent-socket", agent_socket, "Agent API socket")
      ->envname("PODSWITCH_AGENT_SOCKET");
  app.require_subcommand(1);
  // TODO(issue 4): show, add-br, add-port, dump-flows, ... over the switch API.
  CLI11_PARSE(app, argc, argv);
  return 0;
}
