#include "dataplane/switchd/flow_rows.h"

#include <utility>

#include "common/status_macros.h"

namespace podswitch::switchd {

FlowIdentity FlowIdentity::Of(const core::FlowRule& rule) {
  FlowIdentity identity{.table = rule.table, .priority = rule.priority, .match = rule.match};
  identity.match.Normalize();
  return identity;
}

FlowIdentity FlowIdentity::Of(const core::FlowSpec& spec) {
  FlowIdentity identity{.table = spec.table, .priority = spec.priority, .match = spec.match};
  identity.match.Normalize();
  return identity;
}

std::optional<uint64_t> FlowRows::Find(const std::string& bridge,
                                       const FlowIdentity& identity) const {
  auto flows = rows_.find(bridge);
  if (flows == rows_.end()) return std::nullopt;
  auto row = flows->second.find(identity);
  if (row == flows->second.end()) return std::nullopt;
  return row->second;
}

std::optional<uint64_t> FlowRows::Set(const std::string& bridge, const FlowIdentity& identity,
                                      uint64_t row) {
  auto [it, inserted] = rows_[bridge].try_emplace(identity, row);
  if (inserted) return std::nullopt;
  return std::exchange(it->second, row);
}

void FlowRows::Erase(const std::string& bridge, const FlowIdentity& identity) {
  auto flows = rows_.find(bridge);
  if (flows != rows_.end()) flows->second.erase(identity);
}

void FlowRowChanges::Set(const FlowIdentity& identity, std::optional<std::string> text) {
  auto [it, inserted] = index_.try_emplace(identity, changes_.size());
  if (inserted) {
    changes_.push_back(Change{
        .identity = identity, .text = std::move(text), .row = rows_.Find(bridge_, identity)});
  } else {
    changes_[it->second].text = std::move(text);
  }
}

absl::Status FlowRowChanges::Write(config::ConfigTxn& txn) {
  for (Change& change : changes_) {
    std::optional<uint64_t> current = change.row;
    if (current && change.text) {
      PODSWITCH_RETURN_IF_ERROR(txn.UpdateFlow(*current, *change.text));
    } else if (current) {
      PODSWITCH_RETURN_IF_ERROR(txn.DeleteFlow(*current));
      change.row.reset();
    } else if (change.text) {
      PODSWITCH_ASSIGN_OR_RETURN(change.row, txn.AddFlow(bridge_, *change.text));
    }
  }
  return absl::OkStatus();
}

void FlowRowChanges::Apply(FlowRows& rows) const {
  for (const Change& change : changes_) {
    if (change.row) {
      rows.Set(bridge_, change.identity, *change.row);
    } else {
      rows.Erase(bridge_, change.identity);
    }
  }
}

}  // namespace podswitch::switchd
