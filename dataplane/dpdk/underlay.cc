#include "dataplane/dpdk/underlay.h"

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "dataplane/core/packet/addr.h"
#include "spdlog/spdlog.h"

namespace podswitch::dpdk {
namespace {

// How long one request may wait for the kernel's whole answer.
constexpr absl::Duration kAnswerTimeout = absl::Seconds(1);
// The kernel sends no netlink datagram larger than 32 KiB (netlink_dump caps it there).
constexpr size_t kReceiveBufferSize = 32768;
// Neighbour states with a usable link-layer address (the kernel's NUD_VALID).
constexpr uint16_t kResolvedStates =
    NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;

using Bytes = std::span<const uint8_t>;

// The payload of attribute `type` among the attributes in `attributes`; empty when absent.
Bytes FindAttribute(Bytes attributes, uint16_t type) {
  while (attributes.size() >= sizeof(rtattr)) {
    rtattr attr;
    std::memcpy(&attr, attributes.data(), sizeof(attr));
    if (attr.rta_len < sizeof(rtattr) || attr.rta_len > attributes.size()) break;
    if ((attr.rta_type & NLA_TYPE_MASK) == type) {
      return attributes.subspan(sizeof(rtattr), attr.rta_len - sizeof(rtattr));
    }
    attributes = attributes.subspan(std::min<size_t>(RTA_ALIGN(attr.rta_len), attributes.size()));
  }
  return {};
}

// A host-order IPv4 address from a 4-byte attribute; nullopt for any other size.
std::optional<uint32_t> Ipv4Value(Bytes value) {
  if (value.size() != sizeof(uint32_t)) return std::nullopt;
  uint32_t network_order;
  std::memcpy(&network_order, value.data(), sizeof(network_order));
  return ntohl(network_order);
}

std::optional<uint32_t> U32Value(Bytes value) {
  if (value.size() != sizeof(uint32_t)) return std::nullopt;
  uint32_t v;
  std::memcpy(&v, value.data(), sizeof(v));
  return v;
}

// A string attribute (IFLA_IFNAME, NLMSGERR_ATTR_MSG): up to its terminating NUL.
std::string StringValue(Bytes value) {
  std::string_view text(reinterpret_cast<const char*>(value.data()), value.size());
  return std::string(text.substr(0, text.find('\0')));
}

// One message of the kernel's answer.
struct Message {
  uint16_t type = 0;
  uint16_t flags = 0;
  Bytes payload;  // everything after the netlink header

  // The family header (ifaddrmsg, rtmsg, ...) the payload starts with; nullopt when short.
  template <typename Header>
  std::optional<Header> FamilyHeader() const {
    if (payload.size() < sizeof(Header)) return std::nullopt;
    Header header;
    std::memcpy(&header, payload.data(), sizeof(header));
    return header;
  }

  // Attribute `attr_type` after the family header `Header`; empty when absent.
  template <typename Header>
  Bytes Attribute(uint16_t attr_type) const {
    size_t start = NLMSG_ALIGN(sizeof(Header));
    if (payload.size() < start) return {};
    return FindAttribute(payload.subspan(start), attr_type);
  }
};

// A request being built: netlink header, family header, attributes.
class Request {
 public:
  template <typename Header>
  Request(uint16_t type, uint16_t flags, const Header& header) {
    nlmsghdr nl{};
    nl.nlmsg_type = type;
    nl.nlmsg_flags = NLM_F_REQUEST | flags;
    Append(&nl, sizeof(nl));
    Append(&header, sizeof(header));
  }

  void AddIpv4(uint16_t type, uint32_t host_order) {
    uint32_t network_order = htonl(host_order);
    rtattr attr{};
    attr.rta_type = type;
    attr.rta_len = RTA_LENGTH(sizeof(network_order));
    Append(&attr, sizeof(attr));
    Append(&network_order, sizeof(network_order));
  }

  bool wants_ack() const { return (Header().nlmsg_flags & NLM_F_ACK) != 0; }

  // The bytes to send, with their length and sequence number `seq` filled in.
  Bytes Finish(uint32_t seq) {
    nlmsghdr nl = Header();
    nl.nlmsg_len = static_cast<uint32_t>(bytes_.size());
    nl.nlmsg_seq = seq;
    std::memcpy(bytes_.data(), &nl, sizeof(nl));
    return bytes_;
  }

 private:
  nlmsghdr Header() const {
    nlmsghdr nl;
    std::memcpy(&nl, bytes_.data(), sizeof(nl));
    return nl;
  }

  void Append(const void* data, size_t len) {
    bytes_.resize(NLMSG_ALIGN(bytes_.size()));
    const auto* begin = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), begin, begin + len);
  }

  std::vector<uint8_t> bytes_;
};

// The kernel's verdict on a request: 0 when it carried it out, else the errno it refused it
// with and, when it said more (extended ACK), its explanation.
struct Verdict {
  int error = 0;
  std::string explanation;

  std::string Text() const {
    std::string text = std::strerror(error);
    if (!explanation.empty()) absl::StrAppend(&text, " (", explanation, ")");
    return text;
  }
};

// The verdict of an NLMSG_ERROR message: error 0 acknowledges. With NLM_F_ACK_TLVS the kernel
// appends attributes after the request it quotes (only its header when NLM_F_CAPPED).
Verdict ErrorVerdict(const Message& message) {
  std::optional<nlmsgerr> err = message.FamilyHeader<nlmsgerr>();
  if (!err) return {.error = EPROTO, .explanation = "truncated NLMSG_ERROR"};
  Verdict verdict{.error = -err->error};
  if ((message.flags & NLM_F_ACK_TLVS) == 0) return verdict;
  size_t offset = sizeof(nlmsgerr);
  if ((message.flags & NLM_F_CAPPED) == 0 && err->msg.nlmsg_len >= NLMSG_HDRLEN) {
    offset += NLMSG_ALIGN(err->msg.nlmsg_len - NLMSG_HDRLEN);
  }
  if (offset < message.payload.size()) {
    verdict.explanation =
        StringValue(FindAttribute(message.payload.subspan(offset), NLMSGERR_ATTR_MSG));
  }
  return verdict;
}

// The verdict of NLMSG_DONE: a dump that failed part-way says so in the int it carries.
Verdict DoneVerdict(const Message& message) {
  std::optional<int> error = message.FamilyHeader<int>();
  return {.error = error && *error < 0 ? -*error : 0};
}

// A NETLINK_ROUTE socket for the requests of one call, closed with it.
class RouteSocket {
 public:
  static absl::StatusOr<RouteSocket> Open();
  RouteSocket(RouteSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)), seq_(other.seq_) {}
  RouteSocket& operator=(RouteSocket&&) = delete;
  ~RouteSocket() {
    if (fd_ >= 0) close(fd_);
  }

  // Sends `request` and hands every data message of the answer to `on_message` until the
  // answer ends: the one reply to a get, NLMSG_DONE after a dump, the acknowledgement of a
  // change. The kernel refusing the request is a Verdict; an error status (worded with
  // `what`) means no complete answer came: socket failure, timeout, malformed answer.
  absl::StatusOr<Verdict> Exchange(absl::string_view what, Request& request,
                                   absl::FunctionRef<void(const Message&)> on_message);

 private:
  explicit RouteSocket(int fd) : fd_(fd) {}

  int fd_;
  uint32_t seq_ = 0;
};

absl::StatusOr<RouteSocket> RouteSocket::Open() {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("socket(NETLINK_ROUTE): ", std::strerror(errno)));
  }
  RouteSocket route_socket(fd);
  timeval timeout = absl::ToTimeval(kAnswerTimeout);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) != 0) {
    return absl::InternalError(
        absl::StrCat("SO_RCVTIMEO on a NETLINK_ROUTE socket: ", std::strerror(errno)));
  }
  // Best effort, as a kernel without them just says less: the kernel's own explanation of an
  // error, without the request quoted back; strict checking of what we ask for.
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
  return route_socket;
}

absl::StatusOr<Verdict> RouteSocket::Exchange(absl::string_view what, Request& request,
                                              absl::FunctionRef<void(const Message&)> on_message) {
  const uint32_t seq = ++seq_;
  Bytes out = request.Finish(seq);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
             sizeof(kernel)) != static_cast<ssize_t>(out.size())) {
    return absl::InternalError(absl::StrCat(what, ": sending the request: ", std::strerror(errno)));
  }
  std::vector<uint8_t> buffer(kReceiveBufferSize);
  const absl::Time deadline = absl::Now() + kAnswerTimeout;
  while (absl::Now() < deadline) {
    sockaddr_nl from{};
    iovec iov{.iov_base = buffer.data(), .iov_len = buffer.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = recvmsg(fd_, &msg, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0) {
      return absl::InternalError(
          absl::StrCat(what, ": receiving the answer: ", std::strerror(errno)));
    }
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
      return absl::InternalError(
          absl::StrCat(what, ": an answer larger than ", buffer.size(), " bytes"));
    }
    if (from.nl_pid != 0) continue;  // not from the kernel
    Bytes datagram(buffer.data(), static_cast<size_t>(n));
    while (datagram.size() >= sizeof(nlmsghdr)) {
      nlmsghdr header;
      std::memcpy(&header, datagram.data(), sizeof(header));
      if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > datagram.size()) {
        return absl::InternalError(absl::StrCat(what, ": a malformed netlink message"));
      }
      Message message{.type = header.nlmsg_type,
                      .flags = header.nlmsg_flags,
                      .payload = datagram.subspan(NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN)};
      datagram = datagram.subspan(std::min<size_t>(NLMSG_ALIGN(header.nlmsg_len), datagram.size()));
      if (header.nlmsg_seq != seq || message.type == NLMSG_NOOP) continue;
      if (message.type == NLMSG_ERROR) return ErrorVerdict(message);
      if (message.type == NLMSG_DONE) return DoneVerdict(message);
      if ((message.flags & NLM_F_DUMP_INTR) != 0) {
        return absl::UnavailableError(
            absl::StrCat(what, ": the table changed during the dump; try again"));
      }
      on_message(message);
      if ((message.flags & NLM_F_MULTI) == 0 && !request.wants_ack()) return Verdict{};
    }
  }
  return absl::DeadlineExceededError(absl::StrCat(what, ": no answer from the kernel within ",
                                                  absl::FormatDuration(kAnswerTimeout)));
}

// "eth0 (ifindex 2)", or "ifindex 2" when no interface has that index (any more).
std::string InterfaceText(int ifindex) {
  char name[IF_NAMESIZE] = {};
  if (ifindex > 0 && if_indextoname(static_cast<unsigned>(ifindex), name) != nullptr) {
    return absl::StrCat(name, " (ifindex ", ifindex, ")");
  }
  return absl::StrCat("ifindex ", ifindex);
}

// The index of the interface that has IPv4 address `ip`, 0 when none has it.
absl::StatusOr<int> FindAddressOwner(RouteSocket& socket, uint32_t ip, absl::string_view context) {
  ifaddrmsg filter{};
  filter.ifa_family = AF_INET;
  Request request(RTM_GETADDR, NLM_F_DUMP, filter);
  const std::string what = absl::StrCat(context, ": dumping IPv4 addresses");
  int owner = 0;
  absl::StatusOr<Verdict> verdict = socket.Exchange(what, request, [&](const Message& message) {
    std::optional<ifaddrmsg> addr = message.FamilyHeader<ifaddrmsg>();
    if (message.type != RTM_NEWADDR || !addr || addr->ifa_family != AF_INET || owner != 0) return;
    // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on a point-to-point
    // link and only present alone on others.
    Bytes local = message.Attribute<ifaddrmsg>(IFA_LOCAL);
    if (local.empty()) local = message.Attribute<ifaddrmsg>(IFA_ADDRESS);
    if (Ipv4Value(local) == ip) owner = static_cast<int>(addr->ifa_index);
  });
  if (!verdict.ok()) return verdict.status();
  if (verdict->error != 0) return absl::InternalError(absl::StrCat(what, ": ", verdict->Text()));
  return owner;
}

// Name, MAC and MTU of interface `ifindex`.
absl::StatusOr<UplinkInterface> ReadLink(RouteSocket& socket, int ifindex,
                                         absl::string_view context) {
  ifinfomsg filter{};
  filter.ifi_family = AF_UNSPEC;
  filter.ifi_index = ifindex;
  Request request(RTM_GETLINK, 0, filter);
  const std::string what = absl::StrCat(context, ": reading interface ", ifindex);
  UplinkInterface uplink{.ifindex = ifindex};
  bool answered = false;
  bool has_mac = false;
  absl::StatusOr<Verdict> verdict = socket.Exchange(what, request, [&](const Message& message) {
    if (message.type != RTM_NEWLINK) return;
    answered = true;
    std::optional<ifinfomsg> link = message.FamilyHeader<ifinfomsg>();
    uplink.name = StringValue(message.Attribute<ifinfomsg>(IFLA_IFNAME));
    uplink.mtu = U32Value(message.Attribute<ifinfomsg>(IFLA_MTU)).value_or(0);
    Bytes mac = message.Attribute<ifinfomsg>(IFLA_ADDRESS);
    // Loopback also has a 6-byte (all-zero) address; only a real Ethernet one will do.
    has_mac = link && link->ifi_type == ARPHRD_ETHER && mac.size() == uplink.mac.size();
    if (has_mac) std::copy(mac.begin(), mac.end(), uplink.mac.begin());
  });
  if (!verdict.ok()) return verdict.status();
  if (verdict->error == ENODEV) {
    return absl::NotFoundError(absl::StrCat(what, ": the interface is gone"));
  }
  if (verdict->error != 0) return absl::InternalError(absl::StrCat(what, ": ", verdict->Text()));
  if (!answered) return absl::InternalError(absl::StrCat(what, ": the kernel sent no link"));
  if (!has_mac) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": interface ", uplink.name, " has no Ethernet address"));
  }
  return uplink;
}

// Where the kernel routes a packet to a remote address.
struct Route {
  int oif = 0;
  std::optional<uint32_t> gateway;  // nullopt: the destination is on-link
};

std::string RouteTypeText(uint8_t type) {
  switch (type) {
    case RTN_LOCAL:
      return "local (an address of this host)";
    case RTN_BROADCAST:
      return "broadcast";
    case RTN_MULTICAST:
      return "multicast";
    default:
      return absl::StrCat("type ", type);
  }
}

// The kernel's route to `remote_ip` (RTM_GETROUTE, as `ip route get`).
absl::StatusOr<Route> LookupRoute(RouteSocket& socket, uint32_t remote_ip,
                                  absl::string_view context) {
  rtmsg query{};
  query.rtm_family = AF_INET;
  query.rtm_dst_len = 32;
  Request request(RTM_GETROUTE, 0, query);
  request.AddIpv4(RTA_DST, remote_ip);
  const std::string what = absl::StrCat(context, ": route lookup");
  std::optional<rtmsg> found;
  Route route;
  bool via = false;
  absl::StatusOr<Verdict> verdict = socket.Exchange(what, request, [&](const Message& message) {
    if (message.type != RTM_NEWROUTE) return;
    found = message.FamilyHeader<rtmsg>();
    route.oif = static_cast<int>(U32Value(message.Attribute<rtmsg>(RTA_OIF)).value_or(0));
    route.gateway = Ipv4Value(message.Attribute<rtmsg>(RTA_GATEWAY));
    via = !message.Attribute<rtmsg>(RTA_VIA).empty();
  });
  if (!verdict.ok()) return verdict.status();
  if (verdict->error == ENETUNREACH || verdict->error == EHOSTUNREACH) {
    return absl::NotFoundError(absl::StrCat(context, ": no route (", verdict->Text(), ")"));
  }
  if (verdict->error != 0) return absl::InternalError(absl::StrCat(what, ": ", verdict->Text()));
  if (!found) return absl::InternalError(absl::StrCat(what, ": the kernel sent no route"));
  if (found->rtm_type != RTN_UNICAST) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": the route is ", RouteTypeText(found->rtm_type), ", not unicast"));
  }
  if (via) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": the route's gateway is not an IPv4 address (RTA_VIA)"));
  }
  if (route.oif == 0) {
    return absl::InternalError(absl::StrCat(what, ": the route has no output interface"));
  }
  return route;
}

// A neighbour table entry; state NUD_NONE and no MAC when there is none.
struct Neighbour {
  bool present = false;
  uint8_t state = NUD_NONE;
  std::optional<core::MacAddr> mac;
};

std::string NeighbourText(const Neighbour& neighbour) {
  if (!neighbour.present) return "no neighbour entry";
  switch (neighbour.state) {
    case NUD_NONE:
      return "state NONE";
    case NUD_INCOMPLETE:
      return "state INCOMPLETE";
    case NUD_FAILED:
      return "state FAILED";
    default:
      return absl::StrCat("state 0x", absl::Hex(neighbour.state));
  }
}

// The neighbour entry of `ip` on `ifindex` (RTM_GETNEIGH for one entry, as `ip neigh get`).
absl::StatusOr<Neighbour> GetNeighbour(RouteSocket& socket, uint32_t ip, int ifindex,
                                       absl::string_view context) {
  ndmsg query{};
  query.ndm_family = AF_INET;
  query.ndm_ifindex = ifindex;
  Request request(RTM_GETNEIGH, 0, query);
  request.AddIpv4(NDA_DST, ip);
  const std::string what = absl::StrCat(context, ": reading the neighbour entry of ",
                                        core::Ipv4ToString(ip), " on ", InterfaceText(ifindex));
  Neighbour neighbour;
  absl::StatusOr<Verdict> verdict = socket.Exchange(what, request, [&](const Message& message) {
    std::optional<ndmsg> entry = message.FamilyHeader<ndmsg>();
    if (message.type != RTM_NEWNEIGH || !entry) return;
    neighbour.present = true;
    neighbour.state = static_cast<uint8_t>(entry->ndm_state);
    Bytes lladdr = message.Attribute<ndmsg>(NDA_LLADDR);
    if (lladdr.size() == sizeof(core::MacAddr)) {
      neighbour.mac.emplace();
      std::copy(lladdr.begin(), lladdr.end(), neighbour.mac->begin());
    }
  });
  if (!verdict.ok()) return verdict.status();
  if (verdict->error == ENOENT) return Neighbour{};
  if (verdict->error != 0) return absl::InternalError(absl::StrCat(what, ": ", verdict->Text()));
  return neighbour;
}

// Asks the kernel to resolve, or re-confirm, neighbour `ip` on `ifindex`, as `ip neigh replace
// IP dev DEV use` does. With NTF_USE the kernel creates the entry when missing and calls
// neigh_event_send on it: a missing, FAILED or NONE entry goes INCOMPLETE and an ARP request
// leaves at once; a STALE one goes to DELAY, then a unicast probe. The state we send is
// NUD_NONE, not iproute2's default NUD_PERMANENT: NTF_USE ignores it except that "permanent"
// would exempt a newly created entry from garbage collection.
absl::Status RequestResolution(RouteSocket& socket, uint32_t ip, int ifindex,
                               absl::string_view context) {
  ndmsg use{};
  use.ndm_family = AF_INET;
  use.ndm_ifindex = ifindex;
  use.ndm_state = NUD_NONE;
  use.ndm_flags = NTF_USE;
  Request request(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK, use);
  request.AddIpv4(NDA_DST, ip);
  const std::string what = absl::StrCat(context, ": asking the kernel to resolve ",
                                        core::Ipv4ToString(ip), " on ", InterfaceText(ifindex));
  absl::StatusOr<Verdict> verdict = socket.Exchange(what, request, [](const Message&) {});
  if (!verdict.ok()) return verdict.status();
  if (verdict->error != 0) return absl::InternalError(absl::StrCat(what, ": ", verdict->Text()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UplinkInterface> FindUplink(uint32_t local_ip) {
  const std::string address = core::Ipv4ToString(local_ip);
  const std::string context = absl::StrCat("uplink with IPv4 address ", address);
  absl::StatusOr<RouteSocket> socket = RouteSocket::Open();
  if (!socket.ok()) return socket.status();
  absl::StatusOr<int> ifindex = FindAddressOwner(*socket, local_ip, context);
  if (!ifindex.ok()) return ifindex.status();
  if (*ifindex == 0) {
    return absl::NotFoundError(absl::StrCat("no interface has IPv4 address ", address));
  }
  return ReadLink(*socket, *ifindex, context);
}

absl::StatusOr<core::MacAddr> LookupNextHopMac(uint32_t remote_ip, int uplink_ifindex) {
  std::string context = absl::StrCat("next hop to ", core::Ipv4ToString(remote_ip));
  if (uplink_ifindex <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": invalid uplink ifindex ", uplink_ifindex));
  }
  absl::StatusOr<RouteSocket> socket = RouteSocket::Open();
  if (!socket.ok()) return socket.status();
  absl::StatusOr<Route> route = LookupRoute(*socket, remote_ip, context);
  if (!route.ok()) return route.status();
  if (route->oif != uplink_ifindex) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": the route leaves by ", InterfaceText(route->oif),
                     ", not by the tunnel's uplink ", InterfaceText(uplink_ifindex)));
  }
  const uint32_t next_hop = route->gateway.value_or(remote_ip);
  if (route->gateway) absl::StrAppend(&context, " (gateway ", core::Ipv4ToString(next_hop), ")");
  absl::StatusOr<Neighbour> neighbour = GetNeighbour(*socket, next_hop, uplink_ifindex, context);
  if (!neighbour.ok()) return neighbour.status();
  if ((neighbour->state & kResolvedStates) != 0) {
    if (!neighbour->mac) {
      return absl::FailedPreconditionError(absl::StrCat(context, ": the neighbour entry on ",
                                                        InterfaceText(uplink_ifindex),
                                                        " has no Ethernet address"));
    }
    // The switch's frames bypass the kernel, which would otherwise never re-confirm the entry.
    if ((neighbour->state & NUD_STALE) != 0) {
      absl::Status refresh = RequestResolution(*socket, next_hop, uplink_ifindex, context);
      if (!refresh.ok()) spdlog::warn("dpdk: {}", std::string(refresh.message()));
    }
    return *neighbour->mac;
  }
  if (absl::Status s = RequestResolution(*socket, next_hop, uplink_ifindex, context); !s.ok()) {
    return s;
  }
  return absl::UnavailableError(absl::StrCat(context, ": ", core::Ipv4ToString(next_hop), " on ",
                                             InterfaceText(uplink_ifindex),
                                             " is not resolved yet (", NeighbourText(*neighbour),
                                             "); asked the kernel to resolve it, try again later"));
}

}  // namespace podswitch::dpdk
