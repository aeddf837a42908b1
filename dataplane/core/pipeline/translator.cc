#include "dataplane/core/pipeline/translator.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/core/flow/flow_syntax.h"

namespace podswitch::core {
namespace {

constexpr uint16_t kEthTypeIpv4 = 0x0800;
constexpr uint16_t kEthTypeIpv6 = 0x86dd;

template <typename T>
bool Any(const T& bytes) {
  return std::any_of(std::begin(bytes), std::end(bytes), [](auto b) { return b != 0; });
}

// Sets every bit of `member` of the wildcards (the decision depends on all of it).
template <typename T>
void Unwildcard(T& member) {
  if constexpr (std::is_integral_v<T>) {
    member = static_cast<T>(~T{0});
  } else {
    std::fill(std::begin(member), std::end(member), 0xff);
  }
}

}  // namespace

Translator::Translator(const Pipeline& pipeline, const FlowKey& key, uint64_t now_ms, Trace* trace)
    : pipeline_(pipeline), now_ms_(now_ms), trace_(trace), key_(key), packet_vlan_(key.vlan_tci) {
  if (trace_ != nullptr) trace_->key = key;
}

Translation Translator::Run() && {
  WalkTable(0, 0);
  if (trace_ != nullptr) {
    trace_->actions = out_.actions;
    trace_->wildcards = out_.wildcards;
    std::vector<std::string> ports;
    for (const DpAction& action : out_.actions) {
      if (action.type == DpActionType::kOutput) ports.push_back(absl::StrCat(action.u32));
    }
    trace_->disposition =
        ports.empty() ? "drop" : absl::StrCat("output to port ", absl::StrJoin(ports, ", "));
  }
  return std::move(out_);
}

void Translator::Note(std::string note) {
  if (trace_ != nullptr && trace_step_ >= 0) trace_->steps[trace_step_].notes.push_back(note);
}

void Translator::Halt(std::string why) {
  halted_ = true;
  Note(std::move(why));
}

void Translator::WalkTable(uint8_t table, int depth) {
  const PipelineOptions& options = pipeline_.options();
  if (++lookups_ > options.max_resubmits || depth > options.max_resubmit_depth) {
    Halt(absl::StrCat("resubmit limit reached (depth ", depth, ", lookups ", lookups_,
                      "): packet dropped"));
    out_.actions.clear();
    return;
  }
  const FlowRule* rule = Lookup(pipeline_.tables_[table]);
  if (trace_ != nullptr) {
    TraceStep step;
    step.table = table;
    step.depth = depth;
    if (rule != nullptr) {
      step.matched = true;
      step.priority = rule->priority;
      step.cookie = rule->cookie;
      step.rule = absl::StrCat(FormatMatch(rule->match), " actions=", FormatActions(rule->actions));
    } else {
      step.rule = "no match: table miss, drop";
    }
    trace_->steps.push_back(std::move(step));
    trace_step_ = static_cast<int>(trace_->steps.size()) - 1;
  }
  if (rule == nullptr) return;
  out_.rules.push_back(const_cast<FlowRule*>(rule));
  Execute(rule->actions, table, depth);
}

const FlowRule* Translator::FirstNonConjunctive(const Pipeline::Table& table) {
  const FlowRule* found = nullptr;
  table.classifier.ForEachMatch(key_, &out_.wildcards, [&](const FlowRule& rule) {
    if (rule.conjunctive) return true;
    found = &rule;
    return false;
  });
  return found;
}

// Conjunctive match (ovs-fields(7) "Conjunctive Match Fields"): at each priority level,
// from the highest, a plain matching flow wins; otherwise when every clause k/n of some
// conjunction id matched at that level, the table is searched again with conj_id=id.
const FlowRule* Translator::Lookup(const Pipeline::Table& table) {
  if (table.conjunctive_rules == 0) return table.classifier.Lookup(key_, &out_.wildcards);

  struct Vote {
    uint32_t id;
    uint8_t n_clauses;
    uint64_t clauses;
  };
  std::vector<Vote> votes;
  const FlowRule* plain = nullptr;
  std::optional<int32_t> level;
  std::optional<uint32_t> satisfied;
  auto close_level = [&] {
    if (plain != nullptr) return true;
    for (const Vote& vote : votes) {
      bool complete = vote.clauses == (vote.n_clauses >= 64 ? ~0ull : (1ull << vote.n_clauses) - 1);
      if (complete && (!satisfied || vote.id < *satisfied)) satisfied = vote.id;
    }
    votes.clear();
    return satisfied.has_value();
  };
  table.classifier.ForEachMatch(key_, &out_.wildcards, [&](const FlowRule& rule) {
    if (level && *level != rule.priority && close_level()) return false;
    level = rule.priority;
    if (!rule.conjunctive) {
      plain = &rule;
      return true;  // finish the level: a conjunction at the same priority is ignored
    }
    for (const Action& action : rule.actions) {
      const auto& conj = std::get<ConjunctionAction>(action);
      auto it =
          std::find_if(votes.begin(), votes.end(), [&](const Vote& v) { return v.id == conj.id; });
      if (it == votes.end()) it = votes.insert(votes.end(), Vote{conj.id, conj.n_clauses, 0});
      it->clauses |= 1ull << (conj.clause - 1);
    }
    return true;
  });
  if (plain == nullptr) close_level();
  if (plain != nullptr) return plain;
  if (!satisfied) return nullptr;
  key_.conj_id = *satisfied;
  const FlowRule* rule = FirstNonConjunctive(table);
  key_.conj_id = 0;
  return rule;
}

void Translator::Execute(const ActionList& actions, uint8_t table, int depth) {
  for (const Action& action : actions) {
    if (halted_) return;
    ExecuteOne(action, table, depth);
  }
}

void Translator::ExecuteOne(const Action& action, uint8_t table, int depth) {
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, OutputAction>) {
          Output(a.port);
        } else if constexpr (std::is_same_v<T, GotoTableAction>) {
          WalkTable(a.table, depth);
        } else if constexpr (std::is_same_v<T, ResubmitAction>) {
          uint32_t saved_in_port = key_.in_port;
          if (a.in_port != kPortInPort) key_.in_port = a.in_port;
          WalkTable(a.table == 255 ? table : a.table, depth + 1);
          key_.in_port = saved_in_port;
        } else if constexpr (std::is_same_v<T, PushVlanAction>) {
          PushVlan(a.tpid);
        } else if constexpr (std::is_same_v<T, PopVlanAction>) {
          PopVlan();
        } else if constexpr (std::is_same_v<T, SetVlanVidAction>) {
          SetVlanTci(static_cast<uint16_t>((key_.vlan_tci & ~kVlanVidMask) | kVlanPresent |
                                           (a.vid & kVlanVidMask)));
        } else if constexpr (std::is_same_v<T, SetVlanPcpAction>) {
          SetVlanTci(static_cast<uint16_t>((key_.vlan_tci & ~kVlanPcpMask) | kVlanPresent |
                                           ((a.pcp & 7) << 13)));
        } else if constexpr (std::is_same_v<T, SetFieldAction>) {
          SetField(a);
        } else if constexpr (std::is_same_v<T, MoveAction>) {
          Move(a);
        } else if constexpr (std::is_same_v<T, DecTtlAction>) {
          DecTtl();
        } else if constexpr (std::is_same_v<T, ControllerAction>) {
          Commit();
          Emit({.type = DpActionType::kController, .u16 = a.reason, .u32 = a.id});
          Note(absl::StrCat("controller: punt (reason ", a.reason, ", id ", a.id, ")"));
        } else if constexpr (std::is_same_v<T, MeterAction>) {
          Emit({.type = DpActionType::kMeter, .u32 = a.id});
        }
        // DropAction and ConjunctionAction outside a conjunctive match do nothing.
      },
      action);
}

void Translator::Output(uint32_t port) {
  Commit();
  switch (port) {
    case kPortNormal: {
      size_t before = out_.actions.size();
      pipeline_.normal_.Decide(key_, now_ms_, &out_.actions, &out_.wildcards);
      Note(out_.actions.size() == before ? "NORMAL: no output (VLAN not allowed on in_port)"
                                         : "NORMAL: forwarded by the MAC learning switch");
      return;
    }
    case kPortFlood:
      return OutputToPorts(/*flood_only=*/true);
    case kPortAll:
      return OutputToPorts(/*flood_only=*/false);
    case kPortInPort:
      Unwildcard(out_.wildcards.in_port);
      Emit({.type = DpActionType::kOutput, .u32 = key_.in_port});
      return;
    case kPortController:
      Emit({.type = DpActionType::kController, .u16 = 0});
      return;
    case kPortLocal:
    case kPortNone:
      Note("output to LOCAL/NONE: no such port on this bridge, skipped");
      return;
    default:
      Unwildcard(out_.wildcards.in_port);
      if (port == key_.in_port) {
        Note(absl::StrCat("output:", port, " is the input port: skipped (use in_port)"));
        return;
      }
      Emit({.type = DpActionType::kOutput, .u32 = port});
  }
}

void Translator::OutputToPorts(bool flood_only) {
  Unwildcard(out_.wildcards.in_port);
  for (const BridgePortInfo& port : pipeline_.ports()) {
    if (port.port_no == key_.in_port || !port.up || (flood_only && !port.flood)) continue;
    Emit({.type = DpActionType::kOutput, .u32 = port.port_no});
  }
}

void Translator::SetField(const SetFieldAction& set) {
  switch (set.field) {
    case FieldId::kVlanTci:
    case FieldId::kDlVlan:
    case FieldId::kDlVlanPcp: {
      uint16_t tci = static_cast<uint16_t>((key_.vlan_tci & ~set.bits.mask.vlan_tci) |
                                           set.bits.value.vlan_tci);
      if (set.field != FieldId::kVlanTci) tci |= kVlanPresent;
      return SetVlanTci(tci);
    }
    default:
      break;
  }
  for (size_t i = 0; i < kFlowKeyWords; ++i) {
    uint64_t mask = FlowKeyWord(set.bits.mask, i);
    SetFlowKeyWord(key_, i, (FlowKeyWord(key_, i) & ~mask) | FlowKeyWord(set.bits.value, i));
    SetFlowKeyWord(dirty_, i, FlowKeyWord(dirty_, i) | mask);
  }
}

void Translator::Move(const MoveAction& move) {
  uint64_t value = ReadFieldBits(key_, move.src, move.src_ofs, move.n_bits);
  WriteFieldBits(out_.wildcards, move.src, move.src_ofs, move.n_bits, ~0ull);
  WriteFieldBits(key_, move.dst, move.dst_ofs, move.n_bits, value);
  WriteFieldBits(dirty_, move.dst, move.dst_ofs, move.n_bits, ~0ull);
  if (move.dst == FieldId::kVlanTci || move.dst == FieldId::kDlVlan ||
      move.dst == FieldId::kDlVlanPcp) {
    SetVlanTci(key_.vlan_tci);
  }
}

void Translator::SetVlanTci(uint16_t tci) {
  Unwildcard(out_.wildcards.vlan_tci);
  key_.vlan_tci = tci;
  dirty_.vlan_tci = 0;  // VLAN changes are emitted by Commit from packet_vlan_
}

void Translator::PushVlan(uint16_t tpid) {
  Commit();
  Unwildcard(out_.wildcards.vlan_tci);
  uint16_t tci = (key_.vlan_tci & kVlanPresent) ? key_.vlan_tci : kVlanPresent;
  Emit({.type = DpActionType::kPushVlan,
        .u16 = static_cast<uint16_t>(tci & ~kVlanPresent),
        .u32 = tpid});
  key_.vlan_tci_inner = key_.vlan_tci;
  key_.vlan_tci = tci;
  packet_vlan_ = tci;
}

void Translator::PopVlan() {
  Commit();
  Unwildcard(out_.wildcards.vlan_tci);
  if (!(key_.vlan_tci & kVlanPresent)) return;
  Unwildcard(out_.wildcards.vlan_tci_inner);
  Emit({.type = DpActionType::kPopVlan});
  key_.vlan_tci = key_.vlan_tci_inner;
  key_.vlan_tci_inner = 0;
  packet_vlan_ = key_.vlan_tci;
}

void Translator::DecTtl() {
  Commit();
  Unwildcard(out_.wildcards.dl_type);
  if (key_.dl_type != kEthTypeIpv4 && key_.dl_type != kEthTypeIpv6) return;
  Unwildcard(out_.wildcards.nw_ttl);
  if (key_.nw_ttl <= 1) {
    Halt("dec_ttl: TTL expired, packet dropped");
    return;
  }
  --key_.nw_ttl;
  Emit({.type = DpActionType::kDecTtl});
}

// Emits datapath actions for the header fields written since the last commit. A field
// written only in part keeps original bits, so the megaflow must match those bits.
void Translator::Commit() {
  auto wild_unwritten = [](auto& wild, const auto& dirty) {
    for (size_t i = 0; i < std::size(wild); ++i) wild[i] |= static_cast<uint8_t>(~dirty[i]);
  };
  auto wild_unwritten_int = [](auto& wild, auto dirty, auto width_mask) {
    wild = static_cast<std::decay_t<decltype(wild)>>(wild | (width_mask & ~dirty));
  };
  if (Any(dirty_.dl_src)) {
    wild_unwritten(out_.wildcards.dl_src, dirty_.dl_src);
    Emit({.type = DpActionType::kSetEthSrc, .mac = key_.dl_src});
  }
  if (Any(dirty_.dl_dst)) {
    wild_unwritten(out_.wildcards.dl_dst, dirty_.dl_dst);
    Emit({.type = DpActionType::kSetEthDst, .mac = key_.dl_dst});
  }
  if (dirty_.nw_src) {
    wild_unwritten_int(out_.wildcards.nw_src, dirty_.nw_src, ~0u);
    Emit({.type = DpActionType::kSetIpv4Src, .u32 = key_.nw_src});
  }
  if (dirty_.nw_dst) {
    wild_unwritten_int(out_.wildcards.nw_dst, dirty_.nw_dst, ~0u);
    Emit({.type = DpActionType::kSetIpv4Dst, .u32 = key_.nw_dst});
  }
  if (dirty_.tp_src) {
    wild_unwritten_int(out_.wildcards.tp_src, dirty_.tp_src, 0xffffu);
    Emit({.type = DpActionType::kSetTpSrc, .u16 = key_.tp_src});
  }
  if (dirty_.tp_dst) {
    wild_unwritten_int(out_.wildcards.tp_dst, dirty_.tp_dst, 0xffffu);
    Emit({.type = DpActionType::kSetTpDst, .u16 = key_.tp_dst});
  }
  if (dirty_.nw_tos) {
    wild_unwritten_int(out_.wildcards.nw_tos, dirty_.nw_tos, 0xffu);
    Emit({.type = DpActionType::kSetIpTos, .u16 = key_.nw_tos});
  }
  if (dirty_.nw_ttl) {
    Emit({.type = DpActionType::kSetTtl, .u16 = key_.nw_ttl});
  }
  if (dirty_.tun_id || dirty_.tun_dst) {
    wild_unwritten_int(out_.wildcards.tun_id, dirty_.tun_id, ~0ull);
    wild_unwritten_int(out_.wildcards.tun_dst, dirty_.tun_dst, ~0u);
    Emit({.type = DpActionType::kSetTunnel, .u32 = key_.tun_dst, .u64 = key_.tun_id});
  }
  if (key_.vlan_tci != packet_vlan_) {
    if (!(key_.vlan_tci & kVlanPresent)) {
      Emit({.type = DpActionType::kPopVlan});
    } else if (packet_vlan_ & kVlanPresent) {
      Emit({.type = DpActionType::kSetVlanTci,
            .u16 = static_cast<uint16_t>(key_.vlan_tci & ~kVlanPresent)});
    } else {
      Emit({.type = DpActionType::kPushVlan,
            .u16 = static_cast<uint16_t>(key_.vlan_tci & ~kVlanPresent),
            .u32 = 0x8100});
    }
    packet_vlan_ = key_.vlan_tci;
  }
  dirty_ = FlowKey{};
}

Translation Pipeline::Translate(const FlowKey& key, uint64_t now_ms, Trace* trace) const {
  return Translator(*this, key, now_ms, trace).Run();
}

}  // namespace podswitch::core
