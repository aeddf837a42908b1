// Pipeline: the OpenFlow-style flow tables of one bridge (0-253), flow mods with OVS
// semantics, and the translation of a packet's walk through the tables into datapath
// actions plus the megaflow mask of the key bits the walk depended on. This is the slow
// path; the flow caches (cache/) replay its results.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/core/classifier/classifier.h"
#include "dataplane/core/datapath/dp_action.h"
#include "dataplane/core/flow/flow_spec.h"
#include "dataplane/core/l2/mac_learning_table.h"
#include "dataplane/core/l2/normal_switch.h"
#include "dataplane/core/pipeline/flow_rule.h"
#include "dataplane/core/pipeline/trace.h"

namespace podswitch::core {

inline constexpr int kNumTables = 254;

// What a walk through the tables decided for one key.
struct Translation {
  DpActions actions;
  FlowKey wildcards{};           // bits of the key the decision depended on
  std::vector<FlowRule*> rules;  // rules that matched, for cache-hit statistics
};

// Which flows a modify/delete/dump applies to.
struct FlowFilter {
  std::optional<uint8_t> table;     // nullopt = every table
  Match match;                      // non-strict: flows at least as specific as this
  std::optional<int32_t> priority;  // strict: exactly this match and priority
  uint64_t cookie = 0;
  uint64_t cookie_mask = 0;
  uint32_t out_port = 0xffffffff;  // only flows that output to this port
};

// The filter a mod-flows/del-flows/dump-flows flow text (FlowTextMode::kModify or
// kMatchOnly) describes; `strict` also requires the exact match and priority.
FlowFilter FilterFromSpec(const FlowSpec& spec, bool strict);

// The flow text form of an installed rule (no counters), as the config database stores it.
FlowSpec SpecFromRule(const FlowRule& rule);

struct PipelineOptions {
  int max_resubmit_depth = 64;  // nested resubmit/goto levels before the walk drops
  int max_resubmits = 4096;     // total table lookups per packet before it drops
  MacLearningOptions mac_learning;
};

class Pipeline {
 public:
  explicit Pipeline(PipelineOptions options = {});

  // Checks that the datapath can run this flow (tables, goto order, writable fields), so a
  // caller can validate a batch before changing anything. AddFlow runs the same check.
  absl::Status CheckFlow(const FlowSpec& spec) const;

  // Installs a flow; an identical match and priority in that table is replaced (counters
  // reset), as ovs-ofctl add-flow does. Rejects actions the datapath cannot perform.
  absl::Status AddFlow(const FlowSpec& spec, uint64_t now_ms);
  // Replaces the actions of the flows the filter selects; returns how many changed.
  absl::StatusOr<size_t> ModifyFlows(const FlowFilter& filter, const ActionList& actions);
  // Removes the flows the filter selects; returns how many went.
  size_t DeleteFlows(const FlowFilter& filter);
  // The flows the filter selects, ordered by table, then priority (highest first).
  std::vector<const FlowRule*> DumpFlows(const FlowFilter& filter) const;
  // Removes flows whose idle or hard timeout has passed; returns how many.
  size_t ExpireFlows(uint64_t now_ms);
  size_t flow_count() const;

  // Sets the bridge's ports (for flood, all and NORMAL).
  void SetPorts(std::vector<BridgePortInfo> ports);

  // Walks the tables from table 0 for `key`, producing datapath actions and wildcards.
  // Does not change any state; `trace`, when given, records every step.
  Translation Translate(const FlowKey& key, uint64_t now_ms, Trace* trace = nullptr) const;

  // Applies a kLearn datapath action (from NORMAL) to the MAC table.
  void Learn(const DpAction& learn, uint64_t now_ms);
  // Ages out MAC entries; returns how many expired.
  size_t ExpireMacs(uint64_t now_ms);

  // Changes whenever a translation could change: a flow mod, a port change, the MAC table.
  uint64_t generation() const { return generation_ + macs_.generation(); }

  MacLearningTable& macs() { return macs_; }
  const MacLearningTable& macs() const { return macs_; }
  const PipelineOptions& options() const { return options_; }
  const std::vector<BridgePortInfo>& ports() const { return ports_; }

  // True when `rule` is selected by `filter` (used by modify, delete and dump).
  static bool Selects(const FlowFilter& filter, const FlowRule& rule);

 private:
  friend class Translator;

  struct Table {
    Classifier<FlowRule> classifier;
    std::vector<std::unique_ptr<FlowRule>> rules;
    size_t conjunctive_rules = 0;
  };

  void RemoveRule(Table& table, const FlowRule* rule);

  PipelineOptions options_;
  std::array<Table, kNumTables> tables_;
  std::vector<BridgePortInfo> ports_;
  MacLearningTable macs_;
  NormalSwitch normal_;
  uint64_t generation_ = 1;
};

}  // namespace podswitch::core
