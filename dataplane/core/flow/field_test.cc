#include "dataplane/core/flow/field.h"

#include <gtest/gtest.h>

#include <string>

#include "dataplane/core/flow/field_internal.h"

namespace podswitch::core {
namespace {

TEST(FieldTest, EveryFieldHasARowAndFitsItsMember) {
  for (size_t i = 0; i < static_cast<size_t>(FieldId::kCount); ++i) {
    const FieldInfo& f = GetField(static_cast<FieldId>(i));
    EXPECT_EQ(static_cast<size_t>(f.id), i);
    EXPECT_FALSE(f.name.empty());
    EXPECT_LE(f.offset + f.bytes, sizeof(FlowKey)) << f.name;
    EXPECT_LE(f.bit_shift + f.n_bits, f.bytes * 8) << f.name;
    EXPECT_EQ(FindField(f.name), &f) << f.name;
  }
}

TEST(FieldTest, FindsAliases) {
  struct Case {
    const char* name;
    FieldId id;
  } cases[] = {
      {"eth_src", FieldId::kDlSrc},       {"eth_dst", FieldId::kDlDst},
      {"eth_type", FieldId::kDlType},     {"ip_src", FieldId::kNwSrc},
      {"ip_dst", FieldId::kNwDst},        {"ip_proto", FieldId::kNwProto},
      {"ip_frag", FieldId::kNwFrag},      {"tcp_src", FieldId::kTpSrc},
      {"udp_dst", FieldId::kTpDst},       {"tunnel_id", FieldId::kTunId},
      {"NXM_NX_REG0", FieldId::kReg0},    {"NXM_NX_REG7", FieldId::kReg7},
      {"nxm_nx_reg3", FieldId::kReg3},    {"NXM_OF_ETH_SRC", FieldId::kDlSrc},
      {"arp_op", FieldId::kArpOp},        {"OXM_OF_METADATA", FieldId::kMetadata},
      {"NXM_NX_TUN_ID", FieldId::kTunId}, {"pkt_err", FieldId::kPktErr},
  };
  for (const Case& c : cases) {
    const FieldInfo* f = FindField(c.name);
    ASSERT_NE(f, nullptr) << c.name;
    EXPECT_EQ(f->id, c.id) << c.name;
  }
  EXPECT_EQ(FindField("no_such_field"), nullptr);
  EXPECT_EQ(FindField(""), nullptr);
}

TEST(FieldTest, AliasesNameExistingFields) {
  for (const auto& alias : flow_internal::FieldAliases()) {
    EXPECT_EQ(FindField(alias.name), &GetField(alias.id)) << alias.name;
  }
}

TEST(FieldTest, ReadsAndWritesIntegerFields) {
  FlowKey key{};
  WriteFieldBits(key, FieldId::kReg3, 0, 32, 0xdeadbeef);
  EXPECT_EQ(key.regs[3], 0xdeadbeefu);
  WriteFieldBits(key, FieldId::kReg3, 4, 8, 0x12);
  EXPECT_EQ(key.regs[3], 0xdeadb12fu);
  EXPECT_EQ(ReadFieldBits(key, FieldId::kReg3, 4, 8), 0x12u);
  EXPECT_EQ(ReadFieldBits(key, FieldId::kReg3, 28, 4), 0xdu);

  WriteFieldBits(key, FieldId::kMetadata, 0, 64, 0x0123456789abcdefull);
  EXPECT_EQ(key.metadata, 0x0123456789abcdefull);
  EXPECT_EQ(ReadFieldBits(key, FieldId::kMetadata, 32, 32), 0x01234567u);
}

TEST(FieldTest, SubfieldsShareTheirMember) {
  FlowKey key{};
  key.vlan_tci = kVlanPresent | (5 << 13) | 100;
  EXPECT_EQ(ReadFieldBits(key, FieldId::kDlVlan, 0, 12), 100u);
  EXPECT_EQ(ReadFieldBits(key, FieldId::kDlVlanPcp, 0, 3), 5u);
  WriteFieldBits(key, FieldId::kDlVlan, 0, 12, 7);
  EXPECT_EQ(key.vlan_tci, kVlanPresent | (5 << 13) | 7);

  key.nw_tos = 0;
  WriteFieldBits(key, FieldId::kIpDscp, 0, 6, 46);
  WriteFieldBits(key, FieldId::kNwEcn, 0, 2, 1);
  EXPECT_EQ(key.nw_tos, (46 << 2) | 1);
  EXPECT_EQ(ReadFieldBits(key, FieldId::kIpDscp, 0, 6), 46u);
}

TEST(FieldTest, MacsAndIpv6AreBigEndianNumbers) {
  FlowKey key{};
  key.dl_src = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
  EXPECT_EQ(ReadFieldBits(key, FieldId::kDlSrc, 0, 48), 0x001122334455u);
  EXPECT_EQ(ReadFieldBits(key, FieldId::kDlSrc, 0, 8), 0x55u);
  WriteFieldBits(key, FieldId::kDlSrc, 40, 8, 0xaa);
  EXPECT_EQ(key.dl_src[0], 0xaa);

  key.ipv6_dst[15] = 0x01;
  key.ipv6_dst[0] = 0xfe;
  EXPECT_EQ(ReadFieldBits(key, FieldId::kIpv6Dst, 0, 64), 1u);
  EXPECT_EQ(ReadFieldBits(key, FieldId::kIpv6Dst, 120, 8), 0xfeu);
  WriteFieldBits(key, FieldId::kIpv6Dst, 64, 64, 0x2001'0db8'0000'0000ull);
  EXPECT_EQ(key.ipv6_dst[0], 0x20);
  EXPECT_EQ(key.ipv6_dst[3], 0xb8);
  EXPECT_EQ(key.ipv6_dst[15], 0x01);
}

TEST(FieldTest, OutOfRangeBitsAreIgnored) {
  FlowKey key{};
  FlowKey before = key;
  WriteFieldBits(key, FieldId::kReg0, 30, 4, 0xf);
  WriteFieldBits(key, FieldId::kReg0, 0, 0, 0xf);
  EXPECT_EQ(key, before);
  EXPECT_EQ(ReadFieldBits(key, FieldId::kNwTtl, 0, 9), 0u);
}

TEST(FieldTest, NwTosMatchesOnlyDscpBits) {
  EXPECT_EQ(static_cast<unsigned>(flow_internal::FieldFullMask(FieldId::kNwTos)), 0xfcu);
  EXPECT_EQ(static_cast<unsigned>(flow_internal::FieldFullMask(FieldId::kNwEcn)), 0x3u);
}

Match WithType(uint16_t dl_type, int proto = -1) {
  Match m;
  m.value.dl_type = dl_type;
  m.mask.dl_type = 0xffff;
  if (proto >= 0) {
    m.value.nw_proto = static_cast<uint8_t>(proto);
    m.mask.nw_proto = 0xff;
  }
  return m;
}

TEST(FieldTest, Prerequisites) {
  EXPECT_TRUE(CheckFieldPrereq(FieldId::kReg0, Match{}).ok());
  EXPECT_TRUE(CheckFieldPrereq(FieldId::kNwSrc, WithType(0x0800)).ok());
  EXPECT_TRUE(CheckFieldPrereq(FieldId::kNwSrc, WithType(0x0806)).ok());
  absl::Status s = CheckFieldPrereq(FieldId::kNwSrc, Match{});
  EXPECT_EQ(s.message(), "nw_src requires ip or arp (dl_type=0x0800 or 0x0806)");
  EXPECT_FALSE(CheckFieldPrereq(FieldId::kNwSrc, WithType(0x86dd)).ok());
  EXPECT_TRUE(CheckFieldPrereq(FieldId::kTpDst, WithType(0x0800, 6)).ok());
  EXPECT_TRUE(CheckFieldPrereq(FieldId::kTpDst, WithType(0x86dd, 17)).ok());
  EXPECT_FALSE(CheckFieldPrereq(FieldId::kTpDst, WithType(0x0800, 1)).ok());
  EXPECT_FALSE(CheckFieldPrereq(FieldId::kTcpFlags, WithType(0x0800, 17)).ok());
  EXPECT_TRUE(CheckFieldPrereq(FieldId::kIcmpType, WithType(0x0800, 1)).ok());
  EXPECT_FALSE(CheckFieldPrereq(FieldId::kIcmpType, WithType(0x86dd, 58)).ok());
  EXPECT_TRUE(CheckFieldPrereq(FieldId::kIcmpv6Type, WithType(0x86dd, 58)).ok());
  EXPECT_TRUE(CheckFieldPrereq(FieldId::kArpSha, WithType(0x0806)).ok());
  EXPECT_TRUE(CheckFieldPrereq(FieldId::kIpv6Label, WithType(0x86dd)).ok());

  Match nd = WithType(0x86dd, 58);
  EXPECT_FALSE(CheckFieldPrereq(FieldId::kNdTarget, nd).ok());
  nd.value.tp_src = 135;
  nd.mask.tp_src = 0xff;
  EXPECT_TRUE(CheckFieldPrereq(FieldId::kNdTarget, nd).ok());
  EXPECT_TRUE(CheckFieldPrereq(FieldId::kNdSll, nd).ok());
  EXPECT_FALSE(CheckFieldPrereq(FieldId::kNdTll, nd).ok());
}

TEST(FieldTest, PartialDlTypeMaskIsNotAPrerequisite) {
  Match m = WithType(0x0800);
  m.mask.dl_type = 0xff00;
  EXPECT_FALSE(CheckFieldPrereq(FieldId::kNwSrc, m).ok());
}

}  // namespace
}  // namespace podswitch::core
