#include "agent/netlink/internal/pod_side.h"

#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/netlink/internal/ethtool.h"
#include "agent/netlink/internal/route_socket.h"

namespace podswitch::agent::netlink::internal {
namespace {

std::string InNetns(const std::string& netns_path) {
  return absl::StrCat(" in netns ", netns_path);
}

// The IPv4 addresses on `ifindex`, as "a.b.c.d/len" texts, for CHECK and its messages.
absl::StatusOr<std::vector<std::string>> Ipv4Addresses(RouteSocket& sock, int ifindex,
                                                       std::string_view what) {
  nl_cache* raw = nullptr;
  int result = rtnl_addr_alloc_cache(sock.get(), &raw);
  CachePtr cache(raw);
  if (absl::Status status = sock.Check(result, what); !status.ok()) return status;
  std::vector<std::string> addresses;
  for (nl_object* object = nl_cache_get_first(cache.get()); object != nullptr;
       object = nl_cache_get_next(object)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(object);
    if (rtnl_addr_get_ifindex(addr) != ifindex || rtnl_addr_get_family(addr) != AF_INET) continue;
    addresses.push_back(AddrToString(rtnl_addr_get_local(addr)));
  }
  return addresses;
}

// Whether the main table has 0.0.0.0/0 via `gateway` out of `ifindex`.
absl::StatusOr<bool> HasDefaultRoute(RouteSocket& sock, int ifindex, ipam::Ipv4Address gateway,
                                     std::string_view what) {
  nl_cache* raw = nullptr;
  int result = rtnl_route_alloc_cache(sock.get(), AF_INET, 0, &raw);
  CachePtr cache(raw);
  if (absl::Status status = sock.Check(result, what); !status.ok()) return status;
  NlAddrPtr want = MakeIpv4(gateway.value(), 32);
  for (nl_object* object = nl_cache_get_first(cache.get()); object != nullptr;
       object = nl_cache_get_next(object)) {
    auto* route = reinterpret_cast<rtnl_route*>(object);
    nl_addr* dst = rtnl_route_get_dst(route);
    if (rtnl_route_get_table(route) != RT_TABLE_MAIN || dst == nullptr ||
        nl_addr_get_prefixlen(dst) != 0 || rtnl_route_get_nnexthops(route) < 1) {
      continue;
    }
    rtnl_nexthop* nexthop = rtnl_route_nexthop_n(route, 0);
    nl_addr* via = rtnl_route_nh_get_gateway(nexthop);
    if (rtnl_route_nh_get_ifindex(nexthop) == ifindex && via != nullptr &&
        nl_addr_cmp_prefix(via, want.get()) == 0) {
      return true;
    }
  }
  return false;
}

absl::Status AddAddress(RouteSocket& sock, int ifindex, const PodInterfaceConfig& config,
                        ipam::Ipv4Address ip) {
  std::string what = absl::StrCat("add address ", ip.ToString(), "/", config.prefix_len, " to ",
                                  config.ifname, InNetns(config.netns_path));
  AddrPtr addr(rtnl_addr_alloc());
  absl::StatusOr<ipam::Cidr> subnet = ipam::Cidr::FromAddress(ip, config.prefix_len);
  if (addr == nullptr || !subnet.ok()) return absl::InvalidArgumentError(what);
  NlAddrPtr local = MakeIpv4(ip.value(), config.prefix_len);
  NlAddrPtr broadcast = MakeIpv4(subnet->broadcast().value(), 32);
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  rtnl_addr_set_local(addr.get(), local.get());
  if (config.prefix_len < 31) rtnl_addr_set_broadcast(addr.get(), broadcast.get());
  return sock.Check(rtnl_addr_add(sock.get(), addr.get(), NLM_F_EXCL), what);
}

absl::Status AddDefaultRoute(RouteSocket& sock, int ifindex, const PodInterfaceConfig& config,
                             ipam::Ipv4Address via) {
  std::string what = absl::StrCat("add default route via ", via.ToString(), " dev ", config.ifname,
                                  InNetns(config.netns_path));
  RoutePtr route(rtnl_route_alloc());
  rtnl_nexthop* nexthop = rtnl_route_nh_alloc();
  if (route == nullptr || nexthop == nullptr) {
    rtnl_route_nh_free(nexthop);
    return absl::ResourceExhaustedError(what);
  }
  NlAddrPtr dst = MakeIpv4(0, 0);
  NlAddrPtr gateway = MakeIpv4(via.value(), 32);
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_nh_set_ifindex(nexthop, ifindex);
  rtnl_route_nh_set_gateway(nexthop, gateway.get());
  rtnl_route_add_nexthop(route.get(), nexthop);  // the route owns the nexthop now
  return sock.Check(rtnl_route_add(sock.get(), route.get(), NLM_F_EXCL), what);
}

}  // namespace

absl::Status ConfigurePodSide(const PodInterfaceConfig& config) {
  absl::StatusOr<std::unique_ptr<RouteSocket>> sock = RouteSocket::Open();
  if (!sock.ok()) return sock.status();
  std::string where = absl::StrCat(config.ifname, InNetns(config.netns_path));
  absl::StatusOr<LinkPtr> link = (*sock)->GetLink(config.ifname, absl::StrCat("find ", where));
  if (!link.ok()) return link.status();
  int ifindex = rtnl_link_get_ifindex(link->get());
  // Offloads first, so not one segment leaves with a checksum left to "hardware".
  if (absl::Status status = DisableTxOffloads(config.ifname, where); !status.ok()) return status;
  if (config.ip.has_value()) {
    if (absl::Status status = AddAddress(**sock, ifindex, config, *config.ip); !status.ok()) {
      return status;
    }
  }
  if (absl::Status status = (*sock)->SetUp(link->get(), absl::StrCat("set up ", where));
      !status.ok()) {
    return status;
  }
  if (!config.gateway.has_value()) return absl::OkStatus();
  return AddDefaultRoute(**sock, ifindex, config, *config.gateway);
}

absl::Status CheckPodSide(const PodInterfaceConfig& config) {
  absl::StatusOr<std::unique_ptr<RouteSocket>> sock = RouteSocket::Open();
  if (!sock.ok()) return sock.status();
  std::string where = absl::StrCat(config.ifname, InNetns(config.netns_path));
  absl::StatusOr<LinkPtr> link = (*sock)->GetLink(config.ifname, absl::StrCat("find ", where));
  if (absl::IsNotFound(link.status())) {
    return absl::NotFoundError(absl::StrCat("interface ", where, " is missing"));
  }
  if (!link.ok()) return link.status();
  int ifindex = rtnl_link_get_ifindex(link->get());

  std::string mac = AddrToString(rtnl_link_get_addr(link->get()));
  if (std::string want = PodInterfaceMac(config); mac != want) {
    return absl::FailedPreconditionError(
        absl::StrCat("MAC of ", where, " is ", mac, ", expected ", want));
  }
  if (int mtu = static_cast<int>(rtnl_link_get_mtu(link->get())); mtu != config.mtu) {
    return absl::FailedPreconditionError(
        absl::StrCat("MTU of ", where, " is ", mtu, ", expected ", config.mtu));
  }
  if ((rtnl_link_get_flags(link->get()) & IFF_UP) == 0) {
    return absl::FailedPreconditionError(absl::StrCat("interface ", where, " is down"));
  }
  if (config.ip.has_value()) {
    absl::StatusOr<std::vector<std::string>> addresses =
        Ipv4Addresses(**sock, ifindex, absl::StrCat("list addresses of ", where));
    if (!addresses.ok()) return addresses.status();
    std::string want = absl::StrCat(config.ip->ToString(), "/", config.prefix_len);
    if (std::find(addresses->begin(), addresses->end(), want) == addresses->end()) {
      return absl::NotFoundError(
          absl::StrCat("address ", want, " is missing on ", where, " (it has ",
                       addresses->empty() ? "none" : absl::StrJoin(*addresses, ", "), ")"));
    }
  }
  if (config.gateway.has_value()) {
    absl::StatusOr<bool> route = HasDefaultRoute(
        **sock, ifindex, *config.gateway, absl::StrCat("list routes", InNetns(config.netns_path)));
    if (!route.ok()) return route.status();
    if (!*route) {
      return absl::NotFoundError(absl::StrCat("default route via ", config.gateway->ToString(),
                                              " dev ", where, " is missing"));
    }
  }
  absl::StatusOr<bool> csum = TxChecksumEnabled(config.ifname, where);
  if (!csum.ok()) return csum.status();
  if (*csum) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tx checksum offload is on for ", where, ", expected off (the switch needs checksums)"));
  }
  return absl::OkStatus();
}

absl::Status DeletePodSideVeth(const std::string& ifname, const std::string& netns_path) {
  absl::StatusOr<std::unique_ptr<RouteSocket>> sock = RouteSocket::Open();
  if (!sock.ok()) return sock.status();
  std::string where = absl::StrCat(ifname, InNetns(netns_path));
  absl::StatusOr<LinkPtr> link = (*sock)->GetLink(ifname, absl::StrCat("find ", where));
  if (absl::IsNotFound(link.status())) return absl::OkStatus();
  if (!link.ok()) return link.status();
  const char* type = rtnl_link_get_type(link->get());
  if (type == nullptr || std::string_view(type) != "veth") return absl::OkStatus();
  return (*sock)->DeleteLinkIfPresent(ifname, absl::StrCat("delete ", where)).status();
}

}  // namespace podswitch::agent::netlink::internal
