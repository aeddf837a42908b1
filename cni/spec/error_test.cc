#include "cni/spec/error.h"

#include "gtest/gtest.h"

namespace podswitch::cni {
namespace {

TEST(CniErrorTest, SpecErrorObjectHasCodeMessageAndDetails) {
  auto error = ErrorJson("1.0.0", {ErrorCode::kInvalidConfig, "bad config", "field x"});
  EXPECT_EQ(error,
            nlohmann::json::parse(
                R"({"cniVersion":"1.0.0","code":7,"msg":"bad config","details":"field x"})"));
}

TEST(CniErrorTest, DetailsAreOmittedWhenEmptyAndVersionDefaultsToLatest) {
  auto error = ErrorJson("", {ErrorCode::kTryAgainLater, "later", ""});
  EXPECT_EQ(error, nlohmann::json::parse(R"({"cniVersion":"1.1.0","code":11,"msg":"later"})"));
}

TEST(CniErrorTest, StatusCarriesTheCniCodeAndDetails) {
  const ErrorCode codes[] = {
      ErrorCode::kIncompatibleVersion,
      ErrorCode::kUnsupportedField,
      ErrorCode::kUnknownContainer,
      ErrorCode::kInvalidEnvironment,
      ErrorCode::kDecodeFailure,
      ErrorCode::kInvalidConfig,
      ErrorCode::kTryAgainLater,
      ErrorCode::kPluginNotAvailable,
      ErrorCode::kPluginNotAvailableLimitedConnectivity,
      ErrorCode::kIpamExhausted,
      ErrorCode::kInterfaceSetupFailed,
  };
  for (ErrorCode code : codes) {
    absl::Status status = CniStatus(code, "message", "details");
    EXPECT_FALSE(status.ok());
    CniError error = CniErrorFromStatus(status);
    EXPECT_EQ(error.code, code);
    EXPECT_EQ(error.msg, "message");
    EXPECT_EQ(error.details, "details");
  }
}

TEST(CniErrorTest, PlainStatusesMapByCanonicalCode) {
  EXPECT_EQ(CniErrorFromStatus(absl::UnavailableError("down")).code, ErrorCode::kTryAgainLater);
  CniError error = CniErrorFromStatus(absl::InternalError("boom"));
  EXPECT_EQ(error.code, ErrorCode::kInternal);
  EXPECT_EQ(error.msg, "boom");
}

TEST(CniErrorTest, CodesKeepTheirSpecNumbers) {
  EXPECT_EQ(static_cast<int>(ErrorCode::kIncompatibleVersion), 1);
  EXPECT_EQ(static_cast<int>(ErrorCode::kDecodeFailure), 6);
  EXPECT_EQ(static_cast<int>(ErrorCode::kTryAgainLater), 11);
  EXPECT_EQ(static_cast<int>(ErrorCode::kPluginNotAvailable), 50);
  EXPECT_EQ(static_cast<int>(ErrorCode::kPluginNotAvailableLimitedConnectivity), 51);
  EXPECT_EQ(static_cast<int>(ErrorCode::kIpamExhausted), 100);
  EXPECT_EQ(static_cast<int>(ErrorCode::kInterfaceSetupFailed), 101);
}

}  // namespace
}  // namespace podswitch::cni
