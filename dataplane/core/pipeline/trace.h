// Trace: what the pipeline did with one packet, step by step, for `podswitchctl trace`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/core/datapath/dp_action.h"
#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {

struct TraceStep {
  uint8_t table = 0;
  int depth = 0;  // resubmit nesting
  bool matched = false;
  int32_t priority = 0;
  uint64_t cookie = 0;
  std::string rule;                // the matched rule in flow syntax, or "no match"
  std::vector<std::string> notes;  // what its actions did (NORMAL decisions, drops, ...)
};

struct Trace {
  FlowKey key{};
  std::vector<TraceStep> steps;
  DpActions actions;        // the datapath actions the packet gets
  FlowKey wildcards{};      // the megaflow mask the walk produced
  std::string disposition;  // "output to 2,3", "drop", ...

  // The trace as `podswitchctl trace` prints it, one line per step.
  std::string ToString() const;
};

// A datapath action, and a list of them, as ovs-appctl dpctl/dump-flows spells them.
std::string FormatDpAction(const DpAction& action);
std::string FormatDpActions(const DpActions& actions);

}  // namespace podswitch::core
