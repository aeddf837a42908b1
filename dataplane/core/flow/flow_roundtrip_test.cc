// Property test: for thousands of random valid FlowSpecs, the printer's output parses back
// to the same FlowSpec, and printing that again gives the same text.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dataplane/core/flow/field_internal.h"
#include "dataplane/core/flow/flow_syntax.h"

namespace podswitch::core {
namespace {

using flow_internal::FieldBits;
using flow_internal::FieldFullMask;
using flow_internal::LowBits;
using flow_internal::SetFieldValue;

// Builds random flows that obey what the syntax promises (prerequisites, action rules).
class FlowGenerator {
 public:
  explicit FlowGenerator(uint64_t seed) : rng_(seed) {}

  FlowSpec Next(FlowTextMode mode) {
    FlowSpec f;
    if (mode == FlowTextMode::kAdd) {
      f.table = static_cast<uint8_t>(Below(kTableMax + 1));
    } else {
      f.table = Chance(2) ? kTableAll : static_cast<uint8_t>(Below(kTableMax + 1));
    }
    f.priority = static_cast<int32_t>(Below(65536));
    if (Chance(3)) f.cookie = Bits(64);
    if (mode != FlowTextMode::kAdd && Chance(3)) f.cookie_mask = Bits(64);
    if (Chance(4)) f.idle_timeout = static_cast<uint16_t>(Bits(16));
    if (Chance(4)) f.hard_timeout = static_cast<uint16_t>(Bits(16));
    if (mode == FlowTextMode::kMatchOnly && Chance(2)) f.out_port = Port();
    f.match = RandomMatch();
    if (mode != FlowTextMode::kMatchOnly) f.actions = RandomActions(f, mode);
    return f;
  }

  Match RandomMatch() {
    Match m;
    struct Proto {
      int dl_type;  // -1: none
      int proto;    // -1: none, -2: random
    };
    const Proto protos[] = {{-1, -1},     {0x0800, -1}, {0x86dd, -1}, {0x0806, -1}, {0x0800, 6},
                            {0x0800, 17}, {0x0800, 1},  {0x86dd, 6},  {0x86dd, 17}, {0x86dd, 58},
                            {0x88cc, -1}, {0x0800, -2}, {0x86dd, -2}};
    const Proto& p = protos[Below(std::size(protos))];
    if (p.dl_type >= 0) {
      m.value.dl_type = static_cast<uint16_t>(p.dl_type);
      m.mask.dl_type = 0xffff;
    }
    if (p.proto != -1) {
      m.value.nw_proto = static_cast<uint8_t>(p.proto == -2 ? Bits(8) : p.proto);
      m.mask.nw_proto = 0xff;
    }
    if (p.dl_type == 0x0806 && Chance(3)) {
      m.value.nw_proto = static_cast<uint8_t>(Bits(8));  // arp_op
      m.mask.nw_proto = 0xff;
    }
    if (p.dl_type == 0x86dd && p.proto == 58 && Chance(2)) {
      Set(m, FieldId::kIcmpv6Type, Chance(2) ? 135 : 136, 0xff);
      for (FieldId id : {FieldId::kNdTarget, FieldId::kNdSll, FieldId::kNdTll}) {
        if (Chance(2) && CheckFieldPrereq(id, m).ok()) SetRandom(m, id);
      }
    }
    RandomVlan(m);
    for (FieldId id :
         {FieldId::kInPort,   FieldId::kDlSrc,    FieldId::kDlDst,      FieldId::kNwSrc,
          FieldId::kNwDst,    FieldId::kNwTos,    FieldId::kNwEcn,      FieldId::kNwTtl,
          FieldId::kNwFrag,   FieldId::kTpSrc,    FieldId::kTpDst,      FieldId::kTcpFlags,
          FieldId::kIcmpType, FieldId::kIcmpCode, FieldId::kIcmpv6Code, FieldId::kArpSha,
          FieldId::kArpTha,   FieldId::kIpv6Src,  FieldId::kIpv6Dst,    FieldId::kIpv6Label,
          FieldId::kTunId,    FieldId::kTunSrc,   FieldId::kTunDst,     FieldId::kMetadata,
          FieldId::kReg0,     FieldId::kReg5,     FieldId::kReg7,       FieldId::kConjId,
          FieldId::kCtState,  FieldId::kCtZone,   FieldId::kCtMark,     FieldId::kPktErr}) {
      if (Chance(4) && CheckFieldPrereq(id, m).ok()) SetRandom(m, id);
    }
    m.Normalize();
    return m;
  }

 private:
  uint64_t Bits(unsigned n) {
    uint64_t v = rng_();
    return n >= 64 ? v : v & ((uint64_t{1} << n) - 1);
  }
  FieldBits WideBits(unsigned n) { return ((FieldBits{rng_()} << 64) | rng_()) & LowBits(n); }
  uint64_t Below(uint64_t n) { return rng_() % n; }
  bool Chance(unsigned one_in) { return Below(one_in) == 0; }

  uint32_t Port() {
    const uint32_t reserved[] = {kPortInPort, kPortNormal,     kPortFlood,
                                 kPortAll,    kPortController, kPortLocal};
    if (Chance(4)) return reserved[Below(std::size(reserved))];
    return Chance(2) ? static_cast<uint32_t>(Below(64)) : static_cast<uint32_t>(Below(kPortMax));
  }

  void Set(Match& m, FieldId id, FieldBits value, FieldBits mask) {
    SetFieldValue(m.value, id, value & mask);
    SetFieldValue(m.mask, id, mask);
  }

  // A mask the syntax can express for this field: whole, a prefix, or any bits if maskable.
  FieldBits RandomMask(const FieldInfo& f) {
    FieldBits full = FieldFullMask(f.id);
    if (!f.maskable || Chance(2)) return full;
    if (Chance(2)) {
      unsigned len = static_cast<unsigned>(Below(f.n_bits + 1));
      return flow_internal::PrefixMask(len, f.n_bits);
    }
    return WideBits(f.n_bits);
  }

  void SetRandom(Match& m, FieldId id) {
    const FieldInfo& f = GetField(id);
    if (id == FieldId::kInPort) return Set(m, id, Port(), FieldFullMask(id));
    if (id == FieldId::kNwFrag && Chance(2)) {
      const uint8_t named[][2] = {{0, 1}, {1, 1}, {1, 3}, {3, 3}, {0, 2}};
      const auto& n = named[Below(std::size(named))];
      return Set(m, id, n[0], n[1]);
    }
    Set(m, id, WideBits(f.n_bits), RandomMask(f));
  }

  void RandomVlan(Match& m) {
    switch (Below(5)) {
      case 0:
        Set(m, FieldId::kVlanTci, Bits(16), RandomMask(GetField(FieldId::kVlanTci)));
        break;
      case 1:
      case 2: {
        bool vid = Chance(2), pcp = !vid || Chance(2);
        if (vid) Set(m, FieldId::kDlVlan, Bits(12), 0xfff);
        if (pcp) Set(m, FieldId::kDlVlanPcp, Bits(3), 0x7);
        m.value.vlan_tci |= kVlanPresent;
        m.mask.vlan_tci |= kVlanPresent;
        break;
      }
      default:
        break;
    }
  }

  // A field that the flow's match allows actions to touch (any field in mod-flows).
  FieldId UsableField(const FlowSpec& f, FlowTextMode mode, bool writable) {
    for (;;) {
      auto id = static_cast<FieldId>(Below(static_cast<size_t>(FieldId::kCount)));
      if (writable && IsReadOnlyField(id)) continue;
      if (mode == FlowTextMode::kAdd && !CheckFieldPrereq(id, f.match).ok()) continue;
      return id;
    }
  }

  SetFieldAction RandomSetField(const FlowSpec& f, FlowTextMode mode) {
    using S = SetFieldAction::Spelling;
    FieldId id = UsableField(f, mode, true);
    const FieldInfo& info = GetField(id);
    SetFieldAction a{id, Match{}, S::kSetField};
    FieldBits mask = RandomMask(info);
    FieldBits value = WideBits(info.n_bits);
    if (id == FieldId::kInPort) value = Port();
    switch (Below(4)) {
      case 0: {  // load:V->F[a..b]
        unsigned ofs = static_cast<unsigned>(Below(info.n_bits));
        unsigned n = 1 + static_cast<unsigned>(Below(info.n_bits - ofs));
        mask = LowBits(n) << ofs;
        a.spelling = S::kLoad;
        break;
      }
      case 1:
        if (id == FieldId::kDlSrc || id == FieldId::kDlDst || id == FieldId::kNwSrc ||
            id == FieldId::kNwDst || id == FieldId::kTpSrc || id == FieldId::kTpDst ||
            id == FieldId::kNwTos || id == FieldId::kNwTtl) {
          mask = FieldFullMask(id);
          a.spelling = S::kModShortcut;
        }
        break;
      case 2:
        if (id == FieldId::kTunId) {
          mask = FieldFullMask(id);
          a.spelling = S::kSetTunnel;
        }
        break;
      default:
        break;
    }
    SetFieldValue(a.bits.value, id, value & mask);
    SetFieldValue(a.bits.mask, id, mask);
    return a;
  }

  MoveAction RandomMove(const FlowSpec& f, FlowTextMode mode) {
    FieldId src = UsableField(f, mode, false), dst = UsableField(f, mode, true);
    unsigned width = std::min(GetField(src).n_bits, GetField(dst).n_bits);
    auto n = static_cast<uint16_t>(1 + Below(width));
    auto src_ofs = static_cast<uint16_t>(Below(GetField(src).n_bits - n + 1));
    auto dst_ofs = static_cast<uint16_t>(Below(GetField(dst).n_bits - n + 1));
    return MoveAction{src, src_ofs, dst, dst_ofs, n};
  }

  ActionList RandomActions(const FlowSpec& f, FlowTextMode mode) {
    ActionList list;
    if (Chance(6)) {
      for (size_t i = 0, n = 1 + Below(3); i < n; ++i) {
        uint8_t k = static_cast<uint8_t>(2 + Below(63));
        list.push_back(ConjunctionAction{static_cast<uint32_t>(Bits(32)),
                                         static_cast<uint8_t>(1 + Below(k)), k});
      }
      return list;
    }
    for (size_t i = 0, n = Below(6); i < n; ++i) {
      switch (Below(13)) {
        case 0:
          list.push_back(OutputAction{Port()});
          break;
        case 1: {
          uint32_t port = Chance(2) ? kPortInPort : Port();
          uint8_t table = Chance(2) ? 255 : static_cast<uint8_t>(Below(kTableMax + 1));
          list.push_back(ResubmitAction{port, table});
          break;
        }
        case 2:
          list.push_back(PushVlanAction{Chance(2) ? uint16_t{0x8100} : uint16_t{0x88a8}});
          break;
        case 3:
          list.push_back(PopVlanAction{});
          break;
        case 4:
          list.push_back(SetVlanVidAction{static_cast<uint16_t>(Bits(12))});
          break;
        case 5:
          list.push_back(SetVlanPcpAction{static_cast<uint8_t>(Bits(3))});
          break;
        case 6:
        case 7:
          list.push_back(RandomSetField(f, mode));
          break;
        case 8:
          list.push_back(RandomMove(f, mode));
          break;
        case 9:
          list.push_back(DecTtlAction{});
          break;
        case 10:
          list.push_back(ControllerAction{
              static_cast<uint16_t>(Below(6)), Chance(2) ? 0u : static_cast<uint32_t>(Bits(32)),
              Chance(2) ? uint16_t{0xffff} : static_cast<uint16_t>(Bits(16))});
          break;
        case 11:
          list.push_back(MeterAction{static_cast<uint32_t>(Bits(32))});
          break;
        default:
          break;
      }
    }
    if (f.table < kTableMax && Chance(3)) {
      list.push_back(
          GotoTableAction{static_cast<uint8_t>(f.table + 1 + Below(kTableMax - f.table))});
    }
    return list;
  }

  std::mt19937_64 rng_;
};

constexpr int kCases = 5000;

TEST(FlowRoundTripTest, RandomFlowsPrintAndParseBackEqual) {
  FlowGenerator gen(20240601);
  for (FlowTextMode mode : {FlowTextMode::kAdd, FlowTextMode::kModify}) {
    for (int i = 0; i < kCases; ++i) {
      FlowSpec f = gen.Next(mode);
      std::string text = FormatFlow(f);
      auto parsed = ParseFlow(text, mode);
      ASSERT_TRUE(parsed.ok()) << "case " << i << ": " << parsed.status();
      ASSERT_EQ(*parsed, f) << "case " << i << ": " << text << "\n reparsed as "
                            << FormatFlow(*parsed);
      ASSERT_EQ(FormatFlow(*parsed), text);
    }
  }
}

TEST(FlowRoundTripTest, RandomMatchesPrintAndParseBackEqual) {
  FlowGenerator gen(7);
  for (int i = 0; i < kCases; ++i) {
    Match m = gen.RandomMatch();
    std::string text = FormatMatch(m);
    auto parsed = ParseMatch(text);
    ASSERT_TRUE(parsed.ok()) << "case " << i << ": " << parsed.status();
    ASSERT_EQ(*parsed, m) << "case " << i << ": " << text;
  }
}

TEST(FlowRoundTripTest, RandomFiltersParse) {
  FlowGenerator gen(99);
  for (int i = 0; i < kCases / 5; ++i) {
    FlowSpec f = gen.Next(FlowTextMode::kMatchOnly);
    std::string text = FormatFlow(f);
    text.resize(text.rfind(" actions="));  // a filter is a flow without actions
    auto parsed = ParseFlow(text, FlowTextMode::kMatchOnly);
    ASSERT_TRUE(parsed.ok()) << "case " << i << ": " << text << ": " << parsed.status();
    ASSERT_EQ(*parsed, f) << "case " << i << ": " << text;
  }
}

}  // namespace
}  // namespace podswitch::core
