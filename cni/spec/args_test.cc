#include "cni/spec/args.h"

#include "cni/spec/error.h"
#include "gtest/gtest.h"

namespace podswitch::cni {
namespace {

// The code of a failed parse, or 0.
int CodeOf(const absl::StatusOr<CniArgs>& args) {
  return args.ok() ? 0 : static_cast<int>(CniErrorFromStatus(args.status()).code);
}

TEST(CniArgsTest, ContainerdArgsParseInAnyOrder) {
  const char* orders[] = {
      "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=a;K8S_POD_INFRA_CONTAINER_ID=c1;"
      "K8S_POD_UID=u1",
      "K8S_POD_UID=u1;K8S_POD_NAME=a;IgnoreUnknown=1;K8S_POD_INFRA_CONTAINER_ID=c1;"
      "K8S_POD_NAMESPACE=ns",
      "K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_NAMESPACE=ns;K8S_POD_UID=u1;K8S_POD_NAME=a;"
      "IgnoreUnknown=1;",
  };
  for (const char* text : orders) {
    absl::StatusOr<CniArgs> args = ParseCniArgs(text);
    ASSERT_TRUE(args.ok()) << text << ": " << args.status();
    EXPECT_TRUE(args->ignore_unknown);
    EXPECT_EQ(args->pod_namespace, "ns");
    EXPECT_EQ(args->pod_name, "a");
    EXPECT_EQ(args->pod_infra_container_id, "c1");
    EXPECT_EQ(args->pod_uid, "u1");
    EXPECT_TRUE(args->unknown.empty());
  }
}

TEST(CniArgsTest, UnknownKeysNeedIgnoreUnknownWhereverItAppears) {
  struct Case {
    const char* text;
    int code;
  };
  const Case cases[] = {
      {"FOO=bar", 4},
      {"FOO=bar;IgnoreUnknown=1", 0},
      {"IgnoreUnknown=1;FOO=bar", 0},
      {"IgnoreUnknown=true;FOO=bar", 0},
      {"IgnoreUnknown=0;FOO=bar", 4},
      {"K8S_POD_NAME=a;FOO=bar", 4},
  };
  for (const Case& c : cases) EXPECT_EQ(CodeOf(ParseCniArgs(c.text)), c.code) << c.text;
  EXPECT_EQ(ParseCniArgs("IgnoreUnknown=1;FOO=bar")->unknown.at("FOO"), "bar");
}

TEST(CniArgsTest, BadPairsAreInvalidEnvironment) {
  const char* bad[] = {"K8S_POD_NAME", "=a", "K8S_POD_NAME=a=b", "A=1;noequals;B=2",
                       "PODSWITCH_INTERFACE_TYPE=sriov"};
  for (const char* text : bad) {
    absl::StatusOr<CniArgs> args = ParseCniArgs(text);
    ASSERT_FALSE(args.ok()) << text;
    CniError error = CniErrorFromStatus(args.status());
    EXPECT_EQ(error.code, ErrorCode::kInvalidEnvironment) << text;
    EXPECT_NE(error.msg.find("CNI_ARGS"), std::string::npos) << error.msg;
  }
}

TEST(CniArgsTest, EmptyInputEmptySegmentsAndEmptyValuesAreFine) {
  EXPECT_EQ(CodeOf(ParseCniArgs("")), 0);
  EXPECT_EQ(CodeOf(ParseCniArgs(";;")), 0);
  absl::StatusOr<CniArgs> args = ParseCniArgs("K8S_POD_NAME=;K8S_POD_NAMESPACE=x;K8S_POD_NAME=b");
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->pod_name, "b");  // The last of a repeated key wins, as in libcni.
  EXPECT_EQ(args->pod_namespace, "x");
}

TEST(CniArgsTest, PodCanAskForItsInterfaceType) {
  absl::StatusOr<CniArgs> args = ParseCniArgs("PODSWITCH_INTERFACE_TYPE=vhostuser");
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->interface_type, InterfaceType::kVhostUser);
  EXPECT_FALSE(ParseCniArgs("")->interface_type.has_value());
}

}  // namespace
}  // namespace podswitch::cni
