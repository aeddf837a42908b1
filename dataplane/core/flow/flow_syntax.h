// The one parser and the one printer of ovs-ofctl's flow syntax (ovs-ofctl(8), ovs-fields(7),
// ovs-actions(7)): podswitchd parses the flow text clients send and prints the flows it
// dumps, so podswitchctl, the agent and the tests all speak the same language.
//
//   table=0, priority=100, tcp,nw_src=10.0.0.0/24,tp_dst=80 actions=load:0x1->reg0[],goto_table:1
//
// Every error names the offending token and its 1-based column:
//   flow "...": at column 23, "nw_src=10.0.0.300": invalid IPv4 address
// What the printer prints, the parser reads back to an equal value.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "dataplane/core/flow/action.h"
#include "dataplane/core/flow/flow_spec.h"
#include "dataplane/core/flow/match.h"

namespace podswitch::core {

// Which ovs-ofctl command the text is for; it decides what is required and what is allowed.
enum class FlowTextMode {
  kAdd,        // add-flow: actions= required; table= 0-253, cookie without mask
  kModify,     // mod-flows: actions= required; the match is a filter, so actions are not
               // checked against it; cookie=V/MASK allowed; no table= means every table
  kMatchOnly,  // del-flows/dump-flows filter: no actions=, out_port= allowed, no table= means
               // every table
};

// Turns a port name (in_port=pod1, output:pod1) into its number; nullopt if unknown. An empty
// resolver accepts numbers and reserved names (LOCAL, NORMAL, ...) only.
using PortNameResolver = std::function<std::optional<uint32_t>(std::string_view)>;

// Parses a whole flow ("table=.., priority=.., MATCH actions=ACTIONS") so every client
// command and the switch agree on what a flow means; checks ranges and prerequisites.
absl::StatusOr<FlowSpec> ParseFlow(std::string_view text, FlowTextMode mode,
                                   const PortNameResolver& ports = {});

// Parses only match fields ("tcp,nw_dst=10.0.0.1,tp_dst=80"), for trace and packet filters.
absl::StatusOr<Match> ParseMatch(std::string_view text, const PortNameResolver& ports = {});

// Parses only an action list ("output:1,dec_ttl"), for packet-out and tests; unlike
// ParseFlow it cannot check set_field/load/move prerequisites, having no match.
absl::StatusOr<ActionList> ParseActions(std::string_view text, const PortNameResolver& ports = {});

// Prints a match the way ovs-ofctl dump-flows does ("tcp,nw_src=10.0.0.0/24"), with protocol
// shorthands; empty for a match of everything.
std::string FormatMatch(const Match& match);

// Prints an action list ("output:2,dec_ttl"); an empty list prints as "drop".
std::string FormatActions(const ActionList& actions);

// Prints a flow canonically ("cookie=0x5, table=1, priority=100, ip,nw_src=10.0.0.1
// actions=drop"); cookie, timeouts and out_port only when set, table omitted for kTableAll.
std::string FormatFlow(const FlowSpec& flow);

}  // namespace podswitch::core
