#include "agent/netlink/pod_wiring.h"

#include <errno.h>
#include <net/if.h>
#include <netlink/route/link/veth.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/netlink/internal/pod_side.h"
#include "agent/netlink/internal/route_socket.h"
#include "agent/netlink/netns.h"
#include "common/stable_hash.h"

namespace podswitch::agent::netlink {
namespace {

using internal::LinkPtr;
using internal::RouteSocket;

std::string MacText(const std::array<uint8_t, 6>& m) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

std::array<uint8_t, 6> PodInterfaceMacBytes(const PodInterfaceConfig& config) {
  if (config.ip.has_value()) return PodMacBytes(*config.ip);
  uint64_t hash = StableHash(absl::StrCat(config.container_id, "/", config.ifname));
  return {0x0a,
          0x5a,
          static_cast<uint8_t>(hash >> 56),
          static_cast<uint8_t>(hash >> 48),
          static_cast<uint8_t>(hash >> 40),
          static_cast<uint8_t>(hash >> 32)};
}

// Rejects what the kernel would refuse with a less helpful error, before touching anything.
absl::Status ValidateConfig(const PodInterfaceConfig& config) {
  if (config.container_id.empty()) {
    return absl::InvalidArgumentError("pod interface: the container id is empty");
  }
  if (config.ifname.empty() || config.ifname.size() >= IFNAMSIZ ||
      config.ifname.find_first_of("/: \t\n") != std::string::npos || config.ifname == "." ||
      config.ifname == "..") {
    return absl::InvalidArgumentError(absl::StrCat(
        "pod interface name \"", config.ifname,
        "\" is not a valid Linux interface name (1-15 characters, no '/', ':' or spaces)"));
  }
  if (config.mtu < 68 || config.mtu > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("pod interface MTU ", config.mtu, " is not between 68 and 65535"));
  }
  if (!config.ip.has_value()) {
    if (!config.gateway.has_value()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("pod gateway ", config.gateway->ToString(),
                                                   " given for an interface without an address"));
  }
  absl::StatusOr<ipam::Cidr> subnet = ipam::Cidr::FromAddress(*config.ip, config.prefix_len);
  if (!subnet.ok()) return subnet.status();
  if (config.gateway.has_value() &&
      (!subnet->Contains(*config.gateway) || *config.gateway == *config.ip)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pod gateway ", config.gateway->ToString(), " is not another address in ",
                     subnet->ToString(), " of pod address ", config.ip->ToString()));
  }
  return absl::OkStatus();
}

// Creates the pair in one netlink request: the host end here, the pod end directly inside the
// pod's namespace under its final name with its MAC and MTU, so there is no window in which a
// half-configured interface sits in the wrong namespace under a temporary name.
absl::Status CreateVethPair(RouteSocket& sock, const PodInterfaceConfig& config,
                            const std::string& host_name, int netns_fd) {
  std::string what = absl::StrCat("create veth ", host_name, " with peer ", config.ifname,
                                  " in netns ", config.netns_path);
  rtnl_link* veth = rtnl_link_veth_alloc();
  if (veth == nullptr) return absl::ResourceExhaustedError(what);
  LinkPtr peer(rtnl_link_veth_get_peer(veth));
  std::array<uint8_t, 6> mac = PodInterfaceMacBytes(config);
  internal::NlAddrPtr pod_mac = internal::MakeMac(mac.data());
  rtnl_link_set_name(veth, host_name.c_str());
  rtnl_link_set_mtu(veth, config.mtu);
  rtnl_link_set_name(peer.get(), config.ifname.c_str());
  rtnl_link_set_mtu(peer.get(), config.mtu);
  rtnl_link_set_addr(peer.get(), pod_mac.get());
  rtnl_link_set_ns_fd(peer.get(), netns_fd);
  absl::Status status =
      sock.Check(rtnl_link_add(sock.get(), veth, NLM_F_CREATE | NLM_F_EXCL), what);
  peer.reset();
  rtnl_link_veth_release(veth);
  return status;
}

// Everything after the veth exists; SetupPodInterface deletes the veth when this fails.
absl::StatusOr<PodInterface> ConfigureCreatedVeth(RouteSocket& sock,
                                                  const PodInterfaceConfig& config,
                                                  const std::string& host_name, int netns_fd) {
  absl::StatusOr<LinkPtr> host =
      sock.GetLink(host_name, absl::StrCat("find host veth ", host_name));
  if (!host.ok()) return host.status();
  if (absl::Status status = sock.SetUp(host->get(), absl::StrCat("set up host veth ", host_name));
      !status.ok()) {
    return status;
  }
  absl::Status status =
      RunInNetns(netns_fd, config.netns_path, [&] { return internal::ConfigurePodSide(config); });
  if (!status.ok()) return status;
  return PodInterface{
      .host_ifname = host_name,
      .host_ifindex = rtnl_link_get_ifindex(host->get()),
      .host_mac = internal::AddrToString(rtnl_link_get_addr(host->get())),
      .pod_ifname = config.ifname,
      .pod_mac = PodInterfaceMac(config),
      .netns_path = config.netns_path,
  };
}

}  // namespace

std::string HostVethName(std::string_view container_id, std::string_view ifname) {
  std::string key(container_id);
  if (ifname != "eth0") absl::StrAppend(&key, "/", std::string(ifname));
  return absl::StrFormat("psw%012x", StableHash(key) >> 16);
}

std::array<uint8_t, 6> PodMacBytes(ipam::Ipv4Address ip) {
  uint32_t v = ip.value();
  return {0x0a,
          0x58,
          static_cast<uint8_t>(v >> 24),
          static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}

std::string PodMacAddress(ipam::Ipv4Address ip) { return MacText(PodMacBytes(ip)); }

std::string PodInterfaceMac(const PodInterfaceConfig& config) {
  return MacText(PodInterfaceMacBytes(config));
}

absl::StatusOr<PodInterface> SetupPodInterface(const PodInterfaceConfig& config) {
  if (absl::Status status = ValidateConfig(config); !status.ok()) return status;
  const std::string host_name = HostVethName(config.container_id, config.ifname);
  absl::StatusOr<std::unique_ptr<RouteSocket>> sock = RouteSocket::Open();
  if (!sock.ok()) return sock.status();

  // A veth of an earlier, interrupted attempt goes first (its pod end goes with it).
  absl::StatusOr<bool> stale =
      (*sock)->DeleteLinkIfPresent(host_name, absl::StrCat("delete stale host veth ", host_name));
  if (!stale.ok()) return stale.status();

  absl::StatusOr<UniqueFd> netns = OpenNetns(config.netns_path);
  if (!netns.ok()) return netns.status();
  if (absl::Status status = CreateVethPair(**sock, config, host_name, netns->get()); !status.ok()) {
    return status;
  }
  absl::StatusOr<PodInterface> result =
      ConfigureCreatedVeth(**sock, config, host_name, netns->get());
  if (!result.ok()) {
    absl::StatusOr<bool> undo =
        (*sock)->DeleteLinkIfPresent(host_name, absl::StrCat("undo: delete veth ", host_name));
    if (!undo.ok()) {
      return absl::Status(result.status().code(),
                          absl::StrCat(result.status().message(), "; ", undo.status().message()));
    }
  }
  return result;
}

absl::Status DeletePodInterface(std::string_view container_id, const std::string& netns_path,
                                const std::string& ifname) {
  const std::string host_name = HostVethName(container_id, ifname);
  absl::StatusOr<std::unique_ptr<RouteSocket>> sock = RouteSocket::Open();
  if (!sock.ok()) return sock.status();
  absl::StatusOr<bool> deleted =
      (*sock)->DeleteLinkIfPresent(host_name, absl::StrCat("delete host veth ", host_name));
  if (!deleted.ok()) return deleted.status();
  if (netns_path.empty()) return absl::OkStatus();

  absl::StatusOr<UniqueFd> netns = OpenNetns(netns_path);
  if (absl::IsNotFound(netns.status())) return absl::OkStatus();  // the sandbox is gone
  if (!netns.ok()) return netns.status();
  return RunInNetns(netns->get(), netns_path,
                    [&] { return internal::DeletePodSideVeth(ifname, netns_path); });
}

absl::Status CheckPodInterface(const PodInterfaceConfig& config) {
  if (absl::Status status = ValidateConfig(config); !status.ok()) return status;
  const std::string host_name = HostVethName(config.container_id, config.ifname);
  absl::StatusOr<std::unique_ptr<RouteSocket>> sock = RouteSocket::Open();
  if (!sock.ok()) return sock.status();
  absl::StatusOr<LinkPtr> host = (*sock)->GetLink(host_name, "find host veth");
  if (absl::IsNotFound(host.status())) {
    return absl::NotFoundError(absl::StrCat("host veth ", host_name, " of container ",
                                            config.container_id, " is missing"));
  }
  if (!host.ok()) return host.status();
  if ((rtnl_link_get_flags(host->get()) & IFF_UP) == 0) {
    return absl::FailedPreconditionError(absl::StrCat("host veth ", host_name, " is down"));
  }
  absl::StatusOr<UniqueFd> netns = OpenNetns(config.netns_path);
  if (!netns.ok()) return netns.status();
  return RunInNetns(netns->get(), config.netns_path,
                    [&] { return internal::CheckPodSide(config); });
}

}  // namespace podswitch::agent::netlink
