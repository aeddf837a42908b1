#include "agent/overlay/uplink.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace podswitch::agent::overlay {
namespace {

// The MTU of interface `name`, asked of the kernel the way `ip link` does.
absl::StatusOr<int> InterfaceMtu(const std::string& name) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::ErrnoToStatus(errno, "socket for SIOCGIFMTU");
  ifreq request{};
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  int rc = ioctl(fd, SIOCGIFMTU, &request);
  int saved = errno;
  close(fd);
  if (rc < 0) return absl::ErrnoToStatus(saved, absl::StrCat("MTU of ", name));
  return request.ifr_mtu;
}

}  // namespace

absl::StatusOr<UplinkInterface> FindUplink(const std::string& local_ip) {
  in_addr wanted{};
  if (inet_pton(AF_INET, local_ip.c_str(), &wanted) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("tunnel local IP \"", local_ip, "\" is not an IPv4 address"));
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return absl::ErrnoToStatus(errno, "getifaddrs");
  std::string name;
  for (ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    const auto* address = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
    if (address->sin_addr.s_addr == wanted.s_addr) {
      name = entry->ifa_name;
      break;
    }
  }
  freeifaddrs(list);
  if (name.empty()) {
    return absl::NotFoundError(absl::StrCat("no interface has address ", local_ip));
  }
  absl::StatusOr<int> mtu = InterfaceMtu(name);
  if (!mtu.ok()) return mtu.status();
  return UplinkInterface{.name = name, .mtu = *mtu};
}

}  // namespace podswitch::agent::overlay
