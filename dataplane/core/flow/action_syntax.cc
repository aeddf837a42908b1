// The action half of the flow syntax: "output:1,load:0x1->reg0[0..3],goto_table:2" to an
// ActionList and back (ovs-actions(7)).
#include <bit>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/core/flow/flow_syntax.h"
#include "dataplane/core/flow/syntax_internal.h"

namespace podswitch::core {
namespace flow_internal {
namespace {

constexpr std::string_view kControllerReasons[] = {"action", "no_match", "invalid_ttl", "log"};
constexpr uint16_t kReasonLog = 3;

// The mod_* shortcuts and the field each one sets.
struct Shortcut {
  std::string_view name;
  FieldId field;
};
constexpr Shortcut kShortcuts[] = {
    {"mod_dl_src", FieldId::kDlSrc}, {"mod_dl_dst", FieldId::kDlDst},
    {"mod_nw_src", FieldId::kNwSrc}, {"mod_nw_dst", FieldId::kNwDst},
    {"mod_tp_src", FieldId::kTpSrc}, {"mod_tp_dst", FieldId::kTpDst},
    {"mod_nw_tos", FieldId::kNwTos}, {"mod_nw_ttl", FieldId::kNwTtl},
};

struct Subfield {
  FieldId field;
  uint16_t ofs;
  uint16_t n_bits;
};

// FIELD, FIELD[], FIELD[bit] or FIELD[first..last] (ovs-actions(7) subfield syntax).
absl::StatusOr<Subfield> ParseSubfield(std::string_view text) {
  size_t bracket = text.find('[');
  const FieldInfo* f = FindField(text.substr(0, bracket));
  if (f == nullptr)
    return absl::InvalidArgumentError(Cat("unknown field ", text.substr(0, bracket)));
  Subfield sub{f->id, 0, f->n_bits};
  if (bracket == std::string_view::npos) return sub;
  std::string_view range = text.substr(bracket + 1);
  if (range.empty() || range.back() != ']')
    return absl::InvalidArgumentError("expected ] after bit range");
  range.remove_suffix(1);
  if (range.empty()) return sub;
  size_t dots = range.find("..");
  auto first = ParseBounded(range.substr(0, dots), f->n_bits - 1, "first bit");
  if (!first.ok()) return first.status();
  uint64_t last = *first;
  if (dots != std::string_view::npos) {
    auto end = ParseBounded(range.substr(dots + 2), f->n_bits - 1, "last bit");
    if (!end.ok()) return end.status();
    last = *end;
  }
  if (last < *first) return absl::InvalidArgumentError("bit range ends before it starts");
  return Subfield{f->id, static_cast<uint16_t>(*first), static_cast<uint16_t>(last - *first + 1)};
}

std::string FormatSubfield(FieldId id, uint16_t ofs, uint16_t n_bits) {
  const FieldInfo& f = GetField(id);
  if (ofs == 0 && n_bits == f.n_bits) return Cat(f.name, "[]");
  if (n_bits == 1) return Cat(f.name, "[", ofs, "]");
  return Cat(f.name, "[", ofs, "..", ofs + n_bits - 1, "]");
}

SetFieldAction MakeSetField(FieldId id, FieldBits value, FieldBits mask,
                            SetFieldAction::Spelling spelling) {
  SetFieldAction a{id, Match{}, spelling};
  SetFieldValue(a.bits.value, id, value & mask);
  SetFieldValue(a.bits.mask, id, mask);
  return a;
}

absl::StatusOr<Action> ParseSetField(std::string_view arg, const PortNameResolver& ports) {
  size_t arrow = arg.rfind("->");
  if (arrow == std::string_view::npos) return absl::InvalidArgumentError("expected VALUE->FIELD");
  const FieldInfo* f = FindField(arg.substr(arrow + 2));
  if (f == nullptr) return absl::InvalidArgumentError(Cat("unknown field ", arg.substr(arrow + 2)));
  if (IsReadOnlyField(f->id)) return absl::InvalidArgumentError(Cat(f->name, " is read-only"));
  auto bits = ParseFieldValue(*f, arg.substr(0, arrow), ports);
  if (!bits.ok()) return bits.status();
  return MakeSetField(f->id, bits->value, bits->mask, SetFieldAction::Spelling::kSetField);
}

absl::StatusOr<Action> ParseLoad(std::string_view arg) {
  size_t arrow = arg.find("->");
  if (arrow == std::string_view::npos)
    return absl::InvalidArgumentError("expected VALUE->FIELD[..]");
  auto dst = ParseSubfield(arg.substr(arrow + 2));
  if (!dst.ok()) return dst.status();
  if (IsReadOnlyField(dst->field)) {
    return absl::InvalidArgumentError(Cat(GetField(dst->field).name, " is read-only"));
  }
  auto value = ParseNumber(arg.substr(0, arrow));
  if (!value) return absl::InvalidArgumentError("invalid number");
  if (*value > LowBits(dst->n_bits)) {
    return absl::InvalidArgumentError(
        Cat("value ", arg.substr(0, arrow), " does not fit in ", dst->n_bits, " bits"));
  }
  return MakeSetField(dst->field, *value << dst->ofs, LowBits(dst->n_bits) << dst->ofs,
                      SetFieldAction::Spelling::kLoad);
}

absl::StatusOr<Action> ParseMove(std::string_view arg) {
  size_t arrow = arg.find("->");
  if (arrow == std::string_view::npos)
    return absl::InvalidArgumentError("expected SRC[..]->DST[..]");
  auto src = ParseSubfield(arg.substr(0, arrow));
  if (!src.ok()) return src.status();
  auto dst = ParseSubfield(arg.substr(arrow + 2));
  if (!dst.ok()) return dst.status();
  if (IsReadOnlyField(dst->field)) {
    return absl::InvalidArgumentError(Cat(GetField(dst->field).name, " is read-only"));
  }
  if (src->n_bits != dst->n_bits) {
    return absl::InvalidArgumentError(
        Cat("source has ", src->n_bits, " bits but destination has ", dst->n_bits));
  }
  return MoveAction{src->field, src->ofs, dst->field, dst->ofs, src->n_bits};
}

absl::StatusOr<uint8_t> ParseTable(std::string_view text) {
  auto t = ParseBounded(text, kTableMax, "table");
  if (!t.ok()) return t.status();
  return static_cast<uint8_t>(*t);
}

// resubmit:PORT or resubmit(PORT,TABLE), either part possibly empty.
absl::StatusOr<Action> ParseResubmit(std::string_view arg, bool parens,
                                     const PortNameResolver& ports) {
  ResubmitAction r;
  std::string_view port = arg, table;
  if (parens) {
    std::vector<std::string_view> parts = SplitAt(arg, ',');
    if (parts.size() != 2) return absl::InvalidArgumentError("expected resubmit(PORT,TABLE)");
    port = Trim(parts[0]);
    table = Trim(parts[1]);
  } else if (port.empty()) {
    return absl::InvalidArgumentError("expected resubmit:PORT");
  }
  if (!port.empty()) {
    auto p = ParsePort(port, ports);
    if (!p.ok()) return p.status();
    r.in_port = *p;
  }
  if (!table.empty()) {
    auto t = ParseTable(table);
    if (!t.ok()) return t.status();
    r.table = *t;
  }
  return r;
}

// controller(reason=R,id=N,max_len=M) and log(id=N,max_len=M).
absl::StatusOr<Action> ParseController(std::string_view args, uint16_t reason, bool allow_reason) {
  ControllerAction c;
  c.reason = reason;
  for (std::string_view kv : SplitAt(args, ',')) {
    if (Trim(kv).empty()) continue;
    auto [key, value] = SplitKeyValue(Trim(kv));
    std::string_view v = value.value_or("");
    if (key == "reason" && allow_reason) {
      bool found = false;
      for (size_t i = 0; i < std::size(kControllerReasons); ++i) {
        if (v == kControllerReasons[i]) c.reason = static_cast<uint16_t>(i), found = true;
      }
      if (!found) {
        auto n = ParseBounded(v, 0xffff, "reason");
        if (!n.ok()) return absl::InvalidArgumentError(Cat("unknown reason ", v));
        c.reason = static_cast<uint16_t>(*n);
      }
    } else if (key == "id") {
      auto n = ParseBounded(v, 0xffffffff, "id");
      if (!n.ok()) return n.status();
      c.id = static_cast<uint32_t>(*n);
    } else if (key == "max_len") {
      auto n = ParseBounded(v, 0xffff, "max_len");
      if (!n.ok()) return n.status();
      c.max_len = static_cast<uint16_t>(*n);
    } else {
      return absl::InvalidArgumentError(Cat("unknown argument ", key));
    }
  }
  return c;
}

// conjunction(ID,K/N): clause K of N, 1 <= K <= N, 2 <= N <= 64.
absl::StatusOr<Action> ParseConjunction(std::string_view args) {
  size_t comma = args.find(','), slash = args.find('/');
  if (comma == std::string_view::npos || slash == std::string_view::npos || slash < comma) {
    return absl::InvalidArgumentError("expected conjunction(ID,K/N)");
  }
  auto id = ParseBounded(Trim(args.substr(0, comma)), 0xffffffff, "id");
  if (!id.ok()) return id.status();
  auto k = ParseBounded(Trim(args.substr(comma + 1, slash - comma - 1)), 64, "clause");
  if (!k.ok()) return k.status();
  auto n = ParseBounded(Trim(args.substr(slash + 1)), 64, "clause count");
  if (!n.ok()) return n.status();
  if (*n < 2) return absl::InvalidArgumentError("a conjunction needs 2 to 64 clauses");
  if (*k < 1 || *k > *n) return absl::InvalidArgumentError("clause must be between 1 and N");
  return ConjunctionAction{static_cast<uint32_t>(*id), static_cast<uint8_t>(*k),
                           static_cast<uint8_t>(*n)};
}

absl::StatusOr<Action> ParseOutput(std::string_view port_text, const PortNameResolver& ports) {
  auto port = ParsePort(port_text, ports);
  if (!port.ok()) return port.status();
  if (*port == kPortNone) return absl::InvalidArgumentError("cannot output to NONE");
  return OutputAction{*port};
}

// One action token, split into NAME, and ":ARG" or "(ARGS)".
absl::StatusOr<Action> ParseOneAction(std::string_view token, const PortNameResolver& ports) {
  size_t cut = token.find_first_of(":(");
  std::string name = Lower(token.substr(0, cut));
  bool parens = cut != std::string_view::npos && token[cut] == '(';
  bool has_arg = cut != std::string_view::npos;
  std::string_view arg = has_arg ? token.substr(cut + 1) : std::string_view();
  if (parens) {
    if (arg.empty() || arg.back() != ')') return absl::InvalidArgumentError("missing )");
    arg.remove_suffix(1);
  }
  auto no_arg = [&](Action a) -> absl::StatusOr<Action> {
    if (has_arg) return absl::InvalidArgumentError(Cat(name, " takes no argument"));
    return a;
  };
  auto number = [&](uint64_t max) { return ParseBounded(arg, max, name); };

  if (!has_arg && ParseNumber(token)) return ParseOutput(token, ports);
  if (name == "output") {
    if (!parens) return ParseOutput(arg, ports);
    auto [key, value] = SplitKeyValue(Trim(arg));
    if (key != "port" || !value) return absl::InvalidArgumentError("expected output(port=PORT)");
    return ParseOutput(*value, ports);
  }
  if (name == "in_port") return no_arg(OutputAction{kPortInPort});
  if (name == "normal") return no_arg(OutputAction{kPortNormal});
  if (name == "flood") return no_arg(OutputAction{kPortFlood});
  if (name == "all") return no_arg(OutputAction{kPortAll});
  if (name == "local") return no_arg(OutputAction{kPortLocal});
  if (name == "drop") return no_arg(DropAction{});
  if (name == "pop_vlan" || name == "strip_vlan") return no_arg(PopVlanAction{});
  if (name == "dec_ttl") return no_arg(DecTtlAction{});
  if (name == "goto_table") {
    auto t = ParseTable(arg);
    if (!t.ok()) return t.status();
    return GotoTableAction{*t};
  }
  if (name == "resubmit") return ParseResubmit(arg, parens, ports);
  if (name == "push_vlan") {
    auto tpid = number(0xffff);
    if (!tpid.ok()) return tpid.status();
    if (*tpid != 0x8100 && *tpid != 0x88a8) {
      return absl::InvalidArgumentError("push_vlan takes 0x8100 or 0x88a8");
    }
    return PushVlanAction{static_cast<uint16_t>(*tpid)};
  }
  if (name == "mod_vlan_vid") {
    auto vid = number(kVlanVidMask);
    if (!vid.ok()) return vid.status();
    return SetVlanVidAction{static_cast<uint16_t>(*vid)};
  }
  if (name == "mod_vlan_pcp") {
    auto pcp = number(7);
    if (!pcp.ok()) return pcp.status();
    return SetVlanPcpAction{static_cast<uint8_t>(*pcp)};
  }
  for (const Shortcut& s : kShortcuts) {
    if (name != s.name) continue;
    auto bits = ParseFieldValue(GetField(s.field), arg, ports);
    if (!bits.ok()) return bits.status();
    if (bits->mask != FieldFullMask(s.field)) {
      return absl::InvalidArgumentError(Cat(name, " takes no mask"));
    }
    return MakeSetField(s.field, bits->value, bits->mask, SetFieldAction::Spelling::kModShortcut);
  }
  if (name == "set_field") return ParseSetField(arg, ports);
  if (name == "set_tunnel" || name == "set_tunnel64") {
    auto id = number(~uint64_t{0});
    if (!id.ok()) return id.status();
    return MakeSetField(FieldId::kTunId, *id, LowBits(64), SetFieldAction::Spelling::kSetTunnel);
  }
  if (name == "load") return ParseLoad(arg);
  if (name == "move") return ParseMove(arg);
  if (name == "controller") {
    if (parens) return ParseController(arg, 0, true);
    ControllerAction c;
    if (has_arg) {
      auto len = number(0xffff);
      if (!len.ok()) return len.status();
      c.max_len = static_cast<uint16_t>(*len);
    }
    return c;
  }
  if (name == "log") {
    if (has_arg && !parens) return absl::InvalidArgumentError("expected log or log(id=N)");
    return ParseController(arg, kReasonLog, false);
  }
  if (name == "conjunction") {
    if (!parens) return absl::InvalidArgumentError("expected conjunction(ID,K/N)");
    return ParseConjunction(arg);
  }
  if (name == "meter") {
    auto id = number(0xffffffff);
    if (!id.ok()) return id.status();
    return MeterAction{static_cast<uint32_t>(*id)};
  }
  if (!has_arg && ports) {
    if (auto port = ports(token)) return OutputAction{*port};
  }
  return absl::InvalidArgumentError(Cat("unknown action ", name));
}

// Rules about the shape of a whole list: drop alone, goto_table last, conjunction only with
// conjunction (its flow never executes actions of its own).
absl::Status CheckListShape(const TextContext& ctx, const std::vector<ParsedAction>& list) {
  for (size_t i = 0; i < list.size(); ++i) {
    const Action& a = list[i].action;
    if (std::holds_alternative<DropAction>(a) && list.size() > 1) {
      return ctx.Error(list[i].token, "drop must be the only action");
    }
    if (std::holds_alternative<GotoTableAction>(a) && i + 1 < list.size()) {
      return ctx.Error(list[i + 1].token, "no action may follow goto_table");
    }
    if (std::holds_alternative<ConjunctionAction>(a) !=
        std::holds_alternative<ConjunctionAction>(list[0].action)) {
      return ctx.Error(list[i].token, "conjunction cannot be mixed with other actions");
    }
  }
  return absl::OkStatus();
}

int CountTrailingZeros(FieldBits v) {
  auto lo = static_cast<uint64_t>(v);
  return lo != 0 ? std::countr_zero(lo) : 64 + std::countr_zero(static_cast<uint64_t>(v >> 64));
}

int CountLeadingZeros(FieldBits v) {
  auto hi = static_cast<uint64_t>(v >> 64);
  return hi != 0 ? std::countl_zero(hi) : 64 + std::countl_zero(static_cast<uint64_t>(v));
}

std::string FormatSetField(const SetFieldAction& a) {
  const FieldInfo& f = GetField(a.field);
  FieldBits mask = GetFieldValue(a.bits.mask, a.field);
  FieldBits value = GetFieldValue(a.bits.value, a.field) & mask;
  bool whole = mask == FieldFullMask(a.field);
  using S = SetFieldAction::Spelling;
  if (a.spelling == S::kLoad && mask != 0) {
    int ofs = CountTrailingZeros(mask);
    FieldBits run = mask >> ofs;
    if ((run & (run + 1)) == 0) {  // one contiguous run of ones: a bit range
      int n = 128 - CountLeadingZeros(run);
      return Cat("load:", FormatHex(value >> ofs), "->",
                 FormatSubfield(a.field, static_cast<uint16_t>(ofs), static_cast<uint16_t>(n)));
    }
  }
  if (a.spelling == S::kModShortcut && whole) {
    for (const Shortcut& s : kShortcuts) {
      if (s.field == a.field) return Cat(s.name, ":", FormatFieldValue(f, value, mask));
    }
  }
  if (a.spelling == S::kSetTunnel && a.field == FieldId::kTunId && whole) {
    return Cat("set_tunnel:", FormatHex(value));
  }
  return Cat("set_field:", FormatFieldValue(f, value, mask), "->", f.name);
}

std::string FormatController(const ControllerAction& c) {
  if (c.reason == kReasonLog && c.max_len == 0xffff) {
    return c.id == 0 ? "log" : Cat("log(id=", c.id, ")");
  }
  if (c.reason == 0 && c.id == 0) return Cat("CONTROLLER:", c.max_len);
  std::vector<std::string> args;
  if (c.reason != 0) {
    args.push_back(Cat("reason=", c.reason < std::size(kControllerReasons)
                                      ? std::string(kControllerReasons[c.reason])
                                      : Cat(c.reason)));
  }
  if (c.id != 0) args.push_back(Cat("id=", c.id));
  if (c.max_len != 0xffff) args.push_back(Cat("max_len=", c.max_len));
  return Cat("controller(", absl::StrJoin(args, ","), ")");
}

std::string FormatOutput(uint32_t port) {
  switch (port) {
    case kPortInPort:
    case kPortNormal:
    case kPortFlood:
    case kPortAll:
    case kPortLocal:
      return FormatPort(port);
    default:
      return Cat("output:", FormatPort(port));
  }
}

struct ActionPrinter {
  std::string operator()(const OutputAction& a) const { return FormatOutput(a.port); }
  std::string operator()(const DropAction&) const { return "drop"; }
  std::string operator()(const GotoTableAction& a) const { return Cat("goto_table:", a.table); }
  std::string operator()(const ResubmitAction& a) const {
    if (a.table == 255) return Cat("resubmit:", FormatPort(a.in_port));
    std::string port = a.in_port == kPortInPort ? "" : FormatPort(a.in_port);
    return Cat("resubmit(", port, ",", a.table, ")");
  }
  std::string operator()(const PushVlanAction& a) const {
    return Cat("push_vlan:", FormatHex(a.tpid));
  }
  std::string operator()(const PopVlanAction&) const { return "pop_vlan"; }
  std::string operator()(const SetVlanVidAction& a) const { return Cat("mod_vlan_vid:", a.vid); }
  std::string operator()(const SetVlanPcpAction& a) const { return Cat("mod_vlan_pcp:", a.pcp); }
  std::string operator()(const SetFieldAction& a) const { return FormatSetField(a); }
  std::string operator()(const MoveAction& a) const {
    return Cat("move:", FormatSubfield(a.src, a.src_ofs, a.n_bits), "->",
               FormatSubfield(a.dst, a.dst_ofs, a.n_bits));
  }
  std::string operator()(const DecTtlAction&) const { return "dec_ttl"; }
  std::string operator()(const ControllerAction& a) const { return FormatController(a); }
  std::string operator()(const ConjunctionAction& a) const {
    return Cat("conjunction(", a.id, ",", a.clause, "/", a.n_clauses, ")");
  }
  std::string operator()(const MeterAction& a) const { return Cat("meter:", a.id); }
};

}  // namespace

absl::StatusOr<std::vector<ParsedAction>> ParseActionTokens(const TextContext& ctx,
                                                            std::string_view text,
                                                            const PortNameResolver& ports) {
  std::vector<ParsedAction> out;
  for (std::string_view token : SplitTopLevel(text)) {
    auto action = ParseOneAction(token, ports);
    if (!action.ok()) return ctx.Error(token, action.status().message());
    out.push_back({*std::move(action), token});
  }
  if (absl::Status s = CheckListShape(ctx, out); !s.ok()) return s;
  // "drop" and an empty list mean the same; the empty list is the one canonical form.
  if (out.size() == 1 && std::holds_alternative<DropAction>(out[0].action)) out.clear();
  return out;
}

}  // namespace flow_internal

absl::StatusOr<ActionList> ParseActions(std::string_view text, const PortNameResolver& ports) {
  flow_internal::TextContext ctx{"actions", text};
  auto parsed = flow_internal::ParseActionTokens(ctx, text, ports);
  if (!parsed.ok()) return parsed.status();
  ActionList out;
  for (auto& p : *parsed) out.push_back(std::move(p.action));
  return out;
}

std::string FormatActions(const ActionList& actions) {
  if (actions.empty()) return "drop";
  std::vector<std::string> parts;
  for (const Action& a : actions) parts.push_back(std::visit(flow_internal::ActionPrinter{}, a));
  return absl::StrJoin(parts, ",");
}

}  // namespace podswitch::core
