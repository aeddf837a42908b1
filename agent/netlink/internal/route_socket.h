// RouteSocket: a libnl NETLINK_ROUTE socket that remembers the kernel's errno, so errors read
// "add address 10.251.1.2/24 to eth0: File exists" rather than libnl's coarser texts. Plus
// owning pointers for libnl objects and the few link operations pod wiring repeats.
//
// A socket belongs to the network namespace of the thread that opened it: open it inside
// RunInNetns for in-pod operations.
#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace podswitch::agent::netlink::internal {

struct LinkPut {
  void operator()(rtnl_link* link) const { rtnl_link_put(link); }
};
struct AddrPut {
  void operator()(rtnl_addr* addr) const { rtnl_addr_put(addr); }
};
struct RoutePut {
  void operator()(rtnl_route* route) const { rtnl_route_put(route); }
};
struct NlAddrPut {
  void operator()(nl_addr* addr) const { nl_addr_put(addr); }
};
struct CacheFree {
  void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkPut>;
using AddrPtr = std::unique_ptr<rtnl_addr, AddrPut>;
using RoutePtr = std::unique_ptr<rtnl_route, RoutePut>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrPut>;
using CachePtr = std::unique_ptr<nl_cache, CacheFree>;

// Builds a libnl IPv4 address from a host-order address and prefix length.
NlAddrPtr MakeIpv4(uint32_t host_order, int prefix_len);
// Builds a libnl link-layer address from 6 bytes.
NlAddrPtr MakeMac(const uint8_t mac[6]);
// Prints a libnl address ("0a:58:0a:fb:01:02", "10.251.1.2/24").
std::string AddrToString(const nl_addr* addr);

// One NETLINK_ROUTE socket; see the file comment. Not thread-safe; cheap to open.
class RouteSocket {
 public:
  // Opens and connects a socket in the calling thread's network namespace.
  static absl::StatusOr<std::unique_ptr<RouteSocket>> Open();
  ~RouteSocket();
  RouteSocket(const RouteSocket&) = delete;
  RouteSocket& operator=(const RouteSocket&) = delete;

  nl_sock* get() const { return sock_; }

  // Turns a libnl return value into a Status for `what`: OK for >= 0, otherwise the kernel's
  // errno text when the kernel answered, libnl's text when it failed before that.
  absl::Status Check(int nl_result, std::string_view what);

  // The link named `name`, or NOT_FOUND ("what: No such device").
  absl::StatusOr<LinkPtr> GetLink(const std::string& name, std::string_view what);
  // Deletes the link named `name`; true when it was there, false when it was already gone.
  absl::StatusOr<bool> DeleteLinkIfPresent(const std::string& name, std::string_view what);
  // Sets IFF_UP on `link`.
  absl::Status SetUp(rtnl_link* link, std::string_view what);

 private:
  RouteSocket(nl_sock* sock, std::unique_ptr<int> kernel_errno)
      : sock_(sock), kernel_errno_(std::move(kernel_errno)) {}

  nl_sock* sock_;
  std::unique_ptr<int> kernel_errno_;  // written by the error callback; stable address
};

}  // namespace podswitch::agent::netlink::internal
