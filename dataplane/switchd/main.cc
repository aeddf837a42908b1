// podswitchd: the DPDK switch daemon (ovs-vswitchd + datapath + ovsdb-server in one).
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "common/version.h"

int main(int argc, char** argv) {
  CLI::App app{"podswitchd: the Podswitch DPDK switch daemon", "podswitchd"};
  app.set_version_flag("--version", std::string("podswitchd ") + podswitch::kVersion);
  std::string db = "/var/lib/podswitch/conf.db";
  std::string socket = "/run/podswitch/switchd.sock";
  std::string metrics = ":9106";
  int pmd_threads = 1;
  std::string instance = "podswitch";
  std::string dpdk_args;
  app.add_option("--db", db, "Path of the config database")->capture_default_str();
  app.add_option("--socket", socket, "Unix socket of the switch API")->capture_default_str();
  app.add_option("--metrics", metrics, "Metrics address, or 'off'")->capture_default_str();
  app.add_option("--pmd-threads", pmd_threads, "Packet polling threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--instance", instance, "Instance name (DPDK --file-prefix)")
      ->capture_default_str();
  app.add_option("--dpdk-args", dpdk_args, "Extra DPDK EAL arguments");
  CLI11_PARSE(app, argc, argv);

  std::fprintf(stderr, "podswitchd %s: the switch daemon is not implemented yet (issue 4)\n",
               podswitch::kVersion);
  return 2;
}
