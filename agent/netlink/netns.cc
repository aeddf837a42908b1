#include "agent/netlink/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"

namespace podswitch::agent::netlink {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.Release();
  }
  return *this;
}

int UniqueFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

absl::StatusOr<UniqueFd> OpenNetns(const std::string& netns_path) {
  if (netns_path.empty()) {
    return absl::InvalidArgumentError("open netns: the netns path is empty");
  }
  UniqueFd fd(open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("open netns ", netns_path));
  // A runtime's netns path outlives its bind mount (an empty file stays behind): that
  // namespace is gone, not malformed.
  struct statfs fs {};
  if (fstatfs(fd.get(), &fs) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("open netns ", netns_path));
  }
  if (fs.f_type != NSFS_MAGIC) {
    return absl::NotFoundError(
        absl::StrCat("open netns ", netns_path, ": not a namespace (no longer mounted?)"));
  }
  return fd;
}

absl::StatusOr<NetnsGuard> NetnsGuard::Enter(int netns_fd, std::string_view what) {
  // thread-self, not self: /proc/self/ns/net is the main thread's namespace.
  UniqueFd original(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original.valid()) {
    return absl::ErrnoToStatus(errno, "open /proc/thread-self/ns/net to save the netns");
  }
  if (setns(netns_fd, CLONE_NEWNET) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("enter netns ", std::string(what)));
  }
  return NetnsGuard(std::move(original));
}

NetnsGuard::~NetnsGuard() {
  if (!original_.valid()) return;
  if (setns(original_.get(), CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "podswitch: cannot return to the original netns (errno %d); aborting\n",
                 errno);
    std::abort();
  }
}

absl::Status RunInNetns(int netns_fd, std::string_view what, absl::FunctionRef<absl::Status()> fn) {
  absl::Status status;
  std::thread thread([&] {
    absl::StatusOr<NetnsGuard> guard = NetnsGuard::Enter(netns_fd, what);
    status = guard.ok() ? fn() : guard.status();
  });
  thread.join();
  return status;
}

}  // namespace podswitch::agent::netlink
