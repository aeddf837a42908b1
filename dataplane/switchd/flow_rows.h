// FlowRows: which config database row holds each persistent flow of each bridge. The
// database keeps one row per flow that must survive a restart (one without timeouts), as
// canonical ovs-ofctl text. A flow change writes only the rows of the flows it adds,
// replaces or removes, found here by the flow's identity, instead of rewriting the
// bridge's whole flow list: a pod's ADD or DEL costs the same with 10 or 10,000 flows
// installed, and the change log names exactly the flows that changed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "dataplane/core/flow/flow_spec.h"
#include "dataplane/core/packet/flow_key.h"
#include "dataplane/core/pipeline/flow_rule.h"
#include "dataplane/switchd/config/config_txn.h"

namespace podswitch::switchd {

// A flow's identity within a bridge, as OpenFlow defines it: add-flow with the same table,
// priority and match replaces the flow. The match is normalized, so equal matches compare
// equal.
struct FlowIdentity {
  uint8_t table = 0;
  int32_t priority = 0;
  core::Match match;

  static FlowIdentity Of(const core::FlowRule& rule);
  static FlowIdentity Of(const core::FlowSpec& spec);

  friend bool operator==(const FlowIdentity& a, const FlowIdentity& b) {
    return a.table == b.table && a.priority == b.priority && a.match == b.match;
  }
  template <typename H>
  friend H AbslHashValue(H h, const FlowIdentity& id) {
    return H::combine(std::move(h), id.table, id.priority, core::HashFlowKey(id.match.value),
                      core::HashFlowKey(id.match.mask));
  }
};

// The index itself: bridge -> flow identity -> row id. Not thread-safe (the controller's
// lock guards it).
class FlowRows {
 public:
  std::optional<uint64_t> Find(const std::string& bridge, const FlowIdentity& identity) const;
  // Records that `row` now holds the flow `identity`; returns the row it replaces, if any.
  std::optional<uint64_t> Set(const std::string& bridge, const FlowIdentity& identity,
                              uint64_t row);
  void Erase(const std::string& bridge, const FlowIdentity& identity);
  // Forgets a deleted bridge (its rows went with it).
  void ForgetBridge(const std::string& bridge) { rows_.erase(bridge); }

 private:
  absl::flat_hash_map<std::string, absl::flat_hash_map<FlowIdentity, uint64_t>> rows_;
};

// The row changes one flow operation (add-flows, mod-flows, del-flows) makes to one bridge:
// built from the flows it touches before anything changes, written inside the operation's
// transaction, and applied to FlowRows once that commits.
class FlowRowChanges {
 public:
  // `rows` says where the bridge's flows are stored before the operation.
  FlowRowChanges(const FlowRows& rows, std::string bridge)
      : rows_(rows), bridge_(std::move(bridge)) {}

  // After the operation the flow `identity` is stored as `text`, or not at all (nullopt: it
  // is deleted, or replaced by a flow with timeouts). A later call for the same flow wins,
  // as a later flow in one add-flows batch replaces an earlier one.
  void Set(const FlowIdentity& identity, std::optional<std::string> text);
  bool empty() const { return changes_.empty(); }

  // Adds, updates or deletes the rows and remembers the ids of the new rows. Runs once,
  // inside the operation's transaction.
  absl::Status Write(config::ConfigTxn& txn);
  // Makes `rows` say where each changed flow is after the commit.
  void Apply(FlowRows& rows) const;

 private:
  struct Change {
    FlowIdentity identity;
    std::optional<std::string> text;
    std::optional<uint64_t> row;  // the row holding the flow: before Write, then after it
  };

  const FlowRows& rows_;
  std::string bridge_;
  std::vector<Change> changes_;
  absl::flat_hash_map<FlowIdentity, size_t> index_;  // identity -> position in changes_
};

}  // namespace podswitch::switchd
