#include "dataplane/core/tunnel/vxlan_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace podswitch::core {
namespace {

using ::testing::HasSubstr;

TEST(VxlanPortOptionsTest, FlowBasedRemoteAndKeyByDefault) {
  auto options = ParseVxlanPortOptions("tun0", {{"local_ip", "192.0.2.1"}, {"remote_ip", "flow"}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->local_ip, 0xc0000201u);
  EXPECT_FALSE(options->remote_ip.has_value());
  EXPECT_FALSE(options->key.has_value());
  EXPECT_EQ(options->dst_port, 4789);
  EXPECT_TRUE(options->dont_fragment);
}

TEST(VxlanPortOptionsTest, FixedRemoteKeyPortAndDf) {
  auto options = ParseVxlanPortOptions("tun1", {{"local_ip", "192.0.2.1"},
                                                {"remote_ip", "192.0.2.2"},
                                                {"key", "42"},
                                                {"dst_port", "8472"},
                                                {"df_default", "false"}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->remote_ip, 0xc0000202u);
  EXPECT_EQ(options->key, 42u);
  EXPECT_EQ(options->dst_port, 8472);
  EXPECT_FALSE(options->dont_fragment);
}

TEST(VxlanPortOptionsTest, BadValuesNameTheOption) {
  struct Case {
    std::map<std::string, std::string> options;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {{}, "options:local_ip is required"},
           {{{"local_ip", "1.2.3"}}, "options:local_ip=\"1.2.3\""},
           {{{"local_ip", "10.0.0.1"}, {"remote_ip", "x"}}, "options:remote_ip=\"x\""},
           {{{"local_ip", "10.0.0.1"}, {"key", "16777216"}}, "VNI from 0 to 16777215"},
           {{{"local_ip", "10.0.0.1"}, {"key", "-1"}}, "options:key"},
           {{{"local_ip", "10.0.0.1"}, {"dst_port", "0"}}, "UDP port"},
           {{{"local_ip", "10.0.0.1"}, {"df_default", "yes"}}, "true or false"},
           {{{"local_ip", "10.0.0.1"}, {"remote", "10.0.0.2"}}, "options:remote of vxlan port"},
       }) {
    auto options = ParseVxlanPortOptions("tun0", c.options);
    ASSERT_FALSE(options.ok()) << c.message;
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(options.status().message()), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace podswitch::core
