// The agent's verbs over the agent API: the pods attached on this node and its address pool.
#include <memory>

#include "absl/status/status.h"
#include "ctl/agent_output.h"
#include "ctl/commands.h"

namespace podswitch::ctl {
namespace {

using AgentStub = agentapi::Agent::StubInterface;

void AddPodVerbs(CLI::App& app, CommandSet& commands) {
  CLI::App* pod = app.add_subcommand("pod", "Pods attached on this node (podswitch-agent)");
  pod->require_subcommand(1);
  CLI::App* cmd = pod->add_subcommand(
      "list", "Print each pod attachment: namespace, name, IP, MAC, port, type, link state");
  cmd->alias("ls");
  commands.Bind(cmd, [](Session& s) -> absl::Status {
    auto reply = s.Agent().Call(&AgentStub::ListPods, agentapi::ListPodsRequest());
    if (!reply.ok()) return reply.status();
    if (s.json()) {
      s.PrintJson(PodListToJson(*reply));
    } else {
      s.Print(FormatPodList(*reply));
    }
    return absl::OkStatus();
  });
}

void AddIpamVerbs(CLI::App& app, CommandSet& commands) {
  CLI::App* ipam = app.add_subcommand("ipam", "This node's pod address pool (podswitch-agent)");
  ipam->require_subcommand(1);
  CLI::App* cmd = ipam->add_subcommand(
      "show", "Print the pod CIDR, gateway, capacity and every allocated address");
  commands.Bind(cmd, [](Session& s) -> absl::Status {
    auto reply = s.Agent().Call(&AgentStub::ShowIpam, agentapi::ShowIpamRequest());
    if (!reply.ok()) return reply.status();
    if (s.json()) {
      s.PrintJson(IpamToJson(*reply));
    } else {
      s.Print(FormatIpam(*reply));
    }
    return absl::OkStatus();
  });
}

}  // namespace

void AddAgentCommands(CLI::App& app, CommandSet& commands) {
  AddPodVerbs(app, commands);
  AddIpamVerbs(app, commands);
}

}  // namespace podswitch::ctl
