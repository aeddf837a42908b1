#include "dataplane/switchd/port_closer.h"

#include <utility>

namespace podswitch::switchd {

PortCloser::PortCloser() : worker_([this] { Run(); }) {}

PortCloser::~PortCloser() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
}

void PortCloser::Close(std::unique_ptr<dpdk::Port> port) {
  if (port == nullptr) return;
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(port));
}

void PortCloser::Run() {
  while (true) {
    std::vector<std::unique_ptr<dpdk::Port>> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and nothing left
      batch.swap(queue_);
    }
    if (batch.size() == 1) {
      batch.front().reset();
      continue;
    }
    std::vector<std::thread> closers;
    closers.reserve(batch.size());
    for (std::unique_ptr<dpdk::Port>& port : batch) {
      closers.emplace_back([port = std::move(port)]() mutable { port.reset(); });
    }
    for (std::thread& closer : closers) closer.join();
  }
}

}  // namespace podswitch::switchd
