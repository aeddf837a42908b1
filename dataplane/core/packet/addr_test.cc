#include "dataplane/core/packet/addr.h"

#include <gtest/gtest.h>

namespace podswitch::core {
namespace {

TEST(AddrTest, MacRoundTrip) {
  auto mac = MacFromString("0A:1b:2c:3D:4e:5F");
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(*mac, (MacAddr{0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f}));
  EXPECT_EQ(MacToString(*mac), "0a:1b:2c:3d:4e:5f");
}

TEST(AddrTest, MacRejectsMalformedText) {
  for (const char* bad : {"", "00:00:00:00:00", "00:00:00:00:00:000", "00-00-00-00-00-00",
                          "0g:00:00:00:00:00", "00:00:00:00:00:0", " 0:00:00:00:00:00"}) {
    EXPECT_FALSE(MacFromString(bad).has_value()) << bad;
  }
}

TEST(AddrTest, Ipv4IsHostOrder) {
  EXPECT_EQ(Ipv4FromString("10.0.0.1"), 0x0a000001u);
  EXPECT_EQ(Ipv4FromString("255.255.255.255"), 0xffffffffu);
  EXPECT_EQ(Ipv4ToString(0xc0a80a01u), "192.168.10.1");
  EXPECT_EQ(Ipv4ToString(0), "0.0.0.0");
}

TEST(AddrTest, Ipv4RejectsMalformedText) {
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "10.0.0.1.2", "a.b.c.d", "10.0.0.1 "}) {
    EXPECT_FALSE(Ipv4FromString(bad).has_value()) << bad;
  }
}

TEST(AddrTest, Ipv6RoundTripIsCanonical) {
  auto ip = Ipv6FromString("FE80:0:0:0:0:0:0:1");
  ASSERT_TRUE(ip.has_value());
  EXPECT_EQ((*ip)[0], 0xfe);
  EXPECT_EQ((*ip)[15], 1);
  EXPECT_EQ(Ipv6ToString(*ip), "fe80::1");
  EXPECT_EQ(Ipv6ToString(*Ipv6FromString("2001:db8::a:0:0:1")), "2001:db8::a:0:0:1");
  EXPECT_EQ(Ipv6ToString(Ipv6Addr{}), "::");
}

TEST(AddrTest, Ipv6RejectsMalformedText) {
  for (const char* bad : {"", "1::2::3", "fe80::g", "10.0.0.1", "1:2:3:4:5:6:7:8:9"}) {
    EXPECT_FALSE(Ipv6FromString(bad).has_value()) << bad;
  }
  EXPECT_FALSE(Ipv6FromString(std::string(100, '1')).has_value());
}

}  // namespace
}  // namespace podswitch::core
