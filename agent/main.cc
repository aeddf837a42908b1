// podswitch-agent: the node's control plane (CNI service, IPAM, pod wiring, policy, overlay).
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "common/version.h"

int main(int argc, char** argv) {
  CLI::App app{"podswitch-agent: the Podswitch node agent", "podswitch-agent"};
  app.set_version_flag("--version", std::string("podswitch-agent ") + podswitch::kVersion);
  std::string switch_socket = "/run/podswitch/switchd.sock";
  std::string socket = "/run/podswitch/agent.sock";
  std::string state_dir = "/var/lib/podswitch";
  std::string node_name;
  std::string standalone_dir;
  std::string kubeconfig;
  std::string metrics = ":9105";
  app.add_option("--switch-socket", switch_socket, "Switch API socket")->capture_default_str();
  app.add_option("--socket", socket, "CNI and agent API socket")->capture_default_str();
  app.add_option("--state-dir", state_dir, "Persistent state (IPAM)")->capture_default_str();
  app.add_option("--node-name", node_name, "Name of this node (default: hostname)");
  app.add_option("--standalone-dir", standalone_dir, "Cluster objects as YAML in this dir");
  app.add_option("--kubeconfig", kubeconfig, "kubeconfig of the Kubernetes API server");
  app.add_option("--metrics", metrics, "Metrics address, or 'off'")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::fprintf(stderr, "podswitch-agent %s: the agent is not implemented yet (issue 5)\n",
               podswitch::kVersion);
  return 2;
}
