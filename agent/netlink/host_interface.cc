#include "agent/netlink/host_interface.h"

#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "absl/strings/str_cat.h"
#include "agent/netlink/internal/route_socket.h"

namespace podswitch::agent::netlink {

using internal::AddrPtr;
using internal::LinkPtr;
using internal::NlAddrPtr;

absl::Status ConfigureHostInterface(const HostInterfaceConfig& config) {
  auto sock = internal::RouteSocket::Open();
  if (!sock.ok()) return sock.status();
  auto link = (*sock)->GetLink(config.ifname, absl::StrCat("find ", config.ifname));
  if (!link.ok()) return link.status();

  LinkPtr change(rtnl_link_alloc());
  if (!config.mac.empty()) {
    uint8_t mac[6];
    if (std::sscanf(config.mac.c_str(), "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
                    &mac[3], &mac[4], &mac[5]) != 6) {
      return absl::InvalidArgumentError(absl::StrCat("bad MAC ", config.mac));
    }
    NlAddrPtr addr = internal::MakeMac(mac);
    rtnl_link_set_addr(change.get(), addr.get());
  }
  if (config.mtu > 0) rtnl_link_set_mtu(change.get(), config.mtu);
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (absl::Status status =
          (*sock)->Check(rtnl_link_change((*sock)->get(), link->get(), change.get(), 0),
                         absl::StrCat("set MAC/MTU/up on ", config.ifname));
      !status.ok()) {
    return status;
  }

  auto subnet = ipam::Cidr::FromAddress(config.ip, config.prefix_len);
  if (!subnet.ok()) return subnet.status();
  AddrPtr addr(rtnl_addr_alloc());
  NlAddrPtr local = internal::MakeIpv4(config.ip.value(), config.prefix_len);
  NlAddrPtr broadcast = internal::MakeIpv4(subnet->broadcast().value(), 32);
  rtnl_addr_set_ifindex(addr.get(), rtnl_link_get_ifindex(link->get()));
  rtnl_addr_set_family(addr.get(), AF_INET);
  rtnl_addr_set_local(addr.get(), local.get());
  rtnl_addr_set_broadcast(addr.get(), broadcast.get());
  int result = rtnl_addr_add((*sock)->get(), addr.get(), 0);
  if (result == -NLE_EXIST) return absl::OkStatus();
  return (*sock)->Check(result, absl::StrCat("add address ", config.ip.ToString(), "/",
                                             config.prefix_len, " to ", config.ifname));
}

}  // namespace podswitch::agent::netlink
