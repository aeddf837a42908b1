#include "agent/netlink/internal/route_socket.h"

#include <errno.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace podswitch::agent::netlink::internal {
namespace {

// Records the errno the kernel put in an NLMSG_ERROR, then lets libnl fail as usual.
int RecordKernelErrno(sockaddr_nl* /*peer*/, nlmsgerr* error, void* arg) {
  *static_cast<int*>(arg) = -error->error;
  return NL_STOP;
}

// The errno behind a libnl error code, for replies libnl consumed with its own error handler
// (rtnl_link_get_kernel's nl_pickup_keep_syserr replaces ours); 0 when libnl failed on its own.
int ErrnoOfNlError(int nl_error) {
  switch (nl_error < 0 ? -nl_error : nl_error) {
    case NLE_NODEV:
      return ENODEV;
    case NLE_OBJ_NOTFOUND:
      return ENOENT;
    case NLE_EXIST:
      return EEXIST;
    case NLE_PERM:
      return EPERM;
    case NLE_NOACCESS:
      return EACCES;
    case NLE_INVAL:
      return EINVAL;
    case NLE_BUSY:
      return EBUSY;
    case NLE_NOMEM:
      return ENOMEM;
    case NLE_RANGE:
      return ERANGE;
    case NLE_OPNOTSUPP:
      return EOPNOTSUPP;
    case NLE_AF_NOSUPPORT:
      return EAFNOSUPPORT;
    case NLE_NOADDR:
      return EADDRNOTAVAIL;
    case NLE_AGAIN:
      return EAGAIN;
    case NLE_INTR:
      return EINTR;
    case NLE_MSGSIZE:
      return EMSGSIZE;
    default:
      return 0;
  }
}

}  // namespace

NlAddrPtr MakeIpv4(uint32_t host_order, int prefix_len) {
  uint32_t network_order = htonl(host_order);
  NlAddrPtr addr(nl_addr_build(AF_INET, &network_order, sizeof(network_order)));
  if (addr != nullptr) nl_addr_set_prefixlen(addr.get(), prefix_len);
  return addr;
}

NlAddrPtr MakeMac(const uint8_t mac[6]) { return NlAddrPtr(nl_addr_build(AF_LLC, mac, 6)); }

std::string AddrToString(const nl_addr* addr) {
  if (addr == nullptr) return "(none)";
  char buffer[128];
  return nl_addr2str(addr, buffer, sizeof(buffer));
}

absl::StatusOr<std::unique_ptr<RouteSocket>> RouteSocket::Open() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) return absl::ResourceExhaustedError("allocate a netlink socket");
  auto kernel_errno = std::make_unique<int>(0);
  nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, RecordKernelErrno, kernel_errno.get());
  std::unique_ptr<RouteSocket> socket(new RouteSocket(sock, std::move(kernel_errno)));
  if (absl::Status status = socket->Check(nl_connect(sock, NETLINK_ROUTE), "open netlink socket");
      !status.ok()) {
    return status;
  }
  return socket;
}

RouteSocket::~RouteSocket() { nl_socket_free(sock_); }

absl::Status RouteSocket::Check(int nl_result, std::string_view what) {
  int kernel_errno = *kernel_errno_;
  *kernel_errno_ = 0;
  if (nl_result >= 0) return absl::OkStatus();
  if (kernel_errno == 0) kernel_errno = ErrnoOfNlError(nl_result);
  if (kernel_errno != 0) return absl::ErrnoToStatus(kernel_errno, std::string(what));
  return absl::InternalError(absl::StrCat(std::string(what), ": ", nl_geterror(nl_result)));
}

absl::StatusOr<LinkPtr> RouteSocket::GetLink(const std::string& name, std::string_view what) {
  rtnl_link* raw = nullptr;
  int result = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw);
  LinkPtr link(raw);
  if (absl::Status status = Check(result, what); !status.ok()) return status;
  if (link == nullptr) return absl::ErrnoToStatus(ENODEV, std::string(what));
  return link;
}

absl::StatusOr<bool> RouteSocket::DeleteLinkIfPresent(const std::string& name,
                                                      std::string_view what) {
  LinkPtr link(rtnl_link_alloc());
  if (link == nullptr) return absl::ResourceExhaustedError("allocate a netlink link");
  rtnl_link_set_name(link.get(), name.c_str());
  absl::Status status = Check(rtnl_link_delete(sock_, link.get()), what);
  if (absl::IsNotFound(status)) return false;  // ENODEV: already gone
  if (!status.ok()) return status;
  return true;
}

absl::Status RouteSocket::SetUp(rtnl_link* link, std::string_view what) {
  LinkPtr change(rtnl_link_alloc());
  if (change == nullptr) return absl::ResourceExhaustedError("allocate a netlink link");
  rtnl_link_set_flags(change.get(), IFF_UP);
  return Check(rtnl_link_change(sock_, link, change.get(), 0), what);
}

}  // namespace podswitch::agent::netlink::internal
