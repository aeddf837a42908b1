// The names and addresses pod wiring derives, which must never change between versions: DEL
// from a newer agent has to find the veth an older one created.
#include "agent/netlink/pod_wiring.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::agent::netlink {
namespace {

TEST(HostVethNameTest, IsShortStableAndPerInterface) {
  std::string name = HostVethName("4a5b6c7d8e9f");
  EXPECT_EQ(name.size(), 15u);
  EXPECT_THAT(name, ::testing::MatchesRegex("psw[0-9a-f]{12}"));
  EXPECT_EQ(name, HostVethName("4a5b6c7d8e9f", "eth0"));
  // Pinned: a changed hash would orphan every veth of a running node on upgrade.
  EXPECT_EQ(HostVethName(""), "pswcbf29ce48422");
  EXPECT_NE(HostVethName("4a5b6c7d8e9f"), HostVethName("4a5b6c7d8e9e"));
  EXPECT_NE(HostVethName("4a5b6c7d8e9f"), HostVethName("4a5b6c7d8e9f", "net1"));
  std::string long_id(64, 'f');
  EXPECT_EQ(HostVethName(long_id).size(), 15u);
}

TEST(PodMacAddressTest, EmbedsTheAddress) {
  ipam::Ipv4Address ip = *ipam::Ipv4Address::Parse("10.244.1.2");
  EXPECT_EQ(PodMacAddress(ip), "0a:58:0a:f4:01:02");
  std::array<uint8_t, 6> bytes = PodMacBytes(ip);
  EXPECT_EQ(bytes[0] & 0x01, 0);  // unicast
  EXPECT_EQ(bytes[0] & 0x02, 2);  // locally administered
  EXPECT_EQ(PodMacAddress(*ipam::Ipv4Address::Parse("255.255.255.255")), "0a:58:ff:ff:ff:ff");
}

}  // namespace
}  // namespace podswitch::agent::netlink
