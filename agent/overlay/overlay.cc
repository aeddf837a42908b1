#include "agent/overlay/overlay.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/ipam/cidr.h"
#include "agent/overlay/flow_resync.h"
#include "agent/podnet/pod_flows.h"
#include "spdlog/spdlog.h"

namespace podswitch::agent::overlay {
namespace {

namespace v1 = switchd::v1;

// "10.225.2.0/24 via 10.226.0.2", how logs name a remote node's tunnel.
std::string Describe(const RemoteNode& node) {
  return absl::StrCat(absl::StrJoin(node.pod_cidrs, ","), " via ", node.internal_ip);
}

std::string OptionsText(const v1::Port& port) {
  std::map<std::string, std::string> sorted(port.options().begin(), port.options().end());
  return absl::StrJoin(sorted, " ", absl::PairFormatter("="));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Overlay>> Overlay::Create(OverlayOptions options,
                                                         SwitchClient* switch_client) {
  if (options.node_name.empty()) return absl::InvalidArgumentError("overlay: no node name");
  if (absl::Status ip = ipam::Ipv4Address::Parse(options.local_ip).status(); !ip.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tunnel local IP \"", options.local_ip, "\": ", ip.message()));
  }
  if (options.vni > kMaxVni) {
    return absl::InvalidArgumentError(
        absl::StrCat("VNI ", options.vni, " is out of range: VXLAN carries 0..", kMaxVni));
  }
  if (options.dst_port == 0) return absl::InvalidArgumentError("VXLAN UDP port 0 is not valid");
  return std::unique_ptr<Overlay>(new Overlay(std::move(options), switch_client));
}

Overlay::Overlay(OverlayOptions options, SwitchClient* switch_client)
    : options_(std::move(options)), switch_(switch_client) {}

Overlay::~Overlay() { Stop(); }

void Overlay::Start(cluster::ClusterStore* store) {
  if (thread_.joinable()) return;
  store_ = store;
  subscription_ =
      store_->Subscribe([this](const cluster::ClusterEvent& event) { OnClusterEvent(event); });
  spdlog::info("overlay: VXLAN VNI {} from {} (UDP {}) on {}", options_.vni, options_.local_ip,
               options_.dst_port, kTunnelPort);
  thread_ = std::thread([this] { Run(); });
}

void Overlay::Stop() {
  if (store_ != nullptr) {
    store_->Unsubscribe(subscription_);
    store_ = nullptr;
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Overlay::RequestResync() {
  absl::MutexLock lock(&mu_);
  resync_requested_ = true;
  in_sync_ = false;
}

std::map<std::string, RemoteNode> Overlay::RemoteNodes() const {
  absl::MutexLock lock(&mu_);
  return wanted_;
}

bool Overlay::InSync() const {
  absl::MutexLock lock(&mu_);
  return in_sync_;
}

void Overlay::OnClusterEvent(const cluster::ClusterEvent& event) {
  if (event.kind != cluster::ObjectKind::kNode) return;
  const auto& node = std::get<cluster::Node>(event.object);
  std::optional<RemoteNode> remote;
  if (event.type != cluster::EventType::kDeleted) {
    remote = RemoteNodeFromNode(node, options_.node_name);
  }
  const std::string& name = node.meta.name;
  absl::MutexLock lock(&mu_);
  auto found = wanted_.find(name);
  if (remote) {
    if (found != wanted_.end() && found->second == *remote) return;
    spdlog::info("overlay: node {} ({}): {}", name, cluster::EventTypeName(event.type),
                 Describe(*remote));
    wanted_[name] = *remote;
  } else {
    if (found == wanted_.end()) return;
    spdlog::info("overlay: node {} ({}): no tunnel any more", name,
                 cluster::EventTypeName(event.type));
    wanted_.erase(found);
  }
  changed_.insert(name);
}

bool Overlay::WorkPending() const { return stopping_ || resync_requested_ || !changed_.empty(); }

void Overlay::Run() {
  absl::Time next_resync = absl::Now();
  std::string last_error;
  while (true) {
    std::map<std::string, RemoteNode> wanted;
    std::set<std::string> changed;
    bool full = false;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithDeadline(absl::Condition(this, &Overlay::WorkPending), next_resync);
      if (stopping_) return;
      full = resync_requested_ || absl::Now() >= next_resync;
      wanted = wanted_;
      if (full) {
        resync_requested_ = false;
        changed_.clear();
      } else {
        changed.swap(changed_);
      }
    }
    absl::Status status = full ? EnsureTunnelPort() : absl::OkStatus();
    if (status.ok()) status = full ? Resync(wanted) : ApplyChanges(wanted, changed);
    if (status.ok()) {
      if (full) {
        next_resync = absl::Now() + options_.resync_interval;
        absl::MutexLock lock(&mu_);
        in_sync_ = !resync_requested_;
      }
      if (!last_error.empty()) spdlog::info("overlay: tunnels to {} nodes in place", wanted.size());
      last_error.clear();
      continue;
    }
    // podswitchd away or refusing: try everything again soon, saying so once per cause.
    if (status.ToString() != last_error) {
      last_error = status.ToString();
      spdlog::warn("overlay: {} (retrying every {})", last_error,
                   absl::FormatDuration(options_.retry_interval));
    }
    next_resync = absl::Now() + options_.retry_interval;
    absl::MutexLock lock(&mu_);
    in_sync_ = false;
  }
}

absl::Status Overlay::EnsureTunnelPort() {
  v1::Port want;
  want.set_bridge(kIntegrationBridge);
  want.set_name(kTunnelPort);
  want.set_type(kTunnelPortType);
  for (const auto& [key, value] : TunnelPortOptions(options_.local_ip, options_.dst_port)) {
    (*want.mutable_options())[key] = value;
  }
  absl::StatusOr<v1::Port> have = switch_->EnsurePort(want);
  if (!have.ok()) return have.status();
  if (!PortIsAsWanted(*have, want)) {
    spdlog::warn("overlay: port {} is a {} port on {} with options {}; recreating it with {}",
                 kTunnelPort, have->type(), have->bridge(), OptionsText(*have), OptionsText(want));
    if (absl::Status status = switch_->DeletePort(kTunnelPort); !status.ok()) return status;
    have = switch_->EnsurePort(want);
    if (!have.ok()) return have.status();
  }
  if (have->ofport() != tunnel_ofport_) {
    spdlog::info("overlay: {} is ofport {} on {} (link {}{}{})", kTunnelPort, have->ofport(),
                 kIntegrationBridge, have->link_state(), have->error().empty() ? "" : ": ",
                 have->error());
    tunnel_ofport_ = have->ofport();
  }
  return absl::OkStatus();
}

absl::Status Overlay::Resync(const std::map<std::string, RemoteNode>& wanted) {
  std::map<uint64_t, std::vector<std::string>> desired;
  std::map<uint64_t, std::string> names;
  for (const auto& [name, node] : wanted) {
    uint64_t cookie = RemoteNodeFlowCookie(name);
    desired[cookie] = RemoteNodeFlows(node, options_.vni);
    names[cookie] = name;
  }
  absl::StatusOr<std::vector<v1::Flow>> installed =
      switch_->DumpFlows(kIntegrationBridge, RemoteNodeCookieFilter());
  if (!installed.ok()) return installed.status();
  absl::StatusOr<ResyncPlan> plan = PlanResync(desired, *installed, tunnel_ofport_);
  if (!plan.ok()) return plan.status();
  installed_.clear();
  for (uint64_t cookie : plan->stale) {
    spdlog::info("overlay: removing tunnel flows of a node no longer known (cookie {:#x})", cookie);
    if (absl::Status status = RewriteCookie(cookie, {}); !status.ok()) return status;
  }
  for (uint64_t cookie : plan->rewrite) {
    spdlog::info("overlay: writing tunnel flows of node {} ({})", names[cookie],
                 Describe(wanted.at(names[cookie])));
    if (absl::Status status = RewriteCookie(cookie, desired[cookie]); !status.ok()) return status;
  }
  for (const auto& [cookie, flows] : desired) installed_[names[cookie]] = flows;
  return absl::OkStatus();
}

absl::Status Overlay::ApplyChanges(const std::map<std::string, RemoteNode>& wanted,
                                   const std::set<std::string>& changed) {
  for (const std::string& name : changed) {
    auto node = wanted.find(name);
    std::vector<std::string> flows;
    if (node != wanted.end()) flows = RemoteNodeFlows(node->second, options_.vni);
    auto current = installed_.find(name);
    if (current != installed_.end() ? current->second == flows : flows.empty()) continue;
    absl::Status status = current != installed_.end() && !flows.empty()
                              ? UpdateCookie(RemoteNodeFlowCookie(name), current->second, flows)
                              : RewriteCookie(RemoteNodeFlowCookie(name), flows);
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("node ", name, ": ", status.message()));
    }
    if (flows.empty()) {
      installed_.erase(name);
      spdlog::info("overlay: removed tunnel flows of node {}", name);
    } else {
      installed_[name] = flows;
      spdlog::info("overlay: wrote tunnel flows of node {} ({})", name, Describe(node->second));
    }
  }
  return absl::OkStatus();
}

absl::Status Overlay::UpdateCookie(uint64_t cookie, const std::vector<std::string>& old,
                                   const std::vector<std::string>& flows) {
  absl::StatusOr<std::vector<std::string>> retire =
      FlowsToRetire(old, flows, cookie, tunnel_ofport_);
  if (!retire.ok()) return retire.status();
  if (absl::Status status = switch_->AddFlows(kIntegrationBridge, flows); !status.ok()) {
    return status;
  }
  for (const std::string& filter : *retire) {
    if (absl::Status status = switch_->DeleteFlowStrict(kIntegrationBridge, filter); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status Overlay::RewriteCookie(uint64_t cookie, const std::vector<std::string>& flows) {
  if (absl::Status status = switch_->DeleteFlowsByCookie(kIntegrationBridge, cookie);
      !status.ok()) {
    return status;
  }
  if (flows.empty()) return absl::OkStatus();
  return switch_->AddFlows(kIntegrationBridge, flows);
}

}  // namespace podswitch::agent::overlay
