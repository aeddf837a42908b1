// PortCloser: closes detached socket ports off the path of the call that deleted them.
// Closing an AF_PACKET socket with rings waits for kernel RCU grace periods (the rings are
// torn down and the socket unhooked: 30-45 ms measured), and a pod's DEL must not wait for
// that: once detached, no PMD touches the port, and the kernel interface it was bound to may
// go (the socket lets go of it when it is unregistered). Ports queued together are closed
// in parallel, so their grace periods overlap instead of adding up.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "dataplane/dpdk/port.h"

namespace podswitch::switchd {

class PortCloser {
 public:
  PortCloser();
  // Closes everything still queued, then returns.
  ~PortCloser();
  PortCloser(const PortCloser&) = delete;
  PortCloser& operator=(const PortCloser&) = delete;

  // Queues a detached port for closing; nullptr is ignored.
  void Close(std::unique_ptr<dpdk::Port> port);

 private:
  void Run();

  absl::Mutex mu_;
  std::vector<std::unique_ptr<dpdk::Port>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace podswitch::switchd
