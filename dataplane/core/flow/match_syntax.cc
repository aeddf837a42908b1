// The match half of the flow syntax: "tcp,nw_src=10.0.0.0/24,tp_dst=80" to a Match and back.
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "dataplane/core/flow/flow_syntax.h"
#include "dataplane/core/flow/syntax_internal.h"

namespace podswitch::core {
namespace flow_internal {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800, kEthArp = 0x0806, kEthIpv6 = 0x86dd;
constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;

struct Shorthand {
  std::string_view name;
  uint16_t dl_type;
  std::optional<uint8_t> proto;
};
constexpr Shorthand kShorthands[] = {
    {"ip", kEthIpv4, std::nullopt},    {"ipv6", kEthIpv6, std::nullopt},
    {"arp", kEthArp, std::nullopt},    {"tcp", kEthIpv4, kProtoTcp},
    {"udp", kEthIpv4, kProtoUdp},      {"icmp", kEthIpv4, kProtoIcmp},
    {"tcp6", kEthIpv6, kProtoTcp},     {"udp6", kEthIpv6, kProtoUdp},
    {"icmp6", kEthIpv6, kProtoIcmpv6},
};

bool Overlaps(const FlowKey& a, const FlowKey& b) {
  for (size_t i = 0; i < kFlowKeyWords; ++i) {
    if (FlowKeyWord(a, i) & FlowKeyWord(b, i)) return true;
  }
  return false;
}

bool IsVlanSubfield(FieldId id) { return id == FieldId::kDlVlan || id == FieldId::kDlVlanPcp; }

}  // namespace

absl::Status MatchBuilder::Claim(std::string_view token, const FlowKey& bits) {
  for (const auto& [earlier_bits, earlier] : claimed_) {
    if (Overlaps(bits, earlier_bits)) {
      return ctx_.Error(
          token, Cat("overlaps \"", earlier, "\" at column ",
                     earlier.data() - ctx_.whole.data() + 1, " (a field may be given only once)"));
    }
  }
  claimed_.emplace_back(bits, token);
  return absl::OkStatus();
}

absl::Status MatchBuilder::AddShorthand(std::string_view token, uint16_t dl_type,
                                        std::optional<uint8_t> proto) {
  FlowKey bits{};
  bits.dl_type = 0xffff;
  if (proto) bits.nw_proto = 0xff;
  if (absl::Status s = Claim(token, bits); !s.ok()) return s;
  match_.value.dl_type = dl_type;
  match_.mask.dl_type = 0xffff;
  if (proto) {
    match_.value.nw_proto = *proto;
    match_.mask.nw_proto = 0xff;
  }
  return absl::OkStatus();
}

absl::Status MatchBuilder::Add(std::string_view token) {
  auto [name, value] = SplitKeyValue(token);
  if (!value) {
    for (const Shorthand& s : kShorthands) {
      if (EqualsIgnoreCase(name, s.name)) return AddShorthand(token, s.dl_type, s.proto);
    }
    if (FindField(name) != nullptr) {
      return ctx_.Error(token, Cat("field ", name, " needs a value (", name, "=VALUE)"));
    }
    return ctx_.Error(token, "unknown field or protocol");
  }
  const FieldInfo* field = FindField(name);
  if (field == nullptr) return ctx_.Error(token, Cat("unknown field ", name));
  auto bits = ParseFieldValue(*field, *value, ports_);
  if (!bits.ok()) return ctx_.Error(token, bits.status().message());

  FlowKey claim{};
  SetFieldValue(claim, field->id, FieldFullMask(field->id));
  if (absl::Status s = Claim(token, claim); !s.ok()) return s;
  SetFieldValue(match_.value, field->id, bits->value);
  SetFieldValue(match_.mask, field->id, bits->mask);
  if (IsVlanSubfield(field->id)) {  // dl_vlan=10 and dl_vlan_pcp=3 also mean "tagged"
    match_.value.vlan_tci |= kVlanPresent;
    match_.mask.vlan_tci |= kVlanPresent;
  }
  fields_.emplace_back(field->id, token);
  return absl::OkStatus();
}

absl::StatusOr<Match> MatchBuilder::Finish() {
  for (const auto& [id, token] : fields_) {
    if (absl::Status s = CheckFieldPrereq(id, match_); !s.ok()) {
      return ctx_.Error(token, s.message());
    }
  }
  match_.Normalize();
  return match_;
}

namespace {

// Prints the match one field at a time, choosing the name each storage slot has in context
// (arp_spa rather than nw_src for ARP, icmp_type rather than tp_src for ICMP, ...).
class MatchPrinter {
 public:
  explicit MatchPrinter(const Match& m) : m_(m) {}

  std::string Print() {
    PrintProtocol();
    for (FieldId id :
         {FieldId::kInPort, FieldId::kTunId, FieldId::kTunSrc, FieldId::kTunDst, FieldId::kMetadata,
          FieldId::kReg0, FieldId::kReg1, FieldId::kReg2, FieldId::kReg3, FieldId::kReg4,
          FieldId::kReg5, FieldId::kReg6, FieldId::kReg7, FieldId::kConjId, FieldId::kCtState,
          FieldId::kCtZone, FieldId::kCtMark, FieldId::kPktErr}) {
      PrintField(id);
    }
    PrintVlan();
    PrintField(FieldId::kDlSrc);
    PrintField(FieldId::kDlDst);
    PrintField(is_arp() ? FieldId::kArpSpa : FieldId::kNwSrc);
    PrintField(is_arp() ? FieldId::kArpTpa : FieldId::kNwDst);
    if (!proto_printed_) PrintField(is_arp() ? FieldId::kArpOp : FieldId::kNwProto);
    if (!is_ipv6()) {
      PrintField(FieldId::kArpSha);
      PrintField(FieldId::kArpTha);
    }
    for (FieldId id : {FieldId::kIpv6Src, FieldId::kIpv6Dst, FieldId::kIpv6Label, FieldId::kNwTos,
                       FieldId::kNwEcn, FieldId::kNwTtl, FieldId::kNwFrag}) {
      PrintField(id);
    }
    PrintPorts();
    PrintField(FieldId::kTcpFlags);
    PrintField(FieldId::kNdTarget);
    if (is_ipv6()) {  // the same storage as arp_sha/arp_tha
      PrintField(FieldId::kNdSll);
      PrintField(FieldId::kNdTll);
    }
    return absl::StrJoin(parts_, ",");
  }

 private:
  bool dl_type_is(uint16_t t) const { return m_.mask.dl_type == 0xffff && m_.value.dl_type == t; }
  bool proto_is(uint8_t p) const { return m_.mask.nw_proto == 0xff && m_.value.nw_proto == p; }
  bool is_arp() const { return dl_type_is(kEthArp); }
  bool is_ipv6() const { return dl_type_is(kEthIpv6); }

  void PrintProtocol() {
    if (m_.mask.dl_type == 0) return;
    for (const Shorthand& s : kShorthands) {
      if (s.proto && dl_type_is(s.dl_type) && proto_is(*s.proto)) {
        parts_.emplace_back(s.name);
        proto_printed_ = true;
        return;
      }
    }
    for (const Shorthand& s : kShorthands) {
      if (!s.proto && dl_type_is(s.dl_type)) {
        parts_.emplace_back(s.name);
        return;
      }
    }
    PrintField(FieldId::kDlType);
  }

  // vlan_tci in the friendliest form that says exactly the same: dl_vlan/dl_vlan_pcp when the
  // match is "tagged, with this VID and/or PCP", else vlan_tci=VALUE/MASK.
  void PrintVlan() {
    uint16_t v = m_.value.vlan_tci, mask = m_.mask.vlan_tci;
    if (mask == 0) return;
    bool tagged = (v & kVlanPresent) != 0;
    if (tagged && (mask == 0x1fff || mask == 0xf000 || mask == 0xffff)) {
      if (mask & kVlanVidMask) parts_.push_back(Cat("dl_vlan=", v & kVlanVidMask));
      if (mask & kVlanPcpMask) parts_.push_back(Cat("dl_vlan_pcp=", v >> 13));
      return;
    }
    if (mask == 0xffff) {
      parts_.push_back(absl::StrFormat("vlan_tci=0x%04x", v));
    } else {
      parts_.push_back(absl::StrFormat("vlan_tci=0x%04x/0x%04x", v, mask));
    }
  }

  void PrintPorts() {
    FieldId src = FieldId::kTpSrc, dst = FieldId::kTpDst;
    if (dl_type_is(kEthIpv4) && proto_is(kProtoIcmp)) {
      src = FieldId::kIcmpType;
      dst = FieldId::kIcmpCode;
    } else if (is_ipv6() && proto_is(kProtoIcmpv6)) {
      src = FieldId::kIcmpv6Type;
      dst = FieldId::kIcmpv6Code;
    }
    // ICMP type/code are the low 8 bits of tp_src/tp_dst; anything above prints as tp_*.
    PrintField(m_.mask.tp_src > 0xff ? FieldId::kTpSrc : src);
    PrintField(m_.mask.tp_dst > 0xff ? FieldId::kTpDst : dst);
  }

  void PrintField(FieldId id) {
    const FieldInfo& f = GetField(id);
    FieldBits mask = GetFieldValue(m_.mask, id) & FieldFullMask(id);
    if (mask == 0) return;
    FieldBits value = GetFieldValue(m_.value, id) & mask;
    parts_.push_back(Cat(f.name, "=", FormatFieldValue(f, value, mask)));
  }

  const Match& m_;
  std::vector<std::string> parts_;
  bool proto_printed_ = false;
};

}  // namespace
}  // namespace flow_internal

absl::StatusOr<Match> ParseMatch(std::string_view text, const PortNameResolver& ports) {
  flow_internal::TextContext ctx{"match", text};
  flow_internal::MatchBuilder builder(ctx, ports);
  for (std::string_view token : flow_internal::SplitTopLevel(text)) {
    if (absl::Status s = builder.Add(token); !s.ok()) return s;
  }
  return builder.Finish();
}

std::string FormatMatch(const Match& match) { return flow_internal::MatchPrinter(match).Print(); }

}  // namespace podswitch::core
