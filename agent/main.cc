// podswitch-agent: the node's control plane. Serves the CNI service podswitch-cni calls,
// allocates pod IPs, wires pods into br-int through podswitchd's API, and keeps the node's
// pod network (bridge, gateway, base flows) in place across podswitchd restarts.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "agent/agent_services.h"
#include "agent/cluster/cluster_store.h"
#include "agent/cluster/node_from_flags.h"
#include "agent/cluster/standalone_dir_source.h"
#include "agent/ipam/ipam.h"
#include "agent/l2net/secondary_networks.h"
#include "agent/l2net/segment_tunnels.h"
#include "agent/overlay/overlay.h"
#include "agent/overlay/uplink.h"
#include "agent/podnet/pod_network.h"
#include "agent/switch/switch_client.h"
#include "common/metrics_server.h"
#include "common/version.h"
#include "spdlog/spdlog.h"

namespace {

struct Flags {
  std::string switch_socket = "/run/podswitch/switchd.sock";
  std::string socket = "/run/podswitch/agent.sock";
  std::string state_dir = "/var/lib/podswitch";
  std::string node_name;
  std::string pod_cidr;
  std::string standalone_dir;
  std::string kubeconfig;
  std::string metrics = ":9105";
  std::string pod_port_type = "afpacket";
  int mtu = 1450;
  bool mtu_given = false;  // --mtu on the command line: keep it whatever the uplink says
  std::string overlay;     // vxlan, none; "" = vxlan when there is a tunnel local IP
  std::string tunnel_local_ip;
  uint32_t vni = 1;
  uint16_t vxlan_port = 4789;
  std::string vhost_dir = "/run/podswitch/vhost";
  std::string log_level = "info";
};

int Fail(const std::string& what) {
  spdlog::critical("{}", what);
  std::fprintf(stderr, "podswitch-agent: %s\n", what.c_str());
  return 1;
}

int Run(const Flags& flags) {
  using namespace podswitch;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (!flags.kubeconfig.empty()) {
    return Fail(
        "--kubeconfig: the Kubernetes API client is not implemented yet; use "
        "--standalone-dir or --pod-cidr");
  }
  std::string node_name = flags.node_name;
  if (node_name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    node_name = host;
  }
  // The cluster as the standalone directory describes it; flags describe this node when the
  // directory does not.
  agent::cluster::ClusterStore store;
  if (!flags.pod_cidr.empty()) {
    auto node = agent::cluster::NodeFromFlags(node_name, flags.pod_cidr, "");
    if (!node.ok()) return Fail(absl::StrCat("--pod-cidr: ", node.status().message()));
    store.SetFallback(*node);
  }
  std::unique_ptr<agent::cluster::StandaloneDirSource> source;
  if (!flags.standalone_dir.empty()) {
    source = std::make_unique<agent::cluster::StandaloneDirSource>(flags.standalone_dir);
    if (absl::Status status = source->Start(&store); !status.ok()) {
      return Fail(absl::StrCat("--standalone-dir: ", status.message()));
    }
  }
  std::optional<agent::cluster::Node> node = store.GetNode(node_name);
  if (!node || node->pod_cidrs.empty()) {
    return Fail(absl::StrCat("no pod CIDR for node ", node_name, ": define Node ", node_name,
                             " with spec.podCIDR in --standalone-dir, or pass --pod-cidr"));
  }
  std::string local_ip = flags.tunnel_local_ip.empty() ? node->internal_ip : flags.tunnel_local_ip;
  bool use_overlay = flags.overlay == "vxlan" || (flags.overlay.empty() && !local_ip.empty());
  if (use_overlay && local_ip.empty()) {
    return Fail(absl::StrCat("--overlay=vxlan: node ", node_name,
                             " has no InternalIP; pass --tunnel-local-ip"));
  }
  if (!use_overlay) {
    spdlog::info(
        "overlay: none ({}): pods reach this node's pods and the host only",
        flags.overlay == "none"
            ? "--overlay=none"
            : absl::StrCat("node ", node_name, " has no InternalIP and no --tunnel-local-ip"));
  }
  int mtu = flags.mtu;
  if (use_overlay && !flags.mtu_given) {
    auto uplink = agent::overlay::FindUplink(local_ip);
    if (uplink.ok()) {
      mtu = uplink->mtu - agent::overlay::kVxlanOverhead;
      spdlog::info("pods' MTU {}: uplink {} has MTU {}, VXLAN takes {}", mtu, uplink->name,
                   uplink->mtu, agent::overlay::kVxlanOverhead);
    } else {
      spdlog::info("pods' MTU {} (uplink not found: {})", mtu, uplink.status().ToString());
    }
  }
  auto cidr = agent::ipam::Cidr::Parse(node->pod_cidrs.front());
  if (!cidr.ok()) return Fail(absl::StrCat("pod CIDR: ", cidr.status().message()));
  std::error_code error;
  std::filesystem::create_directories(flags.state_dir, error);
  auto ipam = agent::ipam::Ipam::Open(flags.state_dir, *cidr);
  if (!ipam.ok()) return Fail(std::string(ipam.status().message()));

  agent::SwitchClient switch_client(flags.switch_socket,
                                    absl::StrCat("podswitch-agent (", node_name, ")"));
  agent::PodNetwork network({.pod_cidr = *cidr,
                             .mtu = mtu,
                             .pod_port_type = flags.pod_port_type,
                             .vhost_dir = flags.vhost_dir},
                            ipam->get(), &switch_client);

  std::unique_ptr<agent::overlay::Overlay> overlay;
  if (use_overlay) {
    auto created = agent::overlay::Overlay::Create({.node_name = node_name,
                                                    .local_ip = local_ip,
                                                    .vni = flags.vni,
                                                    .dst_port = flags.vxlan_port},
                                                   &switch_client);
    if (!created.ok()) return Fail(std::string(created.status().message()));
    overlay = std::move(*created);
  }

  // Secondary L2 networks (configs naming a bridge); with a VXLAN endpoint their segments
  // reach the other nodes.
  std::unique_ptr<agent::l2net::SecondaryNetworks> secondary;
  std::unique_ptr<agent::l2net::SegmentTunnels> segment_tunnels;
  if (use_overlay) {
    auto created = agent::l2net::SegmentTunnels::Create(
        {.node_name = node_name, .local_ip = local_ip, .dst_port = flags.vxlan_port},
        &switch_client, [&secondary] {
          return secondary ? secondary->Segments() : std::set<agent::l2net::Segment>{};
        });
    if (!created.ok()) return Fail(std::string(created.status().message()));
    segment_tunnels = std::move(*created);
  }
  auto opened = agent::l2net::SecondaryNetworks::Open(
      {.state_dir = flags.state_dir, .port_type = flags.pod_port_type, .vxlan_mtu = mtu},
      &switch_client, segment_tunnels.get());
  if (!opened.ok()) return Fail(std::string(opened.status().message()));
  secondary = std::move(*opened);

  // The pod network needs podswitchd; keep trying in the background until it answers, then
  // keep watching: a restarted podswitchd recreates the gateway tap blank, so set it up again.
  std::atomic<bool> stopping = false;
  std::thread node_setup([&] {
    bool reconciled = false;
    bool overlay_started = false;
    for (int attempt = 0; !stopping;) {
      if (!network.NodeIntact()) {
        absl::Status status = network.EnsureNode();
        if (status.ok()) {
          if (!reconciled) {
            absl::Status result = network.Reconcile();
            if (!result.ok()) spdlog::warn("reconcile: {}", result.ToString());
            result = secondary->Reconcile();
            if (!result.ok()) spdlog::warn("reconcile secondary networks: {}", result.ToString());
            reconciled = true;
          }
          spdlog::info("node {} ready: pod CIDR {}, gateway {} on {}", node_name, cidr->ToString(),
                       network.node().gateway_ip, agent::kGatewayPort);
          // Tunnels need br-int; a podswitchd that came back gets everything checked at once.
          if (overlay && !overlay_started) {
            overlay->Start(&store);
            if (segment_tunnels) segment_tunnels->Start(&store);
            overlay_started = true;
          } else if (overlay) {
            overlay->RequestResync();
            if (segment_tunnels) segment_tunnels->Wake();
          }
          attempt = 0;
        } else if (attempt++ % 10 == 0) {
          spdlog::warn("node setup: {} (retrying)", status.ToString());
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });

  std::filesystem::create_directories(std::filesystem::path(flags.socket).parent_path(), error);
  std::filesystem::remove(flags.socket, error);
  agent::CniService cni_service(&network, secondary.get());
  agent::AgentService agent_service(&network, secondary.get(), ipam->get(), node_name,
                                    std::string("podswitch-agent ") + kVersion);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + flags.socket, grpc::InsecureServerCredentials());
  builder.RegisterService(&cni_service);
  builder.RegisterService(&agent_service);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 4);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    stopping = true;
    node_setup.join();
    return Fail("cannot listen on unix:" + flags.socket);
  }
  chmod(flags.socket.c_str(), 0600);

  std::unique_ptr<MetricsServer> metrics;
  if (flags.metrics != "off") {
    metrics = std::make_unique<MetricsServer>(
        [&] {
          return absl::StrCat(
              "# HELP podswitch_agent_pods Pod attachments on this node.\n"
              "# TYPE podswitch_agent_pods gauge\npodswitch_agent_pods ",
              (*ipam)->List().size(), "\n");
        },
        [&] { return network.Status().ok(); });
    if (absl::Status status = metrics->Start(flags.metrics); !status.ok()) {
      spdlog::warn("{} (continuing without metrics)", status.ToString());
      metrics.reset();
    }
  }
  spdlog::info("podswitch-agent {} serving CNI on {}", kVersion, flags.socket);

  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("signal {}: shutting down", received);
  stopping = true;
  node_setup.join();
  if (overlay) overlay->Stop();
  if (segment_tunnels) segment_tunnels->Stop();
  if (source) source->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (metrics) metrics->Stop();
  std::filesystem::remove(flags.socket, error);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"podswitch-agent: the Podswitch node agent", "podswitch-agent"};
  app.set_version_flag("--version", std::string("podswitch-agent ") + podswitch::kVersion);
  Flags f;
  app.add_option("--switch-socket", f.switch_socket, "Switch API socket")->capture_default_str();
  app.add_option("--socket", f.socket, "CNI and agent API socket")->capture_default_str();
  app.add_option("--state-dir", f.state_dir, "Persistent state (IPAM)")->capture_default_str();
  app.add_option("--node-name", f.node_name, "Name of this node (default: hostname)");
  app.add_option("--pod-cidr", f.pod_cidr, "This node's pod CIDR, e.g. 10.244.1.0/24");
  app.add_option("--standalone-dir", f.standalone_dir, "Cluster objects as YAML in this dir");
  app.add_option("--kubeconfig", f.kubeconfig, "kubeconfig of the Kubernetes API server");
  app.add_option("--metrics", f.metrics, "Metrics address, or 'off'")->capture_default_str();
  app.add_option("--pod-port-type", f.pod_port_type,
                 "Port type for pod veths: afpacket (socket, no per-node limit) or afxdp (ethdev, "
                 "at most 31 per node)")
      ->check(CLI::IsMember({"afxdp", "afpacket"}))
      ->capture_default_str();
  app.add_option("--mtu", f.mtu,
                 "Pods' MTU (default: the tunnel uplink's MTU - 50 when found, else 1450)");
  app.add_option("--overlay", f.overlay,
                 "Pod traffic between nodes: vxlan, or none (default: vxlan when this node has "
                 "an InternalIP or --tunnel-local-ip)")
      ->check(CLI::IsMember({"vxlan", "none"}));
  app.add_option("--tunnel-local-ip", f.tunnel_local_ip,
                 "This node's VXLAN endpoint address (default: its InternalIP)");
  app.add_option("--vni", f.vni, "VXLAN network identifier of the cluster")
      ->check(CLI::Range(0u, 0xffffffu))
      ->capture_default_str();
  app.add_option("--vxlan-port", f.vxlan_port, "VXLAN UDP port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--vhost-dir", f.vhost_dir, "Folder of per-pod vhost-user sockets")
      ->capture_default_str();
  app.add_option("--log-level", f.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  f.mtu_given = app.count("--mtu") > 0;
  spdlog::set_level(spdlog::level::from_str(f.log_level));
  return Run(f);
}
