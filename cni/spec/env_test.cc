#include "cni/spec/env.h"

#include "cni/spec/error.h"
#include "gtest/gtest.h"

namespace podswitch::cni {
namespace {

constexpr char kId[] = "0123456789abcdef";
constexpr char kNetns[] = "/var/run/netns/pod-a";
constexpr char kArgs[] = "IgnoreUnknown=1;K8S_POD_NAMESPACE=x;K8S_POD_NAME=a";

struct EnvCase {
  const char* name;
  RawCniEnv env;
  int code;               // 0 when valid
  const char* mentioned;  // a variable the error message must name
};

TEST(CniEnvTest, RequiredVariablesPerCommand) {
  const EnvCase cases[] = {
      {"add ok", {"ADD", kId, kNetns, "eth0", kArgs, "/opt/cni/bin"}, 0, ""},
      {"add without path", {"ADD", kId, kNetns, "eth0", "", ""}, 0, ""},
      {"add no container", {"ADD", "", kNetns, "eth0", "", ""}, 4, "CNI_CONTAINERID"},
      {"add no netns", {"ADD", kId, "", "eth0", "", ""}, 4, "CNI_NETNS"},
      {"add no ifname", {"ADD", kId, kNetns, "", "", ""}, 4, "CNI_IFNAME"},
      {"check no netns", {"CHECK", kId, "", "eth0", "", ""}, 4, "CNI_NETNS"},
      {"check ok", {"CHECK", kId, kNetns, "eth0", "", ""}, 0, ""},
      {"del with netns", {"DEL", kId, kNetns, "eth0", kArgs, ""}, 0, ""},
      {"del empty netns", {"DEL", kId, "", "eth0", kArgs, ""}, 0, ""},
      {"del no container", {"DEL", "", "", "eth0", "", ""}, 4, "CNI_CONTAINERID"},
      {"del no ifname", {"DEL", kId, "", "", "", ""}, 4, "CNI_IFNAME"},
      {"version bare", {"VERSION", "", "", "", "", ""}, 0, ""},
      {"version podman dummies", {"VERSION", "", "dummy", "dummy", "", "dummy"}, 0, ""},
      {"version junk args", {"VERSION", "!!", "", "a/b", "garbage", ""}, 0, ""},
      {"gc", {"GC", "", "", "", "", "/opt/cni/bin"}, 0, ""},
      {"status", {"STATUS", "", "", "", "", ""}, 0, ""},
      {"no command", {"", kId, kNetns, "eth0", "", ""}, 4, "CNI_COMMAND"},
      {"unknown command", {"UPDATE", kId, kNetns, "eth0", "", ""}, 4, "CNI_COMMAND"},
      {"lowercase command", {"add", kId, kNetns, "eth0", "", ""}, 4, "CNI_COMMAND"},
      {"bad container id", {"ADD", "-abc", kNetns, "eth0", "", ""}, 4, "CNI_CONTAINERID"},
      {"container id slash", {"DEL", "a/b", "", "eth0", "", ""}, 4, "CNI_CONTAINERID"},
      {"ifname too long", {"ADD", kId, kNetns, "eth0123456789012", "", ""}, 4, "CNI_IFNAME"},
      {"ifname slash", {"ADD", kId, kNetns, "a/b", "", ""}, 4, "CNI_IFNAME"},
      {"ifname dot", {"DEL", kId, "", ".", "", ""}, 4, "CNI_IFNAME"},
      {"bad args", {"ADD", kId, kNetns, "eth0", "FOO=1", ""}, 4, "CNI_ARGS"},
  };
  for (const EnvCase& c : cases) {
    absl::StatusOr<CniEnv> env = ParseCniEnv(c.env);
    if (c.code == 0) {
      EXPECT_TRUE(env.ok()) << c.name << ": " << env.status();
      continue;
    }
    ASSERT_FALSE(env.ok()) << c.name;
    CniError error = CniErrorFromStatus(env.status());
    EXPECT_EQ(static_cast<int>(error.code), c.code) << c.name;
    EXPECT_NE(error.msg.find(c.mentioned), std::string::npos) << c.name << ": " << error.msg;
  }
}

TEST(CniEnvTest, KeepsTheValuesAndParsedArgs) {
  absl::StatusOr<CniEnv> env = ParseCniEnv({"ADD", kId, kNetns, "eth0", kArgs, "/opt/cni/bin"});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->command, Command::kAdd);
  EXPECT_EQ(env->container_id, kId);
  EXPECT_EQ(env->netns, kNetns);
  EXPECT_EQ(env->ifname, "eth0");
  EXPECT_EQ(env->path, "/opt/cni/bin");
  EXPECT_EQ(env->raw_args, kArgs);
  EXPECT_EQ(env->args.pod_name, "a");
}

TEST(CniEnvTest, CommandNamesRoundTrip) {
  for (Command c : {Command::kAdd, Command::kDel, Command::kCheck, Command::kVersion, Command::kGc,
                    Command::kStatus}) {
    EXPECT_EQ(ParseCommand(CommandName(c)), c);
  }
  EXPECT_FALSE(ParseCommand("Add").has_value());
}

}  // namespace
}  // namespace podswitch::cni
