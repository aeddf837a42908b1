// AttachmentStore: the pods attached to secondary L2 networks on this node, kept on disk so
// DEL, CHECK and GC after an agent restart know which bridge, network and VXLAN segment an
// attachment belongs to, and the segment tunnels know which segments have local members.
//
// One JSON file (<state_dir>/l2-attachments.json), rewritten whole on every change through a
// temporary file, fsync and rename: a crash leaves the old or the new contents, never a mix.
// A node holds a few hundred attachments at most, so rewriting is cheap. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace podswitch::agent::l2net {

// One pod interface on a secondary network, keyed like CNI keys attachments.
struct L2Attachment {
  std::string container_id;
  std::string ifname;
  std::string network;  // the network config's name
  std::string bridge;
  std::optional<uint32_t> vni;  // set when the bridge's segment is stretched over VXLAN
  // The address pool as ADD saw it (ipam.subnet/rangeStart/rangeEnd; empty: no address), so
  // the address is released even when a later config differs or is not at hand.
  std::string subnet;
  std::string range_start;
  std::string range_end;
  std::string pod_namespace;
  std::string pod_name;

  friend bool operator==(const L2Attachment&, const L2Attachment&) = default;
};

class AttachmentStore {
 public:
  // Loads <state_dir>/l2-attachments.json (none yet: empty). DATA_LOSS naming the file when it
  // is not what this class writes.
  static absl::StatusOr<std::unique_ptr<AttachmentStore>> Open(const std::string& state_dir);

  // Records `attachment`, replacing one with the same key; durable when it returns OK.
  absl::Status Put(const L2Attachment& attachment);
  // Forgets the attachment of (container_id, ifname) and returns it (nullopt: there was none).
  absl::StatusOr<std::optional<L2Attachment>> Remove(std::string_view container_id,
                                                     std::string_view ifname);
  std::optional<L2Attachment> Get(std::string_view container_id, std::string_view ifname) const;
  // Every attachment, ordered by network, container id and ifname.
  std::vector<L2Attachment> List() const;

  const std::string& path() const { return path_; }

 private:
  explicit AttachmentStore(std::string path) : path_(std::move(path)) {}
  absl::Status Save(const std::vector<L2Attachment>& attachments) const;

  const std::string path_;
  mutable absl::Mutex mu_;
  std::vector<L2Attachment> attachments_ ABSL_GUARDED_BY(mu_);
};

}  // namespace podswitch::agent::l2net
