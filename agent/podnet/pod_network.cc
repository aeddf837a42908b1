#include "agent/podnet/pod_network.h"

#include <net/if.h>

#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/netlink/host_interface.h"
#include "agent/netlink/pod_wiring.h"
#include "agent/podnet/pod_port.h"
#include "agent/podnet/switch_error.h"
#include "cni/spec/error.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace podswitch::agent {
namespace {

using cni::CniStatus;
using cni::ErrorCode;

constexpr char kPortPrefix[] = "psw";

std::string VhostSocketPath(const std::string& dir, const std::string& container_id,
                            const std::string& ifname) {
  return absl::StrCat(dir, "/", container_id.substr(0, 64), "/", ifname, ".sock");
}

}  // namespace

PodNetwork::PodNetwork(PodNetworkOptions options, ipam::Ipam* ipam, SwitchClient* switch_client)
    : options_(std::move(options)), ipam_(ipam), switch_(switch_client) {
  node_.pod_cidr = options_.pod_cidr.ToString();
  node_.gateway_ip = ipam_->gateway().ToString();
  node_.gateway_mac = netlink::PodMacAddress(ipam_->gateway());
}

absl::Status PodNetwork::EnsureNode() {
  absl::MutexLock lock(&node_mu_);
  PODSWITCH_RETURN_IF_ERROR(switch_->EnsureBridge(kIntegrationBridge));
  switchd::v1::Port gateway;
  gateway.set_bridge(kIntegrationBridge);
  gateway.set_name(kGatewayPort);
  gateway.set_type("tap");
  PODSWITCH_ASSIGN_OR_RETURN(switchd::v1::Port port, switch_->EnsurePort(gateway));
  if (port.link_state() != "up") {
    return absl::UnavailableError(
        absl::StrCat("gateway port ", kGatewayPort, " is not up: ", port.error()));
  }
  PODSWITCH_RETURN_IF_ERROR(netlink::ConfigureHostInterface({
      .ifname = kGatewayPort,
      .mac = node_.gateway_mac,
      .ip = ipam_->gateway(),
      .prefix_len = options_.pod_cidr.prefix_len(),
      .mtu = options_.mtu,
  }));
  PODSWITCH_RETURN_IF_ERROR(switch_->AddFlows(kIntegrationBridge, BaseFlows(node_)));
  gateway_ifindex_ = if_nametoindex(kGatewayPort);
  node_ready_ = true;
  return absl::OkStatus();
}

bool PodNetwork::NodeIntact() {
  absl::MutexLock lock(&node_mu_);
  if (!node_ready_) return false;
  if (gateway_ifindex_ != 0 && if_nametoindex(kGatewayPort) == gateway_ifindex_) return true;
  spdlog::warn(
      "gateway {} is gone or was recreated (podswitchd restarted?): setting up the node again",
      kGatewayPort);
  node_ready_ = false;
  return false;
}

absl::StatusOr<cni::Result> PodNetwork::Add(const cni::CniInvocation& invocation) {
  if (invocation.interface_type == cni::InterfaceType::kTap) {
    return CniStatus(ErrorCode::kUnsupportedField,
                     "interfaceType tap is not supported by this podswitch-agent yet");
  }
  if (!NodeIntact()) {
    absl::Status ensured = EnsureNode();
    if (!ensured.ok()) return SwitchError(ensured, ErrorCode::kTryAgainLater, "node setup");
  }
  std::shared_ptr<absl::Mutex> container = container_locks_.Get(invocation.env.container_id);
  absl::MutexLock lock(container.get());
  auto result = AddLocked(invocation);
  if (!result.ok()) {
    // Leave nothing half made: the runtime will DEL, but a failed ADD must already be clean.
    absl::Status undone =
        Teardown(invocation.env.container_id, invocation.env.ifname, invocation.env.netns);
    if (!undone.ok()) spdlog::warn("undo failed ADD: {}", undone.ToString());
  }
  return result;
}

absl::StatusOr<cni::Result> PodNetwork::AddLocked(const cni::CniInvocation& invocation) {
  const absl::Time start = absl::Now();
  const cni::CniEnv& env = invocation.env;
  // IPAM allocates first and releases last, so an attachment it does not know has nothing
  // left anywhere: a new pod goes straight to veth, port and flows. A known one is a repeated
  // or retried ADD and finds what is already there (complete, half made, or stale).
  const bool retry = ipam_->Get(env.container_id, env.ifname).has_value();
  auto allocation =
      ipam_->Allocate(env.container_id, env.ifname, env.args.pod_namespace, env.args.pod_name);
  if (!allocation.ok()) {
    return CniStatus(absl::IsResourceExhausted(allocation.status()) ? ErrorCode::kIpamExhausted
                                                                    : ErrorCode::kInternal,
                     std::string(allocation.status().message()));
  }
  const std::string port_name = netlink::HostVethName(env.container_id, env.ifname);
  const std::string mac = netlink::PodMacAddress(allocation->ip);
  const int prefix = options_.pod_cidr.prefix_len();
  const int mtu = invocation.config.mtu.value_or(options_.mtu);
  cni::Result result;

  switchd::v1::Port port;
  port.set_bridge(kIntegrationBridge);
  port.set_name(port_name);
  if (invocation.interface_type == cni::InterfaceType::kVhostUser) {
    std::string socket = VhostSocketPath(options_.vhost_dir, env.container_id, env.ifname);
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(socket).parent_path(), error);
    if (error) {
      return CniStatus(ErrorCode::kInterfaceSetupFailed,
                       absl::StrCat("create vhost-user directory for ", socket), error.message());
    }
    port.set_type("vhostuser");
    (*port.mutable_options())["vhost-server-path"] = socket;
    result.interfaces.push_back(
        {.name = env.ifname, .mac = mac, .mtu = mtu, .sandbox = env.netns, .socket_path = socket});
  } else {
    netlink::PodInterfaceConfig config{.container_id = env.container_id,
                                       .netns_path = env.netns,
                                       .ifname = env.ifname,
                                       .ip = allocation->ip,
                                       .prefix_len = prefix,
                                       .gateway = ipam_->gateway(),
                                       .mtu = mtu};
    port.set_type(options_.pod_port_type);
    auto host_mac = WirePodVeth(*switch_, config, port, PodFlowCookie(port_name), /*retry=*/retry);
    if (!host_mac.ok()) return host_mac.status();
    result.interfaces.push_back({.name = port_name, .mac = *host_mac});
    result.interfaces.push_back({.name = env.ifname, .mac = mac, .mtu = mtu, .sandbox = env.netns});
  }
  // The port and its flows in one podswitchd transaction: the port never exists without its
  // spoof guard.
  const std::vector<std::string> flows =
      PodFlows(node_, {.port = port_name, .ip = allocation->ip.ToString(), .mac = mac});
  auto attached = AttachPodPort(*switch_, port, flows, PodFlowCookie(port_name), retry);
  if (!attached.ok()) return attached.status();
  int pod_if = static_cast<int>(result.interfaces.size()) - 1;
  result.ips.push_back({.address = absl::StrCat(allocation->ip.ToString(), "/", prefix),
                        .gateway = node_.gateway_ip,
                        .interface = pod_if});
  result.routes.push_back({.dst = "0.0.0.0/0", .gw = node_.gateway_ip});
  result.dns = invocation.config.dns;
  spdlog::info("ADD {} {}/{} ({}): {} on {} in {:.1f} ms", env.container_id.substr(0, 12),
               env.args.pod_namespace, env.args.pod_name, port.type(), allocation->ip.ToString(),
               port_name, absl::ToDoubleMilliseconds(absl::Now() - start));
  return result;
}

absl::Status PodNetwork::Teardown(const std::string& container_id, const std::string& ifname,
                                  const std::string& netns) {
  const std::string port_name = netlink::HostVethName(container_id, ifname);
  absl::Status port =
      switch_->DeletePortAndFlows(kIntegrationBridge, port_name, PodFlowCookie(port_name));
  if (!port.ok()) return SwitchError(port, ErrorCode::kTryAgainLater, "delete port " + port_name);
  absl::Status wiring = netlink::DeletePodInterface(container_id, netns, ifname);
  if (!wiring.ok()) {
    return CniStatus(ErrorCode::kInterfaceSetupFailed, std::string(wiring.message()));
  }
  std::error_code ignored;
  std::filesystem::remove_all(
      std::filesystem::path(VhostSocketPath(options_.vhost_dir, container_id, ifname))
          .parent_path(),
      ignored);
  auto released = ipam_->Release(container_id, ifname);
  if (!released.ok())
    return CniStatus(ErrorCode::kInternal, std::string(released.status().message()));
  return absl::OkStatus();
}

absl::Status PodNetwork::Del(const cni::CniInvocation& invocation) {
  std::shared_ptr<absl::Mutex> container = container_locks_.Get(invocation.env.container_id);
  absl::MutexLock lock(container.get());
  return Teardown(invocation.env.container_id, invocation.env.ifname, invocation.env.netns);
}

absl::Status PodNetwork::Check(const cni::CniInvocation& invocation) {
  const cni::CniEnv& env = invocation.env;
  std::shared_ptr<absl::Mutex> container = container_locks_.Get(env.container_id);
  absl::MutexLock lock(container.get());
  auto allocation = ipam_->Get(env.container_id, env.ifname);
  if (!allocation) {
    return CniStatus(ErrorCode::kUnknownContainer,
                     absl::StrCat("no attachment of container ", env.container_id, " ifname ",
                                  env.ifname, " on this node"));
  }
  const std::string port_name = netlink::HostVethName(env.container_id, env.ifname);
  if (invocation.interface_type == cni::InterfaceType::kVeth) {
    absl::Status wiring =
        netlink::CheckPodInterface({.container_id = env.container_id,
                                    .netns_path = env.netns,
                                    .ifname = env.ifname,
                                    .ip = allocation->ip,
                                    .prefix_len = options_.pod_cidr.prefix_len(),
                                    .gateway = ipam_->gateway(),
                                    .mtu = invocation.config.mtu.value_or(options_.mtu)});
    if (!wiring.ok()) return CniStatus(ErrorCode::kCheckFailed, std::string(wiring.message()));
  }
  auto port = switch_->GetPort(port_name);
  if (!port.ok()) {
    return SwitchError(port.status(), ErrorCode::kCheckFailed,
                       absl::StrCat("port ", port_name, " on ", kIntegrationBridge));
  }
  if (port->link_state() != "up") {
    return CniStatus(ErrorCode::kCheckFailed,
                     absl::StrCat("port ", port_name, " is ", port->link_state()), port->error());
  }
  auto flows = switch_->DumpFlows(
      kIntegrationBridge, absl::StrCat("cookie=0x", absl::Hex(PodFlowCookie(port_name)), "/-1"));
  if (!flows.ok()) return SwitchError(flows.status(), ErrorCode::kCheckFailed, "dump flows");
  size_t want = PodFlows(node_, {port_name, allocation->ip.ToString(), ""}).size();
  if (flows->size() != want) {
    return CniStatus(
        ErrorCode::kCheckFailed,
        absl::StrCat("pod ", port_name, " has ", flows->size(), " of its ", want, " flows"));
  }
  return absl::OkStatus();
}

absl::Status PodNetwork::Gc(const cni::CniInvocation& invocation) {
  std::set<std::pair<std::string, std::string>> valid;
  for (const cni::Attachment& a :
       invocation.config.valid_attachments.value_or(std::vector<cni::Attachment>{})) {
    valid.insert({a.container_id, a.ifname});
  }
  for (const ipam::Allocation& allocation : ipam_->List()) {
    if (valid.contains({allocation.container_id, allocation.ifname})) continue;
    std::shared_ptr<absl::Mutex> container = container_locks_.Get(allocation.container_id);
    absl::MutexLock lock(container.get());
    spdlog::info("GC: releasing {} {}", allocation.container_id, allocation.ip.ToString());
    PODSWITCH_RETURN_IF_ERROR(Teardown(allocation.container_id, allocation.ifname, ""));
  }
  return absl::OkStatus();
}

absl::Status PodNetwork::Status() {
  auto health = switch_->Health();
  if (!health.ok()) {
    return CniStatus(ErrorCode::kPluginNotAvailable,
                     absl::StrCat("podswitchd is not ready: ", health.status().message()));
  }
  if (!NodeIntact()) {
    return CniStatus(ErrorCode::kPluginNotAvailable, "the node's pod network is not set up yet");
  }
  return absl::OkStatus();
}

absl::Status PodNetwork::Reconcile() {
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<switchd::v1::Port> ports,
                             switch_->ListPorts(kIntegrationBridge));
  std::set<std::string> port_names;
  for (const auto& port : ports) port_names.insert(port.name());
  // IPs whose pod has neither a port nor a host veth any more.
  auto released = ipam_->Reconcile([&](const ipam::Allocation& allocation) {
    std::string name = netlink::HostVethName(allocation.container_id, allocation.ifname);
    return port_names.contains(name) ||
           std::filesystem::exists(absl::StrCat("/sys/class/net/", name));
  });
  if (!released.ok()) return released.status();
  for (const auto& allocation : *released) {
    spdlog::info("reconcile: released {} of {}", allocation.ip.ToString(), allocation.container_id);
  }
  // Pod ports (and their flows) with no IP allocated: an ADD or DEL cut short.
  std::set<std::string> owned;
  for (const ipam::Allocation& allocation : ipam_->List()) {
    owned.insert(netlink::HostVethName(allocation.container_id, allocation.ifname));
  }
  for (const auto& port : ports) {
    if (!absl::StartsWith(port.name(), kPortPrefix) || owned.contains(port.name())) continue;
    spdlog::info("reconcile: removing stale port {}", port.name());
    (void)switch_->DeletePortAndFlows(kIntegrationBridge, port.name(), PodFlowCookie(port.name()));
  }
  return absl::OkStatus();
}

std::vector<PodRecord> PodNetwork::ListPods() {
  std::vector<PodRecord> pods;
  for (const ipam::Allocation& allocation : ipam_->List()) {
    PodRecord record{.allocation = allocation,
                     .port = netlink::HostVethName(allocation.container_id, allocation.ifname),
                     .mac = netlink::PodMacAddress(allocation.ip)};
    auto port = switch_->GetPort(record.port);
    record.interface_type =
        port.ok() ? (port->type() == "vhostuser" ? "vhostuser" : "veth") : "unknown";
    record.link_state = port.ok() ? port->link_state() : "missing";
    pods.push_back(record);
  }
  return pods;
}

}  // namespace podswitch::agent
