// KeyedMutex: one mutex per key (a container id), made on first use, so operations on one
// key are serialised while operations on different keys run in parallel. Entries live as
// long as the KeyedMutex: a node sees a bounded number of containers between agent restarts.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace podswitch {

class KeyedMutex {
 public:
  // The mutex of `key`; hold the shared_ptr while the mutex is locked.
  std::shared_ptr<absl::Mutex> Get(const std::string& key) {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<absl::Mutex>& slot = mutexes_[key];
    if (!slot) slot = std::make_shared<absl::Mutex>();
    return slot;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<absl::Mutex>> mutexes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace podswitch
