// FlowSpec: one flow as ovs-ofctl writes it (add-flow, mod-flows, del-flows, dump-flows):
// where it goes, how it is ranked, what it matches and what it does. The flow syntax parses
// text into it and prints it back; podswitchd installs, modifies and dumps it.
#pragma once

#include <cstdint>

#include "dataplane/core/flow/action.h"
#include "dataplane/core/flow/match.h"

namespace podswitch::core {

// The highest table a flow can live in; 254 is reserved and 255 means "every table".
inline constexpr uint8_t kTableMax = 253;

// table=255 in a mod-flows or del-flows filter: the flows of every table (the default there).
inline constexpr uint8_t kTableAll = 255;

struct FlowSpec {
  uint8_t table = 0;
  int32_t priority = 32768;
  Match match;
  uint64_t cookie = 0;
  uint64_t cookie_mask = 0;  // mod-flows/del-flows filters only: cookie=V/MASK; 0 = no mask
  uint16_t idle_timeout = 0;
  uint16_t hard_timeout = 0;
  uint32_t out_port = kPortNone;  // del-flows/dump-flows filter: flows that output to this port
  ActionList actions;             // empty: drop

  friend bool operator==(const FlowSpec&, const FlowSpec&) = default;
};

}  // namespace podswitch::core
