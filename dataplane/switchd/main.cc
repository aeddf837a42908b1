// podswitchd: the DPDK switch daemon (ovs-vswitchd + datapath + ovsdb-server in one).
// Starts DPDK, opens the config database, rebuilds every bridge, port and flow from it, and
// serves the switch API on a unix socket until SIGTERM/SIGINT.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "CLI/CLI.hpp"
#include "common/metrics_server.h"
#include "common/version.h"
#include "dataplane/dpdk/eal.h"
#include "dataplane/dpdk/pmd.h"
#include "dataplane/switchd/config/config_db.h"
#include "dataplane/switchd/switch_controller.h"
#include "dataplane/switchd/switch_metrics.h"
#include "dataplane/switchd/switch_service.h"
#include "spdlog/spdlog.h"

namespace {

struct Flags {
  std::string db = "/var/lib/podswitch/conf.db";
  std::string socket = "/run/podswitch/switchd.sock";
  std::string metrics = ":9106";
  unsigned pmd_threads = 1;
  std::string instance = "podswitch";
  std::string dpdk_args;
  bool no_huge = false;
  std::string log_level = "info";
  unsigned mbufs = 32767;
};

// Blocks SIGTERM/SIGINT in every thread and waits for one on the main thread.
int WaitForTermination() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

void BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int Fail(const std::string& what) {
  spdlog::critical("{}", what);
  std::fprintf(stderr, "podswitchd: %s\n", what.c_str());
  return 1;
}

int Run(const Flags& flags) {
  using namespace podswitch;
  BlockTerminationSignals();  // before any thread starts, so only sigwait sees them

  // The database first: a refused file must stop us before DPDK grabs any memory.
  auto db = switchd::config::ConfigDb::Open(flags.db);
  if (!db.ok()) return Fail(std::string(db.status().message()));

  dpdk::EalOptions eal;
  eal.instance = flags.instance;
  eal.pmd_threads = flags.pmd_threads;
  eal.extra_args = flags.dpdk_args;
  eal.force_no_huge = flags.no_huge;
  dpdk::HugepageState huge = dpdk::ProbeHugepages(eal.min_free_huge_mb);
  if (absl::Status status = dpdk::StartEal(eal); !status.ok()) {
    return Fail(absl::StrCat("cannot start DPDK: ", status.message()));
  }
  // Most drivers take mbufs only as packets arrive (af_xdp ports bring their own pool), so a
  // shared pool of this size serves many ports; --mbufs raises it.
  auto pool = dpdk::CreatePacketPool(flags.instance + "_pkts", flags.mbufs);
  if (!pool.ok()) return Fail(std::string(pool.status().message()));

  switchd::SwitchController* controller_ptr = nullptr;
  dpdk::DatapathOptions datapath_options;
  datapath_options.pmd_threads = flags.pmd_threads;
  datapath_options.on_port_lost = [&controller_ptr](const dpdk::LostPort& lost) {
    if (controller_ptr != nullptr) controller_ptr->OnPortLost(lost);
  };
  auto datapath = dpdk::Datapath::Start(datapath_options);
  if (!datapath.ok()) return Fail(std::string(datapath.status().message()));

  auto controller = std::make_unique<switchd::SwitchController>(db->get(), datapath->get(), *pool);
  controller_ptr = controller.get();
  if (absl::Status status = controller->Restore(); !status.ok()) {
    return Fail(absl::StrCat("restore from ", flags.db, ": ", status.message()));
  }

  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(flags.socket).parent_path(), ignored);
  std::filesystem::remove(flags.socket, ignored);
  switchd::SwitchService service(controller.get(), std::string("podswitchd ") + kVersion,
                                 huge.usable && !flags.no_huge, flags.pmd_threads);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + flags.socket, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return Fail("cannot listen on unix:" + flags.socket);
  chmod(flags.socket.c_str(), 0600);

  std::unique_ptr<MetricsServer> metrics;
  if (flags.metrics != "off") {
    metrics = std::make_unique<MetricsServer>(
        [&] { return switchd::RenderSwitchMetrics(*controller); }, [] { return true; });
    if (absl::Status status = metrics->Start(flags.metrics); !status.ok()) {
      spdlog::warn("{} (continuing without metrics)", status.ToString());
      metrics.reset();
    }
  }
  spdlog::info("podswitchd {} ready: db {}, socket {}, {} PMD thread(s), {}", kVersion, flags.db,
               flags.socket, flags.pmd_threads,
               huge.usable && !flags.no_huge ? "hugepages" : "--no-huge");

  int signal = WaitForTermination();
  spdlog::info("signal {}: shutting down", signal);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (metrics) metrics->Stop();
  controller.reset();
  datapath->reset();
  dpdk::FreePacketPool(*pool);
  dpdk::StopEal();
  std::filesystem::remove(flags.socket, ignored);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"podswitchd: the Podswitch DPDK switch daemon", "podswitchd"};
  app.set_version_flag("--version", std::string("podswitchd ") + podswitch::kVersion);
  Flags flags;
  app.add_option("--db", flags.db, "Path of the config database")->capture_default_str();
  app.add_option("--socket", flags.socket, "Unix socket of the switch API")->capture_default_str();
  app.add_option("--metrics", flags.metrics, "Metrics address HOST:PORT or :PORT, or 'off'")
      ->capture_default_str();
  app.add_option("--pmd-threads", flags.pmd_threads, "Packet polling threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--instance", flags.instance, "Instance name (DPDK --file-prefix)")
      ->capture_default_str();
  app.add_option("--dpdk-args", flags.dpdk_args, "Extra DPDK EAL arguments");
  app.add_flag("--no-huge", flags.no_huge, "Do not use hugepages even when reserved");
  app.add_option("--mbufs", flags.mbufs, "Packet buffers in the shared pool")
      ->check(CLI::Range(2047u, 4194303u))
      ->capture_default_str();
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  return Run(flags);
}
