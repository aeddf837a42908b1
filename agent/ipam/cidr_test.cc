#include "agent/ipam/cidr.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::agent::ipam {
namespace {

using ::testing::HasSubstr;

TEST(Ipv4AddressTest, ParsesAndPrints) {
  absl::StatusOr<Ipv4Address> ip = Ipv4Address::Parse("10.244.1.7");
  ASSERT_TRUE(ip.ok()) << ip.status();
  EXPECT_EQ(ip->value(), 0x0af40107u);
  EXPECT_EQ(ip->ToString(), "10.244.1.7");
  EXPECT_EQ(Ipv4Address(0xffffffffu).ToString(), "255.255.255.255");
}

TEST(Ipv4AddressTest, RejectsMalformedText) {
  for (const char* text : {"", "10.244.1", "10.244.1.256", "10.244.1.-1", "10.244.01.1",
                           "10.244.1.1.1", "a.b.c.d", "10.244.1.1 "}) {
    absl::StatusOr<Ipv4Address> ip = Ipv4Address::Parse(text);
    EXPECT_EQ(ip.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(ip.status().message(), HasSubstr(text));
  }
}

TEST(CidrTest, ParsesAPodCidr) {
  absl::StatusOr<Cidr> cidr = Cidr::Parse("10.244.1.0/24");
  ASSERT_TRUE(cidr.ok()) << cidr.status();
  EXPECT_EQ(cidr->network().ToString(), "10.244.1.0");
  EXPECT_EQ(cidr->prefix_len(), 24);
  EXPECT_EQ(cidr->broadcast().ToString(), "10.244.1.255");
  EXPECT_EQ(cidr->Gateway().ToString(), "10.244.1.1");
  EXPECT_EQ(cidr->size(), 256u);
  EXPECT_EQ(cidr->ToString(), "10.244.1.0/24");
}

TEST(CidrTest, ContainsAddressesAndSubnets) {
  Cidr cidr = *Cidr::Parse("10.244.0.0/16");
  EXPECT_TRUE(cidr.Contains(*Ipv4Address::Parse("10.244.0.0")));
  EXPECT_TRUE(cidr.Contains(*Ipv4Address::Parse("10.244.255.255")));
  EXPECT_FALSE(cidr.Contains(*Ipv4Address::Parse("10.245.0.0")));
  EXPECT_TRUE(cidr.Contains(*Cidr::Parse("10.244.1.0/24")));
  EXPECT_FALSE(cidr.Contains(*Cidr::Parse("10.0.0.0/8")));
  EXPECT_TRUE(Cidr::Parse("0.0.0.0/0")->Contains(*Ipv4Address::Parse("192.0.2.1")));
}

TEST(CidrTest, NthHostStaysInsideTheUsableRange) {
  Cidr cidr = *Cidr::Parse("10.244.1.0/24");
  EXPECT_EQ(cidr.NthHost(1)->ToString(), "10.244.1.1");
  EXPECT_EQ(cidr.NthHost(254)->ToString(), "10.244.1.254");
  EXPECT_EQ(cidr.NthHost(0).status().code(), absl::StatusCode::kOutOfRange);
  absl::StatusOr<Ipv4Address> broadcast = cidr.NthHost(255);
  EXPECT_EQ(broadcast.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(broadcast.status().message(), HasSubstr("10.244.1.0/24"));
  EXPECT_THAT(broadcast.status().message(), HasSubstr("1 to 254"));
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/31")->NthHost(1).ok());
}

TEST(CidrTest, ParseErrorsSayWhatIsWrong) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"10.244.1.0", "missing \"/prefix\""},
           Case{"10.244.1.0/", "prefix \"\" is not a number"},
           Case{"10.244.1.0/33", "prefix \"33\" is not a number from 0 to 32"},
           Case{"10.244.1.0/-1", "prefix \"-1\""},
           Case{"10.244.1.0/2x", "prefix \"2x\""},
           Case{"10.244.1/24", "expected 4 dotted numbers"},
           Case{"10.244.1.300/24", "\"300\" is not a number from 0 to 255"},
           Case{"10.244.1.5/24", "host bits are set (did you mean 10.244.1.0/24?)"},
       }) {
    absl::StatusOr<Cidr> cidr = Cidr::Parse(c.text);
    EXPECT_EQ(cidr.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(cidr.status().message(), HasSubstr(c.message)) << c.text;
    EXPECT_THAT(cidr.status().message(), HasSubstr(c.text));
  }
}

TEST(CidrTest, FromAddressClearsHostBits) {
  absl::StatusOr<Cidr> cidr = Cidr::FromAddress(*Ipv4Address::Parse("10.251.3.9"), 24);
  ASSERT_TRUE(cidr.ok());
  EXPECT_EQ(*cidr, *Cidr::Parse("10.251.3.0/24"));
  EXPECT_FALSE(Cidr::FromAddress(Ipv4Address(), 33).ok());
}

}  // namespace
}  // namespace podswitch::agent::ipam
