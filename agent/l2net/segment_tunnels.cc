#include "agent/l2net/segment_tunnels.h"

#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/ipam/cidr.h"
#include "common/stable_hash.h"
#include "spdlog/spdlog.h"

namespace podswitch::agent::l2net {
namespace {

namespace v1 = switchd::v1;

constexpr char kTunnelPortType[] = "vxlan";

bool Owned(const v1::Port& port) {
  return port.type() == kTunnelPortType && absl::StartsWith(port.name(), kSegmentTunnelPrefix);
}

}  // namespace

std::string SegmentTunnelPortName(uint32_t vni, const std::string& remote_ip) {
  return absl::StrFormat("%s%012x", kSegmentTunnelPrefix,
                         StableHash(absl::StrCat(vni, "/", remote_ip)) >> 16);
}

std::map<std::string, v1::Port> SegmentTunnelPorts(
    const Segment& segment, const std::map<std::string, std::string>& remotes,
    const SegmentTunnelOptions& options) {
  std::map<std::string, v1::Port> ports;
  for (const auto& [node, ip] : remotes) {
    v1::Port port;
    port.set_bridge(segment.bridge);
    port.set_name(SegmentTunnelPortName(segment.vni, ip));
    port.set_type(kTunnelPortType);
    auto& o = *port.mutable_options();
    o["local_ip"] = options.local_ip;
    o["remote_ip"] = ip;
    o["key"] = absl::StrCat(segment.vni);
    o["dst_port"] = absl::StrCat(options.dst_port);
    ports[port.name()] = std::move(port);
  }
  return ports;
}

absl::StatusOr<std::unique_ptr<SegmentTunnels>> SegmentTunnels::Create(SegmentTunnelOptions options,
                                                                       SwitchClient* switch_client,
                                                                       SegmentSource segments) {
  if (absl::Status ip = ipam::Ipv4Address::Parse(options.local_ip).status(); !ip.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment tunnels: local IP \"", options.local_ip, "\": ", ip.message()));
  }
  if (options.dst_port == 0) return absl::InvalidArgumentError("VXLAN UDP port 0 is not valid");
  return std::unique_ptr<SegmentTunnels>(
      new SegmentTunnels(std::move(options), switch_client, std::move(segments)));
}

SegmentTunnels::SegmentTunnels(SegmentTunnelOptions options, SwitchClient* switch_client,
                               SegmentSource segments)
    : options_(std::move(options)), switch_(switch_client), segments_(std::move(segments)) {}

SegmentTunnels::~SegmentTunnels() { Stop(); }

void SegmentTunnels::Start(cluster::ClusterStore* store) {
  if (thread_.joinable()) return;
  store_ = store;
  subscription_ =
      store_->Subscribe([this](const cluster::ClusterEvent& event) { OnClusterEvent(event); });
  thread_ = std::thread([this] { Run(); });
}

void SegmentTunnels::Stop() {
  if (store_ != nullptr) store_->Unsubscribe(subscription_);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  store_ = nullptr;  // the thread reads it
}

void SegmentTunnels::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

std::map<std::string, std::string> SegmentTunnels::Remotes() const {
  absl::MutexLock lock(&mu_);
  return remotes_;
}

void SegmentTunnels::OnClusterEvent(const cluster::ClusterEvent& event) {
  if (event.kind == cluster::ObjectKind::kPod ||
      event.kind == cluster::ObjectKind::kNetworkAttachmentDefinition) {
    absl::MutexLock lock(&mu_);
    membership_changed_ = true;  // recomputed on the thread: the store is busy calling us
    return;
  }
  if (event.kind != cluster::ObjectKind::kNode) return;
  const auto& node = std::get<cluster::Node>(event.object);
  const std::string& name = node.meta.name;
  if (name == options_.node_name) return;
  std::string ip;
  if (event.type != cluster::EventType::kDeleted &&
      ipam::Ipv4Address::Parse(node.internal_ip).ok()) {
    ip = node.internal_ip;
  }
  absl::MutexLock lock(&mu_);
  auto found = remotes_.find(name);
  std::string have = found == remotes_.end() ? "" : found->second;
  if (have == ip) return;
  if (ip.empty()) {
    remotes_.erase(found);
  } else {
    remotes_[name] = ip;
  }
  wake_ = true;
}

bool SegmentTunnels::WorkPending() const { return stopping_ || wake_ || membership_changed_; }

void SegmentTunnels::Run() {
  absl::Time next_resync = absl::Now();
  std::string last_error;
  while (true) {
    std::map<std::string, std::string> remotes;
    bool woken = false, recompute = false;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithDeadline(absl::Condition(this, &SegmentTunnels::WorkPending), next_resync);
      if (stopping_) return;
      woken = wake_ || absl::Now() >= next_resync;
      recompute = membership_changed_;
      wake_ = membership_changed_ = false;
      remotes = remotes_;
    }
    if (recompute) {
      SegmentMembership membership =
          ComputeSegmentMembership(store_->ListPods(), store_->ListNetworkAttachmentDefinitions());
      if (membership != membership_) {
        membership_ = std::move(membership);
        woken = true;
      }
    }
    if (!woken) continue;  // pods changed, but not which nodes are on which segment
    absl::Status status = Apply(remotes);
    if (status.ok()) {
      if (!last_error.empty()) spdlog::info("segment tunnels: in place again");
      last_error.clear();
      next_resync = absl::Now() + options_.resync_interval;
      continue;
    }
    if (status.ToString() != last_error) {
      last_error = status.ToString();
      spdlog::warn("segment tunnels: {} (retrying every {})", last_error,
                   absl::FormatDuration(options_.retry_interval));
    }
    next_resync = absl::Now() + options_.retry_interval;
  }
}

absl::Status SegmentTunnels::Apply(const std::map<std::string, std::string>& remotes) {
  std::map<std::string, std::map<std::string, v1::Port>> want;  // bridge -> ports
  for (const Segment& segment : segments_()) {
    std::map<std::string, std::string> reach = remotes;
    if (std::optional<std::set<std::string>> members = membership_.NodesOf(segment.vni)) {
      std::erase_if(reach, [&](const auto& remote) { return !members->contains(remote.first); });
    }
    want[segment.bridge].merge(SegmentTunnelPorts(segment, reach, options_));
  }
  for (const std::string& bridge : managed_bridges_) want.try_emplace(bridge);
  absl::Status result = absl::OkStatus();
  std::set<std::string> still_managed;
  for (const auto& [bridge, ports] : want) {
    absl::Status status = ApplyBridge(bridge, ports);
    if (!status.ok()) {
      result.Update(status);
      still_managed.insert(bridge);  // try again next pass
    } else if (!ports.empty()) {
      still_managed.insert(bridge);
    }
  }
  managed_bridges_ = std::move(still_managed);
  return result;
}

absl::Status SegmentTunnels::ApplyBridge(const std::string& bridge,
                                         const std::map<std::string, v1::Port>& want) {
  absl::StatusOr<std::vector<v1::Port>> have = switch_->ListPorts(bridge);
  if (absl::IsNotFound(have.status()) && want.empty()) return absl::OkStatus();
  if (!have.ok()) return have.status();
  std::set<std::string> present;
  for (const v1::Port& port : *have) {
    if (!Owned(port)) continue;
    auto wanted = want.find(port.name());
    if (wanted != want.end() && PortIsAsWanted(port, wanted->second)) {
      present.insert(port.name());
      continue;
    }
    spdlog::info("segment tunnels: removing {} from {} (remote {}, VNI {})", port.name(), bridge,
                 port.options().contains("remote_ip") ? port.options().at("remote_ip") : "?",
                 port.options().contains("key") ? port.options().at("key") : "?");
    if (absl::Status status = switch_->DeletePort(port.name()); !status.ok()) return status;
  }
  for (const auto& [name, port] : want) {
    if (present.contains(name)) continue;
    absl::StatusOr<v1::Port> made = switch_->EnsurePort(port);
    if (!made.ok()) {
      return absl::Status(made.status().code(), absl::StrCat("tunnel port ", name, " on ", bridge,
                                                             " to ", port.options().at("remote_ip"),
                                                             ": ", made.status().message()));
    }
    spdlog::info("segment tunnels: {} on {} to {} VNI {} (link {}{}{})", name, bridge,
                 port.options().at("remote_ip"), port.options().at("key"), made->link_state(),
                 made->error().empty() ? "" : ": ", made->error());
  }
  return absl::OkStatus();
}

}  // namespace podswitch::agent::l2net
