#include "cni/spec/version.h"

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
  EXPECT_TRUE(IsSupportedVersion("0.3.1"));
  EXPECT_TRUE(IsSupportedVersion("0.4.0"));
  EXPECT_TRUE(IsSupportedVersion("1.1.0"));
  EXPECT_FALSE(IsSupportedVersion("0.2.0"));
  EXPECT_FALSE(IsSupportedVersion("1.1"));
}

TEST(CniVersionTest, ComparesVersionsNumerically) {
  struct Case {
    const char* version;
    const char* minimum;
    bool at_least;
  };
  const Case cases[] = {
      {"1.1.0", "1.1.0", true},      {"1.0.0", "1.1.0", false}, {"0.4.0", "0.4.0", true},
      {"0.3.1", "0.4.0", false},     {"0.10.0", "0.4.0", true}, {"1.0.0", "0.4.0", true},
      {"1.1", "1.0.0", false},       {"", "0.3.0", false},      {"x.y.z", "0.3.0", false},
      {"1.0.0-rc1", "1.0.0", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(VersionAtLeast(c.version, c.minimum), c.at_least) << c.version << " vs " << c.minimum;
  }
}

}  // namespace
}  // namespace podswitch::cni
