#include "cni/cni_version.h"

#include "cni/cni_error.h"
#include "gtest/gtest.h"

namespace podswitch::cni {
namespace {

TEST(CniVersionTest, EchoesASupportedRequestedVersion) {
  auto result = VersionResult("1.0.0");
  EXPECT_EQ(result["cniVersion"], "1.0.0");
  EXPECT_EQ(result["supportedVersions"].size(), std::size(kSupportedVersions));
}

TEST(CniVersionTest, AnswersWithLatestForUnknownOrMissingVersion) {
  EXPECT_EQ(VersionResult("")["cniVersion"], "1.1.0");
  EXPECT_EQ(VersionResult("9.9.9")["cniVersion"], "1.1.0");
}

TEST(CniVersionTest, KnowsWhichVersionsAreSupported) {
  EXPECT_TRUE(IsSupportedVersion("0.4.0"));
  EXPECT_TRUE(IsSupportedVersion("1.1.0"));
  EXPECT_FALSE(IsSupportedVersion("0.2.0"));
  EXPECT_FALSE(IsSupportedVersion("1.1"));
}

TEST(CniErrorTest, SpecErrorObjectHasCodeAndMessage) {
  auto error = ErrorJson("1.0.0", ErrorCode::kInvalidConfig, "bad config", "field x");
  EXPECT_EQ(error["cniVersion"], "1.0.0");
  EXPECT_EQ(error["code"], 7);
  EXPECT_EQ(error["msg"], "bad config");
  EXPECT_EQ(error["details"], "field x");
}

}  // namespace
}  // namespace podswitch::cni
