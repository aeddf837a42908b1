#include "agent/cluster/standalone_dir_source.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/cluster/object_parser.h"
#include "spdlog/spdlog.h"

namespace podswitch::agent::cluster {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// True for the files the directory contributes: visible *.yaml, *.yml and *.json.
bool IsObjectFile(const std::string& name) {
  if (name.empty() || name.front() == '.') return false;
  std::string lower = absl::AsciiStrToLower(name);
  return absl::EndsWith(lower, ".yaml") || absl::EndsWith(lower, ".yml") ||
         absl::EndsWith(lower, ".json");
}

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

StandaloneDirSource::StandaloneDirSource(std::string dir, StandaloneDirOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

StandaloneDirSource::~StandaloneDirSource() { Stop(); }

absl::Status StandaloneDirSource::Start(ClusterStore* store) {
  if (store_ != nullptr) return absl::FailedPreconditionError("standalone source already started");
  std::error_code error;
  if (!fs::is_directory(dir_, error)) {
    return absl::NotFoundError(
        absl::StrCat("standalone directory ", dir_, " does not exist or is not a directory"));
  }
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotify_fd_ < 0 || wake_fd_ < 0 || !AddWatch()) {
    absl::Status status = absl::FailedPreconditionError(
        absl::StrCat("cannot watch standalone directory ", dir_, ": ", ErrnoText()));
    CloseFds();
    return status;
  }
  store_ = store;
  // The watch is in place before the first read, so no change between the two is missed.
  if (absl::Status status = Resync(); !status.ok()) {
    spdlog::warn("standalone: {}: started with errors; fix the files and they are re-read", dir_);
  }
  synced_ = true;
  thread_ = std::thread([this] { WatchLoop(); });
  return absl::OkStatus();
}

void StandaloneDirSource::Stop() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof(one)) < 0) {
      spdlog::error("standalone: cannot wake the watcher: {}", ErrnoText());
    }
    thread_.join();
  }
  CloseFds();
}

bool StandaloneDirSource::Synced() const { return synced_; }

absl::Status StandaloneDirSource::Resync() {
  absl::MutexLock sync(&sync_mu_);
  absl::StatusOr<std::vector<ClusterObject>> objects;
  std::vector<std::string> errors;
  {
    absl::MutexLock lock(&mu_);
    ++sync_count_;
    objects = ReadDirectory();
    for (const auto& [name, message] : file_errors_) errors.push_back(message);
  }
  if (!objects.ok()) {
    spdlog::error("standalone: {}; keeping the objects read before",
                  std::string(objects.status().message()));
    return objects.status();
  }
  spdlog::info("standalone: {}: {} objects, {} files with errors", dir_, objects->size(),
               errors.size());
  if (store_ != nullptr) store_->Replace(options_.source_name, *std::move(objects));
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
}

absl::StatusOr<std::vector<ClusterObject>> StandaloneDirSource::ReadDirectory() {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(dir_, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    std::error_code type_error;
    if (IsObjectFile(name) && fs::is_regular_file(it->path(), type_error)) names.push_back(name);
  }
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot list ", dir_, ": ", error.message()));
  }
  std::sort(names.begin(), names.end());
  std::erase_if(file_objects_, [&](const auto& entry) {
    return !std::binary_search(names.begin(), names.end(), entry.first);
  });
  std::erase_if(file_errors_, [&](const auto& entry) {
    return !std::binary_search(names.begin(), names.end(), entry.first);
  });
  for (const std::string& name : names) ReadFile(name);

  std::vector<ClusterObject> objects;
  std::map<ObjectKey, std::string> defined_in;
  for (const auto& [name, file_objects] : file_objects_) {
    for (const ClusterObject& object : file_objects) {
      auto [it, inserted] = defined_in.emplace(KeyOf(object), name);
      if (!inserted) {
        spdlog::warn("standalone: {} is defined in {} and {}; using {}", it->first.ToString(),
                     it->second, name, name);
        it->second = name;
      }
      objects.push_back(object);  // Replace lets the later duplicate win.
    }
  }
  return objects;
}

void StandaloneDirSource::ReadFile(const std::string& name) {
  absl::StatusOr<std::vector<ClusterObject>> parsed =
      ParseObjectsFile((fs::path(dir_) / name).string());
  if (parsed.ok()) {
    if (file_errors_.erase(name) > 0) spdlog::info("standalone: {} is valid again", name);
    file_objects_[name] = *std::move(parsed);
    return;
  }
  if (absl::IsNotFound(parsed.status())) {  // Removed between listing and reading.
    file_objects_.erase(name);
    file_errors_.erase(name);
    return;
  }
  std::string message(parsed.status().message());
  auto [it, inserted] = file_errors_.try_emplace(name, message);
  if (inserted || it->second != message) {
    it->second = message;
    auto previous = file_objects_.find(name);
    if (previous == file_objects_.end()) {
      spdlog::error("standalone: {}; ignoring the file until it parses", message);
    } else {
      spdlog::error("standalone: {}; keeping its {} previous objects", message,
                    previous->second.size());
    }
  }
}

std::map<std::string, std::string> StandaloneDirSource::FileErrors() const {
  absl::MutexLock lock(&mu_);
  return file_errors_;
}

uint64_t StandaloneDirSource::SyncCount() const {
  absl::MutexLock lock(&mu_);
  return sync_count_;
}

bool StandaloneDirSource::AddWatch() {
  if (inotify_add_watch(inotify_fd_, dir_.c_str(), kWatchMask) < 0) return false;
  watch_lost_ = false;
  return true;
}

void StandaloneDirSource::CloseFds() {
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  inotify_fd_ = wake_fd_ = -1;
}

bool StandaloneDirSource::DrainEvents() {
  alignas(struct inotify_event) char buffer[16 * 1024];
  bool changed = false;
  for (;;) {
    ssize_t length = read(inotify_fd_, buffer, sizeof(buffer));
    if (length <= 0) break;  // EAGAIN: drained.
    for (ssize_t offset = 0; offset < length;) {
      const auto* event = reinterpret_cast<const struct inotify_event*>(buffer + offset);
      offset += static_cast<ssize_t>(sizeof(struct inotify_event) + event->len);
      const char* name = event->len > 0 ? event->name : "";
      spdlog::debug("standalone: inotify mask {:#x} on '{}'", event->mask, name);
      if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
        if (!watch_lost_) {
          spdlog::warn(
              "standalone: {} was removed or moved; keeping the objects until it "
              "comes back",
              dir_);
        }
        watch_lost_ = true;
        continue;
      }
      changed = true;
    }
  }
  return changed;
}

void StandaloneDirSource::WatchLoop() {
  std::optional<absl::Time> first_change;
  std::optional<absl::Time> due;
  for (;;) {
    int timeout_ms = -1;
    if (due) {
      timeout_ms =
          static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(*due - absl::Now()) + 1));
    } else if (watch_lost_) {
      timeout_ms = 1000;  // Poll for the directory to come back.
    }
    struct pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int ready = poll(fds, 2, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      spdlog::error("standalone: poll failed: {}; no longer watching {}", ErrnoText(), dir_);
      return;
    }
    if (ready > 0 && (fds[1].revents & POLLIN)) return;  // Stop().
    const absl::Time now = absl::Now();
    bool changed = ready > 0 && (fds[0].revents & POLLIN) && DrainEvents();
    std::error_code error;
    if (watch_lost_ && !due && fs::is_directory(dir_, error) && AddWatch()) {
      spdlog::info("standalone: {} is back; re-reading it", dir_);
      changed = true;
    }
    if (changed) {
      if (!first_change) first_change = now;
      due = std::min(now + options_.debounce, *first_change + options_.max_delay);
    }
    if (due && now >= *due) {
      first_change.reset();
      due.reset();
      Resync().IgnoreError();  // Errors are logged per file and kept in FileErrors().
    }
  }
}

}  // namespace podswitch::agent::cluster
