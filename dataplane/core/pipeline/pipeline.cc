#include "dataplane/core/pipeline/pipeline.h"

#include <algorithm>
#include <variant>

#include "absl/strings/str_cat.h"

namespace podswitch::core {
namespace {

bool IsConjunctive(const ActionList& actions) {
  return !actions.empty() && std::all_of(actions.begin(), actions.end(), [](const Action& a) {
    return std::holds_alternative<ConjunctionAction>(a);
  });
}

// True when `narrow` is at least as specific as `wide` and agrees with it on wide's bits.
bool IsSubsetOf(const Match& narrow, const Match& wide) {
  for (size_t i = 0; i < kFlowKeyWords; ++i) {
    uint64_t wide_mask = FlowKeyWord(wide.mask, i);
    if ((FlowKeyWord(narrow.mask, i) & wide_mask) != wide_mask) return false;
    if ((FlowKeyWord(narrow.value, i) & wide_mask) != FlowKeyWord(wide.value, i)) return false;
  }
  return true;
}

bool OutputsTo(const ActionList& actions, uint32_t port) {
  return std::any_of(actions.begin(), actions.end(), [port](const Action& a) {
    const auto* out = std::get_if<OutputAction>(&a);
    return out != nullptr && out->port == port;
  });
}

// Fields whose rewrite the datapath can perform (dp_action.h); others are metadata.
bool IsWritable(FieldId field) {
  switch (field) {
    case FieldId::kDlSrc:
    case FieldId::kDlDst:
    case FieldId::kVlanTci:
    case FieldId::kDlVlan:
    case FieldId::kDlVlanPcp:
    case FieldId::kNwSrc:
    case FieldId::kNwDst:
    case FieldId::kNwTos:
    case FieldId::kIpDscp:
    case FieldId::kNwTtl:
    case FieldId::kTpSrc:
    case FieldId::kTpDst:
    case FieldId::kTunId:
    case FieldId::kTunDst:
    case FieldId::kMetadata:
    case FieldId::kReg0:
    case FieldId::kReg1:
    case FieldId::kReg2:
    case FieldId::kReg3:
    case FieldId::kReg4:
    case FieldId::kReg5:
    case FieldId::kReg6:
    case FieldId::kReg7:
      return true;
    default:
      return false;
  }
}

}  // namespace

FlowFilter FilterFromSpec(const FlowSpec& spec, bool strict) {
  FlowFilter filter;
  if (spec.table != kTableAll) filter.table = spec.table;
  filter.match = spec.match;
  if (strict) filter.priority = spec.priority;
  filter.cookie = spec.cookie;
  filter.cookie_mask = spec.cookie_mask;
  filter.out_port = spec.out_port;
  return filter;
}

FlowSpec SpecFromRule(const FlowRule& rule) {
  FlowSpec spec;
  spec.table = rule.table;
  spec.priority = rule.priority;
  spec.match = rule.match;
  spec.cookie = rule.cookie;
  spec.idle_timeout = rule.idle_timeout;
  spec.hard_timeout = rule.hard_timeout;
  spec.actions = rule.actions;
  return spec;
}

Pipeline::Pipeline(PipelineOptions options)
    : options_(options), macs_(options.mac_learning), normal_(&macs_) {}

absl::Status Pipeline::CheckFlow(const FlowSpec& spec) const {
  if (spec.table >= kNumTables) {
    return absl::InvalidArgumentError(absl::StrCat("table ", spec.table, " is not in 0-253"));
  }
  for (size_t i = 0; i < spec.actions.size(); ++i) {
    const Action& action = spec.actions[i];
    if (const auto* go = std::get_if<GotoTableAction>(&action)) {
      if (go->table <= spec.table || go->table >= kNumTables) {
        return absl::InvalidArgumentError(
            absl::StrCat("goto_table:", go->table, " must name a later table than ", spec.table));
      }
      if (i + 1 != spec.actions.size()) {
        return absl::InvalidArgumentError("goto_table must be the last action");
      }
    }
    if (const auto* set = std::get_if<SetFieldAction>(&action); set && !IsWritable(set->field)) {
      return absl::InvalidArgumentError(absl::StrCat("the datapath cannot rewrite field ",
                                                     std::string(GetField(set->field).name)));
    }
    if (const auto* move = std::get_if<MoveAction>(&action); move && !IsWritable(move->dst)) {
      return absl::InvalidArgumentError(absl::StrCat("move: the datapath cannot rewrite field ",
                                                     std::string(GetField(move->dst).name)));
    }
  }
  return absl::OkStatus();
}

absl::Status Pipeline::AddFlow(const FlowSpec& spec, uint64_t now_ms) {
  if (absl::Status status = CheckFlow(spec); !status.ok()) return status;
  Table& table = tables_[spec.table];
  Match match = spec.match;
  match.Normalize();
  if (FlowRule* old = table.classifier.FindExact(match, spec.priority)) RemoveRule(table, old);

  auto rule = std::make_unique<FlowRule>();
  rule->match = match;
  rule->priority = spec.priority;
  rule->table = spec.table;
  rule->cookie = spec.cookie;
  rule->idle_timeout = spec.idle_timeout;
  rule->hard_timeout = spec.hard_timeout;
  rule->actions = spec.actions;
  rule->conjunctive = IsConjunctive(spec.actions);
  rule->created_ms = now_ms;
  rule->last_used_ms = now_ms;
  table.conjunctive_rules += rule->conjunctive;
  table.classifier.Insert(rule.get());
  table.rules.push_back(std::move(rule));
  ++generation_;
  return absl::OkStatus();
}

bool Pipeline::Selects(const FlowFilter& filter, const FlowRule& rule) {
  if (filter.table && *filter.table != rule.table) return false;
  if ((rule.cookie & filter.cookie_mask) != (filter.cookie & filter.cookie_mask)) return false;
  if (filter.out_port != kPortNone && !OutputsTo(rule.actions, filter.out_port)) return false;
  if (filter.priority) {
    Match normalized = filter.match;
    normalized.Normalize();
    return rule.priority == *filter.priority && rule.match == normalized;
  }
  return IsSubsetOf(rule.match, filter.match);
}

absl::StatusOr<size_t> Pipeline::ModifyFlows(const FlowFilter& filter, const ActionList& actions) {
  for (const Table& table : tables_) {
    for (const auto& rule : table.rules) {
      if (!Selects(filter, *rule)) continue;
      FlowSpec check;
      check.table = rule->table;
      check.actions = actions;
      if (absl::Status status = CheckFlow(check); !status.ok()) return status;
    }
  }
  size_t changed = 0;
  for (Table& table : tables_) {
    for (auto& rule : table.rules) {
      if (!Selects(filter, *rule)) continue;
      table.conjunctive_rules -= rule->conjunctive;
      rule->actions = actions;
      rule->conjunctive = IsConjunctive(actions);
      table.conjunctive_rules += rule->conjunctive;
      ++changed;
    }
  }
  if (changed > 0) ++generation_;
  return changed;
}

void Pipeline::RemoveRule(Table& table, const FlowRule* rule) {
  table.classifier.Remove(rule);
  table.conjunctive_rules -= rule->conjunctive;
  auto it = std::find_if(table.rules.begin(), table.rules.end(),
                         [rule](const auto& owned) { return owned.get() == rule; });
  std::swap(*it, table.rules.back());
  table.rules.pop_back();
  ++generation_;
}

size_t Pipeline::DeleteFlows(const FlowFilter& filter) {
  size_t removed = 0;
  for (Table& table : tables_) {
    std::vector<const FlowRule*> doomed;
    for (const auto& rule : table.rules) {
      if (Selects(filter, *rule)) doomed.push_back(rule.get());
    }
    for (const FlowRule* rule : doomed) RemoveRule(table, rule);
    removed += doomed.size();
  }
  return removed;
}

std::vector<const FlowRule*> Pipeline::DumpFlows(const FlowFilter& filter) const {
  std::vector<const FlowRule*> out;
  for (const Table& table : tables_) {
    size_t first = out.size();
    for (const auto& rule : table.rules) {
      if (Selects(filter, *rule)) out.push_back(rule.get());
    }
    std::stable_sort(out.begin() + first, out.end(), [](const FlowRule* a, const FlowRule* b) {
      return a->priority > b->priority;
    });
  }
  return out;
}

size_t Pipeline::ExpireFlows(uint64_t now_ms) {
  size_t removed = 0;
  for (Table& table : tables_) {
    std::vector<const FlowRule*> doomed;
    for (const auto& rule : table.rules) {
      bool idle = rule->idle_timeout && now_ms >= rule->last_used_ms + rule->idle_timeout * 1000ull;
      bool hard = rule->hard_timeout && now_ms >= rule->created_ms + rule->hard_timeout * 1000ull;
      if (idle || hard) doomed.push_back(rule.get());
    }
    for (const FlowRule* rule : doomed) RemoveRule(table, rule);
    removed += doomed.size();
  }
  return removed;
}

size_t Pipeline::flow_count() const {
  size_t n = 0;
  for (const Table& table : tables_) n += table.rules.size();
  return n;
}

void Pipeline::SetPorts(std::vector<BridgePortInfo> ports) {
  std::sort(ports.begin(), ports.end(),
            [](const auto& a, const auto& b) { return a.port_no < b.port_no; });
  ports_ = ports;
  normal_.SetPorts(std::move(ports));
  ++generation_;
}

void Pipeline::Learn(const DpAction& learn, uint64_t now_ms) { normal_.Learn(learn, now_ms); }

size_t Pipeline::ExpireMacs(uint64_t now_ms) { return macs_.Expire(now_ms); }

}  // namespace podswitch::core
