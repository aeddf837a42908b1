// Match syntax: every field parses, prints back canonically, and bad input is pointed at.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/core/flow/flow_syntax.h"

namespace podswitch::core {
namespace {

struct PrintCase {
  const char* text;
  const char* printed;  // FormatMatch(ParseMatch(text))
};

// One row per field and spelling: what it parses to, shown as the canonical print.
const PrintCase kPrintCases[] = {
    {"", ""},
    {"in_port=3", "in_port=3"},
    {"in_port=LOCAL", "in_port=LOCAL"},
    {"in_port=local", "in_port=LOCAL"},
    {"dl_src=00:11:22:33:44:55", "dl_src=00:11:22:33:44:55"},
    {"eth_src=00:11:22:AA:BB:CC", "dl_src=00:11:22:aa:bb:cc"},
    {"dl_dst=01:00:00:00:00:00/01:00:00:00:00:00", "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00"},
    {"eth_dst=ff:ff:ff:ff:ff:ff", "dl_dst=ff:ff:ff:ff:ff:ff"},
    {"dl_type=0x0800", "ip"},
    {"eth_type=0x88cc", "dl_type=0x88cc"},
    {"dl_type=2054", "arp"},
    {"vlan_tci=0", "vlan_tci=0x0000"},
    {"vlan_tci=0x1000/0x1000", "vlan_tci=0x1000/0x1000"},
    {"vlan_tci=0x100a/0x1fff", "dl_vlan=10"},
    {"dl_vlan=10", "dl_vlan=10"},
    {"dl_vlan=0", "dl_vlan=0"},
    {"dl_vlan=4095", "dl_vlan=4095"},
    {"dl_vlan_pcp=5", "dl_vlan_pcp=5"},
    {"dl_vlan=10,dl_vlan_pcp=5", "dl_vlan=10,dl_vlan_pcp=5"},
    {"dl_vlan_pcp=5 dl_vlan=10", "dl_vlan=10,dl_vlan_pcp=5"},
    {"ip,nw_src=10.0.0.1", "ip,nw_src=10.0.0.1"},
    {"ip,nw_src=10.0.0.0/24", "ip,nw_src=10.0.0.0/24"},
    {"ip,nw_src=10.0.0.7/24", "ip,nw_src=10.0.0.0/24"},
    {"ip,ip_dst=10.0.0.0/255.255.0.0", "ip,nw_dst=10.0.0.0/16"},
    {"ip,nw_dst=10.0.0.0/255.0.255.0", "ip,nw_dst=10.0.0.0/255.0.255.0"},
    {"ip,nw_dst=0.0.0.0/0", "ip"},
    {"ip,nw_proto=89", "ip,nw_proto=89"},
    {"ip,ip_proto=6", "tcp"},
    {"ipv6,nw_proto=6", "tcp6"},
    {"ip,nw_tos=184", "ip,nw_tos=184"},
    {"ip,ip_dscp=46", "ip,nw_tos=184"},
    {"ip,nw_ecn=3", "ip,nw_ecn=3"},
    {"ip,nw_tos=184,nw_ecn=1", "ip,nw_tos=184,nw_ecn=1"},
    {"ip,nw_ttl=64", "ip,nw_ttl=64"},
    {"ipv6,nw_ttl=1", "ipv6,nw_ttl=1"},
    {"ip,ip_frag=no", "ip,nw_frag=no"},
    {"ip,nw_frag=yes", "ip,nw_frag=yes"},
    {"ip,nw_frag=first", "ip,nw_frag=first"},
    {"ip,nw_frag=later", "ip,nw_frag=later"},
    {"ip,nw_frag=not_later", "ip,nw_frag=not_later"},
    {"tcp,tp_src=80", "tcp,tp_src=80"},
    {"tcp,tcp_dst=443", "tcp,tp_dst=443"},
    {"udp,udp_src=53,udp_dst=0x1000/0xf000", "udp,tp_src=53,tp_dst=0x1000/0xf000"},
    {"tcp6,tp_dst=22", "tcp6,tp_dst=22"},
    {"udp6,tp_src=546", "udp6,tp_src=546"},
    {"tcp,tcp_flags=+syn-ack", "tcp,tcp_flags=+syn-ack"},
    {"tcp,tcp_flags=-ack+syn", "tcp,tcp_flags=+syn-ack"},
    {"tcp,tcp_flags=+fin+rst+psh+urg+ece+cwr+ns", "tcp,tcp_flags=+fin+rst+psh+urg+ece+cwr+ns"},
    {"tcp,tcp_flags=0x012/0x012", "tcp,tcp_flags=+syn+ack"},
    {"tcp,tcp_flags=0x002", "tcp,tcp_flags=0x2"},
    {"icmp,icmp_type=8,icmp_code=0", "icmp,icmp_type=8,icmp_code=0"},
    {"icmp6,icmpv6_type=128", "icmp6,icmpv6_type=128"},
    {"icmp6,icmpv6_code=4", "icmp6,icmpv6_code=4"},
    {"arp,arp_op=1", "arp,arp_op=1"},
    {"arp,nw_proto=2", "arp,arp_op=2"},
    {"arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/8", "arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/8"},
    {"arp,nw_src=10.0.0.1", "arp,arp_spa=10.0.0.1"},
    {"arp,arp_sha=00:00:00:00:00:01,arp_tha=00:00:00:00:00:02",
     "arp,arp_sha=00:00:00:00:00:01,arp_tha=00:00:00:00:00:02"},
    {"ipv6,ipv6_src=fe80::1", "ipv6,ipv6_src=fe80::1"},
    {"ipv6,ipv6_dst=2001:db8::/32", "ipv6,ipv6_dst=2001:db8::/32"},
    {"ipv6,ipv6_dst=2001:db8::/ffff:ffff::", "ipv6,ipv6_dst=2001:db8::/32"},
    {"ipv6,ipv6_src=::/::ffff", "ipv6,ipv6_src=::/::ffff"},
    {"ipv6,ipv6_label=0x12345", "ipv6,ipv6_label=0x12345"},
    {"ipv6,ipv6_label=0x5/0xf", "ipv6,ipv6_label=0x5/0xf"},
    {"icmp6,icmpv6_type=135,nd_target=fe80::2", "icmp6,icmpv6_type=135,nd_target=fe80::2"},
    {"icmp6,icmpv6_type=135,nd_sll=00:00:00:00:00:01",
     "icmp6,icmpv6_type=135,nd_sll=00:00:00:00:00:01"},
    {"icmp6,icmpv6_type=136,nd_tll=00:00:00:00:00:02",
     "icmp6,icmpv6_type=136,nd_tll=00:00:00:00:00:02"},
    {"tun_id=0x64", "tun_id=0x64"},
    {"tunnel_id=100", "tun_id=0x64"},
    {"tun_id=0x5/0xff", "tun_id=0x5/0xff"},
    {"tun_src=192.168.1.1,tun_dst=192.168.0.0/16", "tun_src=192.168.1.1,tun_dst=192.168.0.0/16"},
    {"metadata=0x1234567890", "metadata=0x1234567890"},
    {"metadata=0xffffffffffffffff", "metadata=0xffffffffffffffff"},
    {"reg0=5", "reg0=0x5"},
    {"reg7=0x10/0xf0", "reg7=0x10/0xf0"},
    {"NXM_NX_REG3=1", "reg3=0x1"},
    {"conj_id=42", "conj_id=42"},
    {"ct_state=+trk+est-new", "ct_state=-new+est+trk"},
    {"ct_state=+inv+rel+rpl", "ct_state=+rel+rpl+inv"},
    {"ct_state=0x22/0x3f", "ct_state=-new+est-rel-rpl-inv+trk"},
    {"ct_zone=10", "ct_zone=10"},
    {"ct_mark=0x1/0x1", "ct_mark=0x1/0x1"},
    {"pkt_err=none", "pkt_err=none"},
    {"pkt_err=truncated", "pkt_err=truncated"},
    {"pkt_err=malformed", "pkt_err=malformed"},
    {"pkt_err=7", "pkt_err=7"},
    // Order of printing is fixed; separators may be commas, blanks or both.
    {"tp_dst=80 , nw_src=10.0.0.1  tcp,in_port=1", "tcp,in_port=1,nw_src=10.0.0.1,tp_dst=80"},
    {"TCP", "tcp"},
};

TEST(MatchSyntaxTest, ParsesEveryFieldAndPrintsItCanonically) {
  for (const PrintCase& c : kPrintCases) {
    auto m = ParseMatch(c.text);
    ASSERT_TRUE(m.ok()) << c.text << ": " << m.status();
    EXPECT_EQ(FormatMatch(*m), c.printed) << c.text;
    auto again = ParseMatch(FormatMatch(*m));
    ASSERT_TRUE(again.ok()) << c.text << ": " << again.status();
    EXPECT_EQ(*again, *m) << c.text;
  }
}

TEST(MatchSyntaxTest, SetsTheKeyBitsOvsWould) {
  auto m = ParseMatch("dl_vlan=10");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value.vlan_tci, kVlanPresent | 10);
  EXPECT_EQ(m->mask.vlan_tci, 0x1fff);

  m = ParseMatch("vlan_tci=0");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value.vlan_tci, 0);
  EXPECT_EQ(m->mask.vlan_tci, 0xffff);

  m = ParseMatch("ip,ip_dscp=46");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value.nw_tos, 46 << 2);
  EXPECT_EQ(m->mask.nw_tos, 0xfc);

  m = ParseMatch("icmp,icmp_type=3");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value.tp_src, 3);
  EXPECT_EQ(m->mask.tp_src, 0xff);

  m = ParseMatch("arp,arp_op=2");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value.nw_proto, 2);

  m = ParseMatch("ip,nw_src=10.1.2.3/16");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value.nw_src, 0x0a010000u);
  EXPECT_EQ(m->mask.nw_src, 0xffff0000u);

  m = ParseMatch("ipv6,ipv6_src=2001:db8::1/64");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value.ipv6_src[1], 0x01);
  EXPECT_EQ(m->value.ipv6_src[15], 0x00);
  EXPECT_EQ(m->mask.ipv6_src[7], 0xff);
  EXPECT_EQ(m->mask.ipv6_src[8], 0x00);

  m = ParseMatch("ct_state=+trk-new");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value.ct_state, kCtTracked);
  EXPECT_EQ(m->mask.ct_state, kCtTracked | kCtNew);

  m = ParseMatch("pkt_err=truncated");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value.pkt_err, static_cast<uint8_t>(PacketError::kTruncated));
}

TEST(MatchSyntaxTest, ResolvesPortNames) {
  PortNameResolver ports = [](std::string_view name) -> std::optional<uint32_t> {
    if (name == "pod1") return 7;
    return std::nullopt;
  };
  auto m = ParseMatch("in_port=pod1", ports);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->value.in_port, 7u);
  EXPECT_FALSE(ParseMatch("in_port=pod2", ports).ok());
  EXPECT_FALSE(ParseMatch("in_port=pod1").ok());
}

struct ErrorCase {
  const char* text;
  int column;
  const char* token;
  const char* message;  // a substring of the message
};

const ErrorCase kErrorCases[] = {
    {"ip,nw_src=10.0.0.300", 4, "nw_src=10.0.0.300", "invalid IPv4 address"},
    {"nw_src=10.0.0.1", 1, "nw_src=10.0.0.1",
     "nw_src requires ip or arp (dl_type=0x0800 or 0x0806)"},
    {"ipv6,nw_dst=10.0.0.1", 6, "nw_dst=10.0.0.1", "requires ip or arp"},
    {"ip,tp_dst=80", 4, "tp_dst=80", "tp_dst requires tcp or udp"},
    {"icmp,tp_dst=80", 6, "tp_dst=80", "requires tcp or udp"},
    {"udp,tcp_flags=+syn", 5, "tcp_flags=+syn", "tcp_flags requires tcp"},
    {"ip,icmp_type=8", 4, "icmp_type=8", "icmp_type requires icmp"},
    {"icmp,icmpv6_type=8", 6, "icmpv6_type=8", "requires icmp6"},
    {"ip,arp_op=1", 4, "arp_op=1", "arp_op requires arp"},
    {"ip,ipv6_src=::1", 4, "ipv6_src=::1", "requires ipv6"},
    {"icmp6,nd_target=::1", 7, "nd_target=::1", "neighbour discovery"},
    {"icmp6,icmpv6_type=136,nd_sll=00:00:00:00:00:01", 23, "nd_sll=00:00:00:00:00:01",
     "icmpv6_type=135"},
    {"nw_ttl=3", 1, "nw_ttl=3", "requires ip or ipv6"},
    {"dl_vlan=4096", 1, "dl_vlan=4096", "out of range"},
    {"dl_vlan_pcp=8", 1, "dl_vlan_pcp=8", "out of range"},
    {"dl_vlan=1/1", 1, "dl_vlan=1/1", "cannot be masked"},
    {"ip,nw_tos=3", 4, "nw_tos=3", "multiple of 4"},
    {"tcp,tp_dst=65536", 5, "tp_dst=65536", "out of range"},
    {"tcp,tp_dst=http", 5, "tp_dst=http", "invalid number"},
    {"ip,nw_src=10.0.0.0/33", 4, "nw_src=10.0.0.0/33", "invalid prefix length"},
    {"dl_src=00:11:22:33:44", 1, "dl_src=00:11:22:33:44", "invalid MAC address"},
    {"ipv6,ipv6_src=fe80::g", 6, "ipv6_src=fe80::g", "invalid IPv6 address"},
    {"foo=1", 1, "foo=1", "unknown field foo"},
    {"bogus", 1, "bogus", "unknown field or protocol"},
    {"reg0", 1, "reg0", "needs a value"},
    {"nw_src=", 1, "nw_src=", "missing value"},
    {"ip,ip", 4, "ip", "overlaps \"ip\" at column 1"},
    {"tcp,nw_proto=6", 5, "nw_proto=6", "overlaps \"tcp\""},
    {"ip,dl_type=0x0800", 4, "dl_type=0x0800", "overlaps"},
    {"reg0=1,reg0=1", 8, "reg0=1", "overlaps"},
    {"ip,nw_tos=4,ip_dscp=1", 13, "ip_dscp=1", "overlaps"},
    {"vlan_tci=0,dl_vlan=3", 12, "dl_vlan=3", "overlaps"},
    {"eth_src=00:00:00:00:00:01 dl_src=00:00:00:00:00:01", 27, "dl_src=00:00:00:00:00:01",
     "overlaps"},
    {"ct_state=+trk+bogus", 1, "ct_state=+trk+bogus", "unknown flag bogus"},
    {"ct_state=+trk+trk", 1, "ct_state=+trk+trk", "given twice"},
    {"tcp,tcp_flags=+", 5, "tcp_flags=+", "unknown flag"},
    {"ip,nw_frag=sometimes", 4, "nw_frag=sometimes", "invalid number"},
    {"pkt_err=bad", 1, "pkt_err=bad", "expected none, truncated, malformed"},
    {"in_port=NONE", 1, "in_port=NONE", "NONE"},
    {"in_port=4294967040000", 1, "in_port=4294967040000", "out of range"},
    {"metadata=0x10000000000000000", 1, "metadata=0x10000000000000000", "out of range"},
    {"reg0=99999999999999999999999999999999999999999999", 1,
     "reg0=99999999999999999999999999999999999999999999", "invalid number"},
};

TEST(MatchSyntaxTest, ErrorsNameTheTokenAndColumn) {
  for (const ErrorCase& c : kErrorCases) {
    auto m = ParseMatch(c.text);
    ASSERT_FALSE(m.ok()) << c.text;
    std::string msg(m.status().message());
    std::string where = "at column " + std::to_string(c.column) + ", \"" + c.token + "\": ";
    EXPECT_NE(msg.find(where), std::string::npos) << c.text << " -> " << msg;
    EXPECT_NE(msg.find(c.message), std::string::npos) << c.text << " -> " << msg;
    EXPECT_EQ(msg.rfind(std::string("match \"") + c.text + "\"", 0), 0u) << msg;
  }
}

TEST(MatchSyntaxTest, PrintsUnparseableMatchesInformatively) {
  // A match built in code may say things the syntax cannot; printing still shows it.
  Match m;
  m.mask.nw_tos = 0x0c;
  m.value.nw_tos = 0x04;
  m.mask.dl_type = 0xff00;
  m.value.dl_type = 0x0800;
  EXPECT_EQ(FormatMatch(m), "dl_type=0x800/0xff00,nw_tos=0x4/0xc");
}

}  // namespace
}  // namespace podswitch::core
