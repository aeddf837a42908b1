// A whole flow: the header fields (table, priority, cookie, timeouts, out_port), the match,
// and "actions=" followed by the action list, which is always last.
#include "dataplane/core/flow/flow_syntax.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/core/flow/syntax_internal.h"

namespace podswitch::core {
namespace {

using flow_internal::ParseBounded;
using flow_internal::TextContext;

// Where "actions=" starts (at the start of the text or after a separator), or npos.
size_t FindActions(std::string_view text) {
  for (size_t pos = text.find("actions="); pos != std::string_view::npos;
       pos = text.find("actions=", pos + 1)) {
    if (pos == 0 || text[pos - 1] == ',' ||
        absl::ascii_isspace(static_cast<unsigned char>(text[pos - 1]))) {
      return pos;
    }
  }
  return std::string_view::npos;
}

// What dump-flows prints about a flow's life; ignored so a dump can be fed back in.
bool IsStatistic(std::string_view name) {
  return name == "duration" || name == "n_packets" || name == "n_bytes" || name == "idle_age" ||
         name == "hard_age";
}

// Parses the header fields and hands everything else to the match builder.
class HeaderParser {
 public:
  HeaderParser(const TextContext& ctx, FlowTextMode mode, const PortNameResolver& ports,
               FlowSpec& flow)
      : ctx_(ctx), mode_(mode), ports_(ports), flow_(flow) {}

  // Returns true (and OK) when `token` was a header field.
  absl::StatusOr<bool> Parse(std::string_view token) {
    auto [name, value] = flow_internal::SplitKeyValue(token);
    std::string key = flow_internal::Lower(name);
    bool header = key == "table" || key == "priority" || key == "cookie" || key == "idle_timeout" ||
                  key == "hard_timeout" || key == "out_port";
    if (!header) return IsStatistic(key);
    if (!value)
      return ctx_.Error(token, flow_internal::Cat(key, " needs a value (", key, "=VALUE)"));
    for (const std::string& seen : seen_) {
      if (seen == key) return ctx_.Error(token, flow_internal::Cat(key, " given twice"));
    }
    seen_.push_back(key);
    absl::Status s = ParseValue(key, *value);
    if (!s.ok()) return ctx_.Error(token, s.message());
    return true;
  }

  bool table_given() const {
    for (const std::string& seen : seen_) {
      if (seen == "table") return true;
    }
    return false;
  }

 private:
  absl::Status ParseValue(std::string_view key, std::string_view value) {
    if (key == "table") {
      bool filter = mode_ != FlowTextMode::kAdd;
      auto t = ParseBounded(value, filter ? kTableAll : kTableMax, "table");
      if (!t.ok()) return t.status();
      if (*t > kTableMax && *t != kTableAll) {
        return absl::InvalidArgumentError("table must be 0-253, or 255 for every table");
      }
      flow_.table = static_cast<uint8_t>(*t);
    } else if (key == "priority") {
      auto p = ParseBounded(value, 0xffff, "priority");
      if (!p.ok()) return p.status();
      flow_.priority = static_cast<int32_t>(*p);
    } else if (key == "cookie") {
      size_t slash = value.find('/');
      auto c = ParseBounded(value.substr(0, slash), ~uint64_t{0}, "cookie");
      if (!c.ok()) return c.status();
      flow_.cookie = *c;
      if (slash != std::string_view::npos) {
        if (mode_ == FlowTextMode::kAdd) {
          return absl::InvalidArgumentError("add-flow cannot take a cookie mask");
        }
        std::string_view mask = value.substr(slash + 1);
        // ovs-ofctl users write "/-1" for "all bits".
        auto m = mask == "-1" ? ~uint64_t{0} : ParseBounded(mask, ~uint64_t{0}, "cookie mask");
        if (!m.ok()) return m.status();
        flow_.cookie_mask = *m;
      }
    } else if (key == "idle_timeout" || key == "hard_timeout") {
      auto t = ParseBounded(value, 0xffff, key);
      if (!t.ok()) return t.status();
      (key == "idle_timeout" ? flow_.idle_timeout : flow_.hard_timeout) = static_cast<uint16_t>(*t);
    } else {  // out_port
      if (mode_ != FlowTextMode::kMatchOnly) {
        return absl::InvalidArgumentError("out_port is only for del-flows and dump-flows");
      }
      auto port = flow_internal::ParsePort(value, ports_);
      if (!port.ok()) return port.status();
      flow_.out_port = *port;
    }
    return absl::OkStatus();
  }

  const TextContext& ctx_;
  FlowTextMode mode_;
  const PortNameResolver& ports_;
  FlowSpec& flow_;
  std::vector<std::string> seen_;
};

// What a flow's actions need of its match and table: set_field/load/move prerequisites (in
// add-flow, where the match is the flow's own) and goto_table only going forward.
absl::Status CheckActionsAgainstFlow(const TextContext& ctx, const FlowSpec& flow,
                                     const std::vector<flow_internal::ParsedAction>& actions) {
  for (const auto& [action, token] : actions) {
    absl::Status s;
    if (const auto* set = std::get_if<SetFieldAction>(&action)) {
      s = CheckFieldPrereq(set->field, flow.match);
    } else if (const auto* move = std::get_if<MoveAction>(&action)) {
      s = CheckFieldPrereq(move->src, flow.match);
      if (s.ok()) s = CheckFieldPrereq(move->dst, flow.match);
    } else if (const auto* go = std::get_if<GotoTableAction>(&action)) {
      if (go->table <= flow.table) {
        s = absl::InvalidArgumentError(
            flow_internal::Cat("goto_table must go to a later table than ", flow.table));
      }
    }
    if (!s.ok()) return ctx.Error(token, s.message());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FlowSpec> ParseFlow(std::string_view text, FlowTextMode mode,
                                   const PortNameResolver& ports) {
  TextContext ctx{"flow", text};
  FlowSpec flow;
  size_t actions_at = FindActions(text);
  std::string_view head = text.substr(0, actions_at);
  if (mode == FlowTextMode::kMatchOnly && actions_at != std::string_view::npos) {
    return ctx.Error(text.substr(actions_at),
                     "actions= is not allowed in a match (del-flows, dump-flows)");
  }
  if (mode != FlowTextMode::kMatchOnly && actions_at == std::string_view::npos) {
    return ctx.Error(text.substr(text.size()), "missing actions= (use actions=drop to drop)");
  }

  HeaderParser header(ctx, mode, ports, flow);
  flow_internal::MatchBuilder match(ctx, ports);
  for (std::string_view token : flow_internal::SplitTopLevel(head)) {
    auto is_header = header.Parse(token);
    if (!is_header.ok()) return is_header.status();
    if (*is_header) continue;
    if (absl::Status s = match.Add(token); !s.ok()) return s;
  }
  auto m = match.Finish();
  if (!m.ok()) return m.status();
  flow.match = *std::move(m);
  if (mode != FlowTextMode::kAdd && !header.table_given()) flow.table = kTableAll;
  if (mode == FlowTextMode::kMatchOnly) return flow;

  std::string_view action_text = text.substr(actions_at + std::string_view("actions=").size());
  auto actions = flow_internal::ParseActionTokens(ctx, action_text, ports);
  if (!actions.ok()) return actions.status();
  if (mode == FlowTextMode::kAdd) {
    if (absl::Status s = CheckActionsAgainstFlow(ctx, flow, *actions); !s.ok()) return s;
  }
  for (auto& a : *actions) flow.actions.push_back(std::move(a.action));
  return flow;
}

std::string FormatFlow(const FlowSpec& flow) {
  std::vector<std::string> parts;
  if (flow.cookie != 0 || flow.cookie_mask != 0) {
    std::string cookie = flow_internal::Cat("cookie=", flow_internal::FormatHex(flow.cookie));
    if (flow.cookie_mask != 0) {
      cookie += "/" + flow_internal::FormatHex(flow.cookie_mask);
    }
    parts.push_back(std::move(cookie));
  }
  if (flow.table != kTableAll) parts.push_back(flow_internal::Cat("table=", flow.table));
  parts.push_back(flow_internal::Cat("priority=", flow.priority));
  if (flow.idle_timeout != 0)
    parts.push_back(flow_internal::Cat("idle_timeout=", flow.idle_timeout));
  if (flow.hard_timeout != 0)
    parts.push_back(flow_internal::Cat("hard_timeout=", flow.hard_timeout));
  if (flow.out_port != kPortNone) {
    parts.push_back(flow_internal::Cat("out_port=", flow_internal::FormatPort(flow.out_port)));
  }
  std::string match = FormatMatch(flow.match);
  if (!match.empty()) parts.push_back(std::move(match));
  return flow_internal::Cat(absl::StrJoin(parts, ", "), " actions=", FormatActions(flow.actions));
}

}  // namespace podswitch::core
