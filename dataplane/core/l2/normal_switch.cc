#include "dataplane/core/l2/normal_switch.h"

#include <algorithm>
#include <utility>

namespace podswitch::core {
namespace {

constexpr uint16_t kTpidDot1q = 0x8100;

bool IsMulticast(const MacAddr& mac) { return (mac[0] & 0x01) != 0; }

// The outer tag of the packet as the actions so far have left it.
struct TagState {
  bool tagged;
  uint16_t tci;  // VID | PCP, without kVlanPresent
};

// Appends the action that turns tag state `*cur` into `want`, and updates `*cur`.
void Retag(TagState want, uint16_t push_tpid, TagState* cur, DpActions* out) {
  if (!want.tagged) {
    if (cur->tagged) out->push_back(DpAction{.type = DpActionType::kPopVlan});
  } else if (!cur->tagged) {
    out->push_back(DpAction{.type = DpActionType::kPushVlan, .u16 = want.tci, .u32 = push_tpid});
  } else if (cur->tci != want.tci) {
    out->push_back(DpAction{.type = DpActionType::kSetVlanTci, .u16 = want.tci});
  }
  *cur = want;
}

}  // namespace

NormalSwitch::NormalSwitch(MacLearningTable* macs) : macs_(macs) {}

void NormalSwitch::SetPorts(std::vector<BridgePortInfo> ports) {
  // Stable sort, then keep the last of each run of equal port numbers.
  std::stable_sort(ports.begin(), ports.end(),
                   [](const auto& a, const auto& b) { return a.port_no < b.port_no; });
  ports_.clear();
  for (auto& port : ports) {
    if (!ports_.empty() && ports_.back().port_no == port.port_no) {
      ports_.back() = std::move(port);
    } else {
      ports_.push_back(std::move(port));
    }
  }
  ++config_generation_;
}

const BridgePortInfo* NormalSwitch::FindPort(uint32_t port_no) const {
  auto it = std::lower_bound(ports_.begin(), ports_.end(), port_no,
                             [](const BridgePortInfo& p, uint32_t n) { return p.port_no < n; });
  if (it == ports_.end() || it->port_no != port_no) return nullptr;
  return &*it;
}

void NormalSwitch::Decide(const FlowKey& key, uint64_t now_ms, DpActions* out,
                          FlowKey* wildcards) const {
  wildcards->in_port = UINT32_MAX;
  const BridgePortInfo* in = FindPort(key.in_port);
  if (in == nullptr || !in->up) return;
  wildcards->vlan_tci = UINT16_MAX;
  const std::optional<uint16_t> vlan = IngressVlan(in->vlan, key.vlan_tci);
  if (!vlan.has_value()) return;

  wildcards->dl_src.fill(0xff);
  if (!IsMulticast(key.dl_src)) {
    out->push_back(DpAction{
        .type = DpActionType::kLearn, .u16 = *vlan, .u32 = key.in_port, .mac = key.dl_src});
  }

  wildcards->dl_dst.fill(0xff);
  std::vector<const BridgePortInfo*> to;
  std::optional<uint32_t> learned;
  if (!IsMulticast(key.dl_dst)) learned = macs_->Lookup(*vlan, key.dl_dst, now_ms);
  if (learned.has_value() && *learned == key.in_port) return;  // hairpin: OVS drops it
  const BridgePortInfo* dst = learned.has_value() ? FindPort(*learned) : nullptr;
  if (dst != nullptr && dst->up && dst->vlan.CarriesVlan(*vlan)) {
    if (in->tunnel && dst->tunnel) return;  // split horizon: never from tunnel to tunnel
    to.push_back(dst);
  } else {
    // Unknown unicast, multicast, broadcast, or a MAC learned on a port that is gone or
    // down: flood within the VLAN, and from a tunnel only to the non-tunnel ports.
    for (const BridgePortInfo& port : ports_) {
      if (port.port_no != key.in_port && port.up && port.flood && !(in->tunnel && port.tunnel) &&
          port.vlan.CarriesVlan(*vlan)) {
        to.push_back(&port);
      }
    }
  }
  EmitOutputs(key, *vlan, to, out, wildcards);
}

void NormalSwitch::EmitOutputs(const FlowKey& key, uint16_t vlan,
                               const std::vector<const BridgePortInfo*>& to, DpActions* out,
                               FlowKey* wildcards) const {
  if (to.empty()) return;
  const TagState original{.tagged = (key.vlan_tci & kVlanPresent) != 0,
                          .tci = static_cast<uint16_t>(key.vlan_tci & ~kVlanPresent)};
  const uint16_t pcp = original.tagged ? (key.vlan_tci & kVlanPcpMask) : 0;
  TagState cur = original;
  for (const BridgePortInfo* port : to) {
    const EgressTagging egress = Egress(port->vlan, vlan);
    const TagState want{.tagged = egress == EgressTagging::kTagged,
                        .tci = static_cast<uint16_t>(vlan | pcp)};
    Retag(want, kTpidDot1q, &cur, out);
    out->push_back(DpAction{.type = DpActionType::kOutput, .u32 = port->port_no});
  }
  // Later actions must see the packet as it arrived; re-pushing needs the original TPID.
  if (original.tagged && !cur.tagged) wildcards->vlan_tpid = UINT16_MAX;
  const uint16_t restore_tpid = key.vlan_tpid != 0 ? key.vlan_tpid : kTpidDot1q;
  Retag(original, restore_tpid, &cur, out);
}

LearnResult NormalSwitch::Learn(const DpAction& learn, uint64_t now_ms) {
  if (learn.type != DpActionType::kLearn) return LearnResult::kIgnored;
  return macs_->Learn(learn.u16, learn.mac, learn.u32, now_ms);
}

LearnResult NormalSwitch::LearnFrom(const FlowKey& key, uint64_t now_ms) {
  const BridgePortInfo* in = FindPort(key.in_port);
  if (in == nullptr || !in->up) return LearnResult::kIgnored;
  const std::optional<uint16_t> vlan = IngressVlan(in->vlan, key.vlan_tci);
  if (!vlan.has_value()) return LearnResult::kIgnored;
  return macs_->Learn(*vlan, key.dl_src, key.in_port, now_ms);
}

}  // namespace podswitch::core
