// FlowRule: one installed flow in one table of a bridge, with its counters. The classifier
// indexes rules by match and priority; the pipeline owns them.
#pragma once

#include <cstdint>

#include "dataplane/core/flow/action.h"
#include "dataplane/core/flow/match.h"

namespace podswitch::core {

struct FlowRule {
  Match match;
  int32_t priority = 32768;
  uint8_t table = 0;
  uint64_t cookie = 0;
  uint16_t idle_timeout = 0;  // seconds without a packet before removal; 0 = never
  uint16_t hard_timeout = 0;  // seconds after installation before removal; 0 = never
  ActionList actions;
  bool conjunctive = false;  // every action is conjunction(): matched only as a clause

  // Counters, updated by the slow path and by flow-cache hits.
  uint64_t n_packets = 0;
  uint64_t n_bytes = 0;
  uint64_t created_ms = 0;
  uint64_t last_used_ms = 0;

  // Charges one packet of `bytes` seen at `now_ms` to this rule.
  void Hit(uint32_t bytes, uint64_t now_ms) {
    ++n_packets;
    n_bytes += bytes;
    last_used_ms = now_ms;
  }
};

}  // namespace podswitch::core
