#include "cni/spec/invocation.h"

#include "cni/spec/error.h"
#include "gtest/gtest.h"

namespace podswitch::cni {
namespace {

constexpr char kId[] = "0123456789abcdef";
constexpr char kNetns[] = "/var/run/netns/pod-a";
constexpr char kPrev[] = R"("prevResult": {"ips": [{"address": "10.1.0.5/24"}]})";

// A config with the given version and extra fields appended (start them with a comma).
std::string Config(const char* version, const std::string& extra = "") {
  return std::string(R"({"cniVersion": ")") + version + R"(", "name": "n", "type": "podswitch")" +
         extra + "}";
}

// The CNI code of a failed ParseInvocation, or 0.
int CodeOf(const RawCniEnv& env, const std::string& config) {
  absl::StatusOr<CniInvocation> invocation = ParseInvocation(env, config);
  return invocation.ok() ? 0 : static_cast<int>(CniErrorFromStatus(invocation.status()).code);
}

TEST(CniInvocationTest, CommandsAgainstVersionsAndRequiredFields) {
  const RawCniEnv add{"ADD", kId, kNetns, "eth0", "", ""};
  const RawCniEnv check{"CHECK", kId, kNetns, "eth0", "", ""};
  const RawCniEnv del{"DEL", kId, "", "eth0", "", ""};
  const RawCniEnv gc{"GC", "", "", "", "", ""};
  const RawCniEnv status{"STATUS", "", "", "", "", ""};
  const std::string prev = std::string(", ") + kPrev;
  const std::string gc_list = R"(, "cni.dev/valid-attachments": [])";
  struct Case {
    const char* name;
    RawCniEnv env;
    std::string config;
    int code;
  };
  const Case cases[] = {
      {"add 0.3.1", add, Config("0.3.1"), 0},
      {"add 1.1.0", add, Config("1.1.0"), 0},
      {"check 0.4.0", check, Config("0.4.0", prev), 0},
      {"check 0.3.1", check, Config("0.3.1", prev), 1},
      {"check without prevResult", check, Config("1.0.0"), 7},
      {"del 0.3.1 no netns", del, Config("0.3.1"), 0},
      {"gc 1.1.0", gc, Config("1.1.0", gc_list), 0},
      {"gc 1.0.0", gc, Config("1.0.0", gc_list), 1},
      {"gc without list", gc, Config("1.1.0"), 7},
      {"status 1.1.0", status, Config("1.1.0"), 0},
      {"status 1.0.0", status, Config("1.0.0"), 1},
      {"version is not forwarded", {"VERSION", "", "", "", "", ""}, Config("1.1.0"), 4},
      {"env checked before config", {"ADD", "", "", "", "", ""}, "{bad", 4},
      {"bad config", add, "{bad", 6},
      {"vhostuser add 0.4.0", add, Config("0.4.0", R"(, "interfaceType": "vhostuser")"), 2},
      {"vhostuser del 0.4.0", del, Config("0.4.0", R"(, "interfaceType": "vhostuser")"), 0},
      {"vhostuser add 1.0.0", add, Config("1.0.0", R"(, "interfaceType": "vhostuser")"), 0},
  };
  for (const Case& c : cases) EXPECT_EQ(CodeOf(c.env, c.config), c.code) << c.name;
}

TEST(CniInvocationTest, InterfaceTypePrecedence) {
  struct Case {
    const char* args;
    const char* extra;
    InterfaceType expected;
  };
  const Case cases[] = {
      {"", "", InterfaceType::kVeth},
      {"", R"(, "interfaceType": "tap")", InterfaceType::kTap},
      {"", R"(, "interfaceType": "tap", "runtimeConfig": {"interfaceType": "vhostuser"})",
       InterfaceType::kVhostUser},
      {"PODSWITCH_INTERFACE_TYPE=veth",
       R"(, "interfaceType": "tap", "runtimeConfig": {"interfaceType": "vhostuser"})",
       InterfaceType::kVeth},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CniInvocation> invocation =
        ParseInvocation({"ADD", kId, kNetns, "eth0", c.args, ""}, Config("1.1.0", c.extra));
    ASSERT_TRUE(invocation.ok()) << invocation.status();
    EXPECT_EQ(invocation->interface_type, c.expected) << c.args << c.extra;
  }
}

TEST(CniInvocationTest, DeadlineDefaultsAndOverride) {
  auto deadline = [](const char* command, const std::string& config) {
    return AgentDeadline(*ParseInvocation({command, kId, kNetns, "eth0", "", ""}, config));
  };
  EXPECT_EQ(deadline("ADD", Config("1.1.0")), absl::Seconds(60));
  EXPECT_EQ(deadline("STATUS", Config("1.1.0")), absl::Seconds(10));
  EXPECT_EQ(deadline("ADD", Config("1.1.0", R"(, "timeoutSeconds": 3)")), absl::Seconds(3));
}

}  // namespace
}  // namespace podswitch::cni
