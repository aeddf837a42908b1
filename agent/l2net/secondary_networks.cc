#include "agent/l2net/secondary_networks.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/netlink/pod_wiring.h"
#include "agent/podnet/pod_port.h"
#include "agent/podnet/switch_error.h"
#include "cni/spec/error.h"
#include "spdlog/spdlog.h"

namespace podswitch::agent::l2net {
namespace {

using cni::CniStatus;
using cni::ErrorCode;
namespace v1 = switchd::v1;

// The flow a bridge without flows gets, so it is the learning switch users expect (Open
// vSwitch bridges start with the same flow).
constexpr uint64_t kNormalFlowCookie = 0x0300000000000001ull;

// Network names become directory names; the CNI spec allows letters, digits, '-', '_', '.'.
bool IsSafeName(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

std::string Describe(const cni::L2Network& l2) {
  std::string text = absl::StrCat("bridge ", l2.bridge);
  if (l2.vlan) absl::StrAppend(&text, " vlan ", *l2.vlan);
  if (!l2.trunks.empty()) absl::StrAppend(&text, " trunk ", absl::StrJoin(l2.trunks, ","));
  if (l2.vni) absl::StrAppend(&text, " vni ", *l2.vni);
  return text;
}

// The switch port of an attachment: the host veth, as an access, trunk or untagged port.
v1::Port PortFor(const cni::L2Network& l2, const std::string& name, const std::string& type) {
  v1::Port port;
  port.set_bridge(l2.bridge);
  port.set_name(name);
  port.set_type(type);
  if (l2.vlan) {
    port.set_tag(*l2.vlan);
    port.set_vlan_mode("access");
  } else if (!l2.trunks.empty()) {
    for (uint16_t vid : l2.trunks) port.add_trunks(vid);
    port.set_vlan_mode("trunk");
  }
  return port;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SecondaryNetworks>> SecondaryNetworks::Open(
    SecondaryNetworkOptions options, SwitchClient* switch_client, SegmentTunnels* tunnels) {
  absl::StatusOr<std::unique_ptr<AttachmentStore>> store = AttachmentStore::Open(options.state_dir);
  if (!store.ok()) return store.status();
  return std::unique_ptr<SecondaryNetworks>(
      new SecondaryNetworks(std::move(options), switch_client, tunnels, *std::move(store)));
}

SecondaryNetworks::SecondaryNetworks(SecondaryNetworkOptions options, SwitchClient* switch_client,
                                     SegmentTunnels* tunnels,
                                     std::unique_ptr<AttachmentStore> store)
    : options_(std::move(options)),
      switch_(switch_client),
      tunnels_(tunnels),
      store_(std::move(store)) {}

std::set<Segment> SecondaryNetworks::Segments() const {
  std::set<Segment> segments;
  for (const L2Attachment& a : store_->List()) {
    if (a.vni) segments.insert({a.bridge, *a.vni});
  }
  return segments;
}

absl::StatusOr<ipam::Ipam*> SecondaryNetworks::PoolFor(const std::string& network,
                                                       const PoolSpec& l2) {
  if (l2.subnet.empty()) return nullptr;
  absl::MutexLock lock(&pools_mu_);
  Pool& pool = pools_[network];
  if (pool.ipam != nullptr && pool.spec == l2) return pool.ipam.get();
  pool.ipam.reset();  // the old pool's lock goes before the file is opened again
  auto invalid = [&](std::string_view field, const absl::Status& status) {
    return CniStatus(ErrorCode::kInvalidConfig,
                     absl::StrCat("network \"", network, "\": ipam.", std::string(field)),
                     std::string(status.message()));
  };
  absl::StatusOr<ipam::Cidr> cidr = ipam::Cidr::Parse(l2.subnet);
  if (!cidr.ok()) return invalid("subnet", cidr.status());
  std::optional<ipam::AddressRange> range;
  if (!l2.range_start.empty() || !l2.range_end.empty()) {
    ipam::AddressRange r = ipam::UsableRange(*cidr);
    if (!l2.range_start.empty()) {
      absl::StatusOr<ipam::Ipv4Address> start = ipam::Ipv4Address::Parse(l2.range_start);
      if (!start.ok()) return invalid("rangeStart", start.status());
      r.first = *start;
    }
    if (!l2.range_end.empty()) {
      absl::StatusOr<ipam::Ipv4Address> end = ipam::Ipv4Address::Parse(l2.range_end);
      if (!end.ok()) return invalid("rangeEnd", end.status());
      r.last = *end;
    }
    range = r;
  }
  if (!IsSafeName(network)) {
    return CniStatus(ErrorCode::kInvalidConfig,
                     absl::StrCat("network name \"", network,
                                  "\" may hold only letters, digits, '-', '_' and '.'"));
  }
  std::string dir = (std::filesystem::path(options_.state_dir) / "networks" / network).string();
  absl::StatusOr<std::unique_ptr<ipam::Ipam>> opened = ipam::Ipam::Open(dir, *cidr, range);
  if (!opened.ok()) {
    return CniStatus(
        absl::IsInvalidArgument(opened.status()) ? ErrorCode::kInvalidConfig : ErrorCode::kInternal,
        absl::StrCat("network \"", network, "\": address pool"),
        std::string(opened.status().message()));
  }
  pool = {l2, *std::move(opened)};
  return pool.ipam.get();
}

absl::Status SecondaryNetworks::CheckBridgeUse(const std::string& network,
                                               const cni::L2Network& l2) const {
  for (const L2Attachment& a : store_->List()) {
    if (l2.vni && a.vni == l2.vni && a.bridge != l2.bridge) {
      return CniStatus(
          ErrorCode::kInvalidConfig,
          absl::StrCat("network \"", network, "\" puts VNI ", *l2.vni, " on bridge ", l2.bridge,
                       ", but network \"", a.network, "\" has it on bridge ", a.bridge, " (pod ",
                       a.pod_namespace, "/", a.pod_name, "): one VNI is one L2 segment"));
    }
    if (a.bridge != l2.bridge || a.network == network || a.vni == l2.vni) continue;
    return CniStatus(
        ErrorCode::kInvalidConfig,
        absl::StrCat("network \"", network, "\" puts bridge ", l2.bridge, " on ",
                     l2.vni ? absl::StrCat("VNI ", *l2.vni) : std::string("no VXLAN segment"),
                     ", but network \"", a.network, "\" already has it on ",
                     a.vni ? absl::StrCat("VNI ", *a.vni) : std::string("no VXLAN segment"),
                     " (pod ", a.pod_namespace, "/", a.pod_name,
                     "): one bridge is one L2 segment"));
  }
  return absl::OkStatus();
}

absl::Status SecondaryNetworks::EnsureBridge(const std::string& bridge) {
  if (absl::Status status = switch_->EnsureBridge(bridge); !status.ok()) return status;
  absl::StatusOr<std::vector<v1::Flow>> flows = switch_->DumpFlows(bridge, "");
  if (!flows.ok()) return flows.status();
  if (!flows->empty()) return absl::OkStatus();  // the operator's flows decide
  spdlog::info("secondary networks: bridge {} has no flows: adding priority=0,actions=NORMAL",
               bridge);
  return switch_->AddFlows(bridge, {absl::StrCat("cookie=0x", absl::Hex(kNormalFlowCookie),
                                                 ",priority=0,actions=NORMAL")});
}

absl::StatusOr<cni::Result> SecondaryNetworks::Add(const cni::CniInvocation& invocation) {
  const cni::L2Network& l2 = *invocation.config.l2;
  if (invocation.interface_type != cni::InterfaceType::kVeth) {
    return CniStatus(
        ErrorCode::kUnsupportedField,
        absl::StrCat("network \"", invocation.config.name, "\" (a secondary network on bridge ",
                     l2.bridge, "): only veth interfaces are supported there"));
  }
  if (l2.vni && tunnels_ == nullptr) {
    return CniStatus(ErrorCode::kUnsupportedField,
                     absl::StrCat("network \"", invocation.config.name, "\" has vni ", *l2.vni,
                                  " but this node has no VXLAN endpoint (no InternalIP and no "
                                  "--tunnel-local-ip, or --overlay=none)"));
  }
  std::shared_ptr<absl::Mutex> container = container_locks_.Get(invocation.env.container_id);
  absl::MutexLock lock(container.get());
  if (absl::Status status = CheckBridgeUse(invocation.config.name, l2); !status.ok()) {
    return status;
  }
  auto result = AddLocked(invocation);
  if (!result.ok()) {
    absl::Status undone = Teardown(invocation.env.container_id, invocation.env.ifname,
                                   invocation.env.netns, invocation.config.name, SpecOf(l2));
    if (!undone.ok()) spdlog::warn("undo failed ADD: {}", undone.ToString());
  }
  if (l2.vni) tunnels_->Wake();
  return result;
}

absl::StatusOr<cni::Result> SecondaryNetworks::AddLocked(const cni::CniInvocation& invocation) {
  const cni::CniEnv& env = invocation.env;
  const cni::L2Network& l2 = *invocation.config.l2;
  const std::string port_name = netlink::HostVethName(env.container_id, env.ifname);
  const bool retry = store_->Get(env.container_id, env.ifname).has_value();
  // The record goes first: whatever a crash leaves behind, DEL and GC find it from here.
  absl::Status recorded = store_->Put({.container_id = env.container_id,
                                       .ifname = env.ifname,
                                       .network = invocation.config.name,
                                       .bridge = l2.bridge,
                                       .vni = l2.vni,
                                       .subnet = l2.subnet,
                                       .range_start = l2.range_start,
                                       .range_end = l2.range_end,
                                       .pod_namespace = env.args.pod_namespace,
                                       .pod_name = env.args.pod_name});
  if (!recorded.ok()) return CniStatus(ErrorCode::kIoFailure, std::string(recorded.message()));

  absl::StatusOr<ipam::Ipam*> pool = PoolFor(invocation.config.name, SpecOf(l2));
  if (!pool.ok()) return pool.status();
  netlink::PodInterfaceConfig config{
      .container_id = env.container_id,
      .netns_path = env.netns,
      .ifname = env.ifname,
      .mtu = invocation.config.mtu.value_or(l2.vni ? options_.vxlan_mtu : options_.vlan_mtu)};
  if (*pool != nullptr) {
    auto allocation =
        (*pool)->Allocate(env.container_id, env.ifname, env.args.pod_namespace, env.args.pod_name);
    if (!allocation.ok()) {
      return CniStatus(absl::IsResourceExhausted(allocation.status()) ? ErrorCode::kIpamExhausted
                                                                      : ErrorCode::kInternal,
                       absl::StrCat("network \"", invocation.config.name,
                                    "\": ", allocation.status().message()));
    }
    config.ip = allocation->ip;
    config.prefix_len = (*pool)->pod_cidr().prefix_len();
  }

  if (absl::Status status = EnsureBridge(l2.bridge); !status.ok()) {
    return SwitchError(status, ErrorCode::kInterfaceSetupFailed,
                       absl::StrCat("bridge ", l2.bridge));
  }
  v1::Port port = PortFor(l2, port_name, options_.port_type);
  auto host_mac = WirePodVeth(*switch_, config, port, std::nullopt, retry);
  if (!host_mac.ok()) return host_mac.status();
  auto attached = AttachPodPort(*switch_, port, {}, std::nullopt, retry);
  if (!attached.ok()) return attached.status();

  cni::Result result;
  result.interfaces.push_back({.name = port_name, .mac = *host_mac});
  result.interfaces.push_back({.name = env.ifname,
                               .mac = netlink::PodInterfaceMac(config),
                               .mtu = config.mtu,
                               .sandbox = env.netns});
  if (config.ip) {
    result.ips.push_back(
        {.address = absl::StrCat(config.ip->ToString(), "/", config.prefix_len), .interface = 1});
  }
  result.dns = invocation.config.dns;
  spdlog::info("ADD {} {}/{} {}: network \"{}\" ({}), {} on {}", env.container_id.substr(0, 12),
               env.args.pod_namespace, env.args.pod_name, env.ifname, invocation.config.name,
               Describe(l2), config.ip ? config.ip->ToString() : "no address", port_name);
  return result;
}

absl::Status SecondaryNetworks::Teardown(const std::string& container_id, const std::string& ifname,
                                         const std::string& netns, const std::string& network,
                                         const PoolSpec& fallback) {
  std::optional<L2Attachment> record = store_->Get(container_id, ifname);
  const std::string port_name = netlink::HostVethName(container_id, ifname);
  if (absl::Status port = switch_->DeletePort(port_name); !port.ok()) {
    return SwitchError(port, ErrorCode::kTryAgainLater, "delete port " + port_name);
  }
  if (absl::Status wiring = netlink::DeletePodInterface(container_id, netns, ifname);
      !wiring.ok()) {
    return CniStatus(ErrorCode::kInterfaceSetupFailed, std::string(wiring.message()));
  }
  {
    absl::StatusOr<ipam::Ipam*> pool =
        record ? PoolFor(record->network, SpecOf(*record)) : PoolFor(network, fallback);
    if (pool.ok() && *pool != nullptr) {
      auto released = (*pool)->Release(container_id, ifname);
      if (!released.ok()) {
        return CniStatus(ErrorCode::kInternal, std::string(released.status().message()));
      }
    } else if (!pool.ok()) {
      spdlog::warn("DEL {} {}: address not released: {}", container_id.substr(0, 12), ifname,
                   pool.status().ToString());
    }
  }
  auto removed = store_->Remove(container_id, ifname);
  if (!removed.ok())
    return CniStatus(ErrorCode::kIoFailure, std::string(removed.status().message()));
  return absl::OkStatus();
}

absl::Status SecondaryNetworks::Del(const cni::CniInvocation& invocation) {
  const cni::CniEnv& env = invocation.env;
  std::shared_ptr<absl::Mutex> container = container_locks_.Get(env.container_id);
  absl::MutexLock lock(container.get());
  std::optional<L2Attachment> record = store_->Get(env.container_id, env.ifname);
  absl::Status status = Teardown(env.container_id, env.ifname, env.netns, invocation.config.name,
                                 SpecOf(*invocation.config.l2));
  if (record && record->vni && tunnels_ != nullptr) tunnels_->Wake();
  return status;
}

absl::Status SecondaryNetworks::Check(const cni::CniInvocation& invocation) {
  const cni::CniEnv& env = invocation.env;
  const cni::L2Network& l2 = *invocation.config.l2;
  std::shared_ptr<absl::Mutex> container = container_locks_.Get(env.container_id);
  absl::MutexLock lock(container.get());
  std::optional<L2Attachment> record = store_->Get(env.container_id, env.ifname);
  if (!record || record->network != invocation.config.name) {
    return CniStatus(
        ErrorCode::kUnknownContainer,
        absl::StrCat("no attachment of container ", env.container_id, " ifname ", env.ifname,
                     " to network \"", invocation.config.name, "\" on this node"));
  }
  const std::string port_name = netlink::HostVethName(env.container_id, env.ifname);
  netlink::PodInterfaceConfig config{
      .container_id = env.container_id,
      .netns_path = env.netns,
      .ifname = env.ifname,
      .mtu = invocation.config.mtu.value_or(l2.vni ? options_.vxlan_mtu : options_.vlan_mtu)};
  absl::StatusOr<ipam::Ipam*> pool = PoolFor(record->network, SpecOf(*record));
  if (!pool.ok()) return pool.status();
  if (*pool != nullptr) {
    auto allocation = (*pool)->Get(env.container_id, env.ifname);
    if (!allocation) {
      return CniStatus(
          ErrorCode::kCheckFailed,
          absl::StrCat(env.ifname, " has no address in network \"", invocation.config.name, "\""));
    }
    config.ip = allocation->ip;
    config.prefix_len = (*pool)->pod_cidr().prefix_len();
  }
  if (absl::Status wiring = netlink::CheckPodInterface(config); !wiring.ok()) {
    return CniStatus(ErrorCode::kCheckFailed, std::string(wiring.message()));
  }
  auto port = switch_->GetPort(port_name);
  if (!port.ok()) {
    return SwitchError(port.status(), ErrorCode::kCheckFailed,
                       absl::StrCat("port ", port_name, " on ", l2.bridge));
  }
  if (port->bridge() != l2.bridge) {
    return CniStatus(ErrorCode::kCheckFailed, absl::StrCat("port ", port_name, " is on bridge ",
                                                           port->bridge(), ", not ", l2.bridge));
  }
  v1::Port want = PortFor(l2, port_name, options_.port_type);
  bool same_vlans = port->has_tag() == want.has_tag() && port->tag() == want.tag() &&
                    std::equal(port->trunks().begin(), port->trunks().end(), want.trunks().begin(),
                               want.trunks().end());
  if (!same_vlans) {
    return CniStatus(ErrorCode::kCheckFailed,
                     absl::StrCat("port ", port_name, " VLANs differ from ", Describe(l2)));
  }
  if (port->link_state() != "up") {
    return CniStatus(ErrorCode::kCheckFailed,
                     absl::StrCat("port ", port_name, " is ", port->link_state()), port->error());
  }
  return absl::OkStatus();
}

absl::Status SecondaryNetworks::Gc(const cni::CniInvocation& invocation) {
  std::set<std::pair<std::string, std::string>> valid;
  for (const cni::Attachment& a :
       invocation.config.valid_attachments.value_or(std::vector<cni::Attachment>{})) {
    valid.insert({a.container_id, a.ifname});
  }
  bool segments_changed = false;
  for (const L2Attachment& a : store_->List()) {
    if (a.network != invocation.config.name || valid.contains({a.container_id, a.ifname})) {
      continue;
    }
    std::shared_ptr<absl::Mutex> container = container_locks_.Get(a.container_id);
    absl::MutexLock lock(container.get());
    spdlog::info("GC: network \"{}\": removing {} {}", a.network, a.container_id, a.ifname);
    absl::Status status =
        Teardown(a.container_id, a.ifname, "", a.network, SpecOf(*invocation.config.l2));
    if (!status.ok()) return status;
    segments_changed |= a.vni.has_value();
  }
  if (segments_changed && tunnels_ != nullptr) tunnels_->Wake();
  return absl::OkStatus();
}

absl::Status SecondaryNetworks::Reconcile() {
  bool segments_changed = false;
  for (const L2Attachment& a : store_->List()) {
    const std::string port_name = netlink::HostVethName(a.container_id, a.ifname);
    auto port = switch_->GetPort(port_name);
    if (!absl::IsNotFound(port.status())) {
      if (!port.ok()) return port.status();  // podswitchd away: decide nothing
      continue;
    }
    if (std::filesystem::exists(absl::StrCat("/sys/class/net/", port_name))) continue;
    std::shared_ptr<absl::Mutex> container = container_locks_.Get(a.container_id);
    absl::MutexLock lock(container.get());
    spdlog::info("reconcile: network \"{}\": {} {} has neither port nor veth: forgetting it",
                 a.network, a.container_id, a.ifname);
    if (absl::Status status = Teardown(a.container_id, a.ifname, "", a.network, SpecOf(a));
        !status.ok()) {
      return status;
    }
    segments_changed |= a.vni.has_value();
  }
  if (segments_changed && tunnels_ != nullptr) tunnels_->Wake();
  return absl::OkStatus();
}

std::vector<L2AttachmentRecord> SecondaryNetworks::List() {
  std::vector<L2AttachmentRecord> records;
  for (const L2Attachment& a : store_->List()) {
    L2AttachmentRecord record{.attachment = a,
                              .port = netlink::HostVethName(a.container_id, a.ifname)};
    netlink::PodInterfaceConfig config{.container_id = a.container_id, .ifname = a.ifname};
    absl::StatusOr<ipam::Ipam*> pool = PoolFor(a.network, SpecOf(a));
    if (pool.ok() && *pool != nullptr) {
      if (auto allocation = (*pool)->Get(a.container_id, a.ifname)) {
        record.ip = allocation->ip.ToString();
        config.ip = allocation->ip;
      }
    }
    record.mac = netlink::PodInterfaceMac(config);
    auto port = switch_->GetPort(record.port);
    record.link_state = port.ok() ? port->link_state() : "missing";
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace podswitch::agent::l2net
