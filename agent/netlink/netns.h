// Entering a pod's network namespace safely. A network namespace belongs to one thread, and
// sockets (netlink, ethtool ioctl, AF_PACKET) belong to the namespace of the thread that
// created them. So every in-pod operation runs on a dedicated short-lived thread that enters
// the namespace, creates its sockets there and ends; the agent's shared threads (gRPC
// workers) never change namespace.
#pragma once

#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace podswitch::agent::netlink {

// An open file descriptor that closes itself, so no error path leaks one.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  // The descriptor, -1 when empty.
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership without closing, for handing the descriptor to another owner.
  int Release();
  // Closes the descriptor now.
  void Reset();

 private:
  int fd_ = -1;
};

// Opens a network namespace file (CNI_NETNS, e.g. /var/run/netns/NAME or /proc/PID/ns/net);
// NOT_FOUND when the path is missing or no longer a namespace, the error naming the path and
// the errno text.
absl::StatusOr<UniqueFd> OpenNetns(const std::string& netns_path);

// Moves the calling thread into a network namespace and back: the constructor-like Enter
// saves the thread's current namespace, the destructor restores it. Meant for a dedicated
// thread (see RunInNetns); if restoring ever fails the process aborts, because a thread
// silently left in a pod's namespace would configure the wrong network.
class NetnsGuard {
 public:
  // Enters the namespace `netns_fd` (described by `what` in errors), or fails leaving the
  // thread where it was.
  static absl::StatusOr<NetnsGuard> Enter(int netns_fd, std::string_view what);

  ~NetnsGuard();
  NetnsGuard(NetnsGuard&& other) noexcept = default;
  NetnsGuard& operator=(NetnsGuard&&) = delete;
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

 private:
  explicit NetnsGuard(UniqueFd original) : original_(std::move(original)) {}

  UniqueFd original_;  // the namespace to return to; empty after a move
};

// Runs `fn` on a new thread inside the namespace `netns_fd` and waits for it, so the caller's
// thread never changes namespace. Everything `fn` creates (sockets) lives in that namespace.
absl::Status RunInNetns(int netns_fd, std::string_view what, absl::FunctionRef<absl::Status()> fn);

}  // namespace podswitch::agent::netlink
