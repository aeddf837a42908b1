#include "agent/l2net/attachment_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace podswitch::agent::l2net {
namespace {

constexpr char kFileName[] = "l2-attachments.json";

nlohmann::json ToJson(const L2Attachment& a) {
  nlohmann::json json = {{"containerId", a.container_id},
                         {"ifname", a.ifname},
                         {"network", a.network},
                         {"bridge", a.bridge},
                         {"podNamespace", a.pod_namespace},
                         {"podName", a.pod_name}};
  if (a.vni) json["vni"] = *a.vni;
  if (!a.subnet.empty()) {
    json["subnet"] = a.subnet;
    json["rangeStart"] = a.range_start;
    json["rangeEnd"] = a.range_end;
  }
  return json;
}

// nullopt when `json` is not an attachment as ToJson writes it.
std::optional<L2Attachment> FromJson(const nlohmann::json& json) {
  if (!json.is_object()) return std::nullopt;
  L2Attachment a;
  for (auto [key, field] :
       {std::pair{"containerId", &a.container_id}, std::pair{"ifname", &a.ifname},
        std::pair{"network", &a.network}, std::pair{"bridge", &a.bridge},
        std::pair{"podNamespace", &a.pod_namespace}, std::pair{"podName", &a.pod_name}}) {
    auto it = json.find(key);
    if (it == json.end() || !it->is_string()) return std::nullopt;
    *field = it->get<std::string>();
  }
  for (auto [key, field] : {std::pair{"subnet", &a.subnet}, std::pair{"rangeStart", &a.range_start},
                            std::pair{"rangeEnd", &a.range_end}}) {
    auto it = json.find(key);
    if (it == json.end()) continue;
    if (!it->is_string()) return std::nullopt;
    *field = it->get<std::string>();
  }
  if (auto vni = json.find("vni"); vni != json.end()) {
    if (!vni->is_number_unsigned()) return std::nullopt;
    a.vni = vni->get<uint32_t>();
  }
  if (a.container_id.empty() || a.ifname.empty()) return std::nullopt;
  return a;
}

bool KeyLess(const L2Attachment& a, const L2Attachment& b) {
  return std::tie(a.network, a.container_id, a.ifname) <
         std::tie(b.network, b.container_id, b.ifname);
}

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(std::string(what), " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<AttachmentStore>> AttachmentStore::Open(
    const std::string& state_dir) {
  std::error_code error;
  std::filesystem::create_directories(state_dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("create state directory ", state_dir, ": ", error.message()));
  }
  std::unique_ptr<AttachmentStore> store(
      new AttachmentStore((std::filesystem::path(state_dir) / kFileName).string()));
  std::ifstream in(store->path_);
  if (!in) return store;  // nothing attached yet
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  auto list = json.is_object() ? json.find("attachments") : json.end();
  if (list == json.end() || !list->is_array()) {
    return absl::DataLossError(absl::StrCat(store->path_,
                                            " is not a podswitch attachment file (expected "
                                            "{\"attachments\": [...]}); move it away to start "
                                            "afresh"));
  }
  absl::MutexLock lock(&store->mu_);
  for (size_t i = 0; i < list->size(); ++i) {
    std::optional<L2Attachment> a = FromJson((*list)[i]);
    if (!a) {
      return absl::DataLossError(absl::StrCat(store->path_, ": attachments[", i,
                                              "] is not an attachment: ", (*list)[i].dump()));
    }
    store->attachments_.push_back(*std::move(a));
  }
  std::sort(store->attachments_.begin(), store->attachments_.end(), KeyLess);
  return store;
}

absl::Status AttachmentStore::Save(const std::vector<L2Attachment>& attachments) const {
  nlohmann::json list = nlohmann::json::array();
  for (const L2Attachment& a : attachments) list.push_back(ToJson(a));
  std::string text = nlohmann::json{{"attachments", list}}.dump(1) + "\n";
  std::string tmp = path_ + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create", tmp);
  bool written =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  absl::Status status = written ? absl::OkStatus() : Errno("write", tmp);
  close(fd);
  if (status.ok() && rename(tmp.c_str(), path_.c_str()) != 0) status = Errno("rename to", path_);
  if (!status.ok()) {
    unlink(tmp.c_str());
    return status;
  }
  // The rename itself must survive a power loss too.
  int dir = open(std::filesystem::path(path_).parent_path().c_str(), O_RDONLY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return absl::OkStatus();
}

absl::Status AttachmentStore::Put(const L2Attachment& attachment) {
  absl::MutexLock lock(&mu_);
  std::vector<L2Attachment> next = attachments_;
  auto it = std::lower_bound(next.begin(), next.end(), attachment, KeyLess);
  if (it != next.end() && !KeyLess(attachment, *it)) {
    if (*it == attachment) return absl::OkStatus();
    *it = attachment;
  } else {
    next.insert(it, attachment);
  }
  // An attachment is keyed by (container, ifname) alone; the same key on another network
  // replaces the old record.
  std::erase_if(next, [&](const L2Attachment& a) {
    return a.container_id == attachment.container_id && a.ifname == attachment.ifname &&
           a.network != attachment.network;
  });
  if (absl::Status status = Save(next); !status.ok()) return status;
  attachments_ = std::move(next);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<L2Attachment>> AttachmentStore::Remove(std::string_view container_id,
                                                                    std::string_view ifname) {
  absl::MutexLock lock(&mu_);
  std::vector<L2Attachment> next;
  std::optional<L2Attachment> removed;
  for (const L2Attachment& a : attachments_) {
    if (a.container_id == container_id && a.ifname == ifname) {
      removed = a;
    } else {
      next.push_back(a);
    }
  }
  if (!removed) return removed;
  if (absl::Status status = Save(next); !status.ok()) return status;
  attachments_ = std::move(next);
  return removed;
}

std::optional<L2Attachment> AttachmentStore::Get(std::string_view container_id,
                                                 std::string_view ifname) const {
  absl::MutexLock lock(&mu_);
  for (const L2Attachment& a : attachments_) {
    if (a.container_id == container_id && a.ifname == ifname) return a;
  }
  return std::nullopt;
}

std::vector<L2Attachment> AttachmentStore::List() const {
  absl::MutexLock lock(&mu_);
  return attachments_;
}

}  // namespace podswitch::agent::l2net
