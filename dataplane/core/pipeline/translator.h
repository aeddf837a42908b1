// Translator: one walk of a packet key through a Pipeline's tables (OVS's "xlate").
// Internal to the pipeline; Pipeline::Translate is the way in.
#pragma once

#include <cstdint>

#include "dataplane/core/pipeline/pipeline.h"

namespace podswitch::core {

class Translator {
 public:
  Translator(const Pipeline& pipeline, const FlowKey& key, uint64_t now_ms, Trace* trace);

  // Runs the walk from table 0 and returns its datapath actions, wildcards and rules.
  Translation Run() &&;

 private:
  void WalkTable(uint8_t table, int depth);
  const FlowRule* Lookup(const Pipeline::Table& table);
  const FlowRule* FirstNonConjunctive(const Pipeline::Table& table);
  void Execute(const ActionList& actions, uint8_t table, int depth);
  void ExecuteOne(const Action& action, uint8_t table, int depth);
  void Output(uint32_t port);
  void OutputToPorts(bool flood_only);
  void SetField(const SetFieldAction& set);
  void Move(const MoveAction& move);
  void SetVlanTci(uint16_t tci);
  void PushVlan(uint16_t tpid);
  void PopVlan();
  void DecTtl();
  void Commit();
  void Emit(DpAction action) { out_.actions.push_back(action); }
  void Note(std::string note);
  void Halt(std::string why);

  const Pipeline& pipeline_;
  uint64_t now_ms_;
  Trace* trace_;
  FlowKey key_;           // the packet as the actions have changed it so far
  FlowKey dirty_{};       // header bits written but not yet emitted as datapath actions
  uint16_t packet_vlan_;  // the outer tag the packet carries after the emitted actions
  Translation out_;
  int lookups_ = 0;
  int trace_step_ = -1;
  bool halted_ = false;
};

}  // namespace podswitch::core
