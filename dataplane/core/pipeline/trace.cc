#include "dataplane/core/pipeline/trace.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/core/flow/flow_syntax.h"
#include "dataplane/core/packet/addr.h"

namespace podswitch::core {

std::string FormatDpAction(const DpAction& a) {
  switch (a.type) {
    case DpActionType::kOutput:
      return absl::StrCat("output:", a.u32);
    case DpActionType::kSetEthSrc:
      return absl::StrCat("set(eth_src=", MacToString(a.mac), ")");
    case DpActionType::kSetEthDst:
      return absl::StrCat("set(eth_dst=", MacToString(a.mac), ")");
    case DpActionType::kSetIpv4Src:
      return absl::StrCat("set(ipv4_src=", Ipv4ToString(a.u32), ")");
    case DpActionType::kSetIpv4Dst:
      return absl::StrCat("set(ipv4_dst=", Ipv4ToString(a.u32), ")");
    case DpActionType::kSetTpSrc:
      return absl::StrCat("set(tp_src=", a.u16, ")");
    case DpActionType::kSetTpDst:
      return absl::StrCat("set(tp_dst=", a.u16, ")");
    case DpActionType::kSetIpTos:
      return absl::StrCat("set(tos=", a.u16, ")");
    case DpActionType::kSetTtl:
      return absl::StrCat("set(ttl=", a.u16, ")");
    case DpActionType::kDecTtl:
      return "dec_ttl";
    case DpActionType::kPushVlan:
      return absl::StrCat("push_vlan(vid=", a.u16 & kVlanVidMask, ",pcp=", a.u16 >> 13, ",tpid=0x",
                          absl::Hex(a.u32), ")");
    case DpActionType::kPopVlan:
      return "pop_vlan";
    case DpActionType::kSetVlanTci:
      return absl::StrCat("set(vlan_vid=", a.u16 & kVlanVidMask, ",pcp=", a.u16 >> 13, ")");
    case DpActionType::kSetTunnel:
      return absl::StrCat("set(tunnel(tun_id=0x", absl::Hex(a.u64), ",dst=", Ipv4ToString(a.u32),
                          "))");
    case DpActionType::kController:
      return absl::StrCat("userspace(controller,reason=", a.u16, ",id=", a.u32, ")");
    case DpActionType::kMeter:
      return absl::StrCat("meter(", a.u32, ")");
    case DpActionType::kLearn:
      return absl::StrCat("learn(vlan=", a.u16, ",mac=", MacToString(a.mac), ",port=", a.u32, ")");
  }
  return "unknown";
}

std::string FormatDpActions(const DpActions& actions) {
  if (actions.empty()) return "drop";
  return absl::StrJoin(actions, ",",
                       [](std::string* out, const DpAction& a) { out->append(FormatDpAction(a)); });
}

std::string Trace::ToString() const {
  std::string out;
  for (const TraceStep& step : steps) {
    std::string indent(2 + 4 * step.depth, ' ');
    if (step.matched) {
      absl::StrAppend(&out, indent, step.table, ". priority ", step.priority, ", cookie 0x",
                      absl::Hex(step.cookie), ": ", step.rule, "\n");
    } else {
      absl::StrAppend(&out, indent, step.table, ". ", step.rule, "\n");
    }
    for (const std::string& note : step.notes) absl::StrAppend(&out, indent, "    -> ", note, "\n");
  }
  Match megaflow{MaskedKey(key, wildcards), wildcards};
  absl::StrAppend(&out, "\nMegaflow: ", FormatMatch(megaflow), "\n");
  absl::StrAppend(&out, "Datapath actions: ", FormatDpActions(actions), "\n");
  absl::StrAppend(&out, "Disposition: ", disposition, "\n");
  return out;
}

}  // namespace podswitch::core
