#include "cni/spec/error.h"

#include <charconv>

#include "absl/strings/cord.h"
#include "cni/spec/version.h"

namespace podswitch::cni {
namespace {

constexpr char kCodePayload[] = "type.podswitch.io/cni.error.code";
constexpr char kDetailsPayload[] = "type.podswitch.io/cni.error.details";

// Picks the canonical absl code closest to a CNI code, for logs and generic handlers.
absl::StatusCode CanonicalCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnknownContainer:
      return absl::StatusCode::kNotFound;
    case ErrorCode::kTryAgainLater:
    case ErrorCode::kPluginNotAvailable:
    case ErrorCode::kPluginNotAvailableLimitedConnectivity:
      return absl::StatusCode::kUnavailable;
    case ErrorCode::kIpamExhausted:
      return absl::StatusCode::kResourceExhausted;
    case ErrorCode::kIncompatibleVersion:
    case ErrorCode::kUnsupportedField:
    case ErrorCode::kInvalidEnvironment:
    case ErrorCode::kDecodeFailure:
    case ErrorCode::kInvalidConfig:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

absl::Status CniStatus(ErrorCode code, std::string_view msg, std::string_view details) {
  absl::Status status(CanonicalCode(code), std::string(msg));
  status.SetPayload(kCodePayload, absl::Cord(std::to_string(static_cast<uint32_t>(code))));
  if (!details.empty()) status.SetPayload(kDetailsPayload, absl::Cord(std::string(details)));
  return status;
}

CniError CniErrorFromStatus(const absl::Status& status) {
  CniError error;
  error.msg = std::string(status.message());
  if (auto code = status.GetPayload(kCodePayload); code.has_value()) {
    std::string text(*code);
    uint32_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    error.code = static_cast<ErrorCode>(value);
  } else if (status.code() == absl::StatusCode::kUnavailable) {
    error.code = ErrorCode::kTryAgainLater;
  }
  if (auto details = status.GetPayload(kDetailsPayload); details.has_value()) {
    error.details = std::string(*details);
  }
  return error;
}

nlohmann::json ErrorJson(std::string_view cni_version, const CniError& error) {
  nlohmann::json json = {{"cniVersion", cni_version.empty() ? kLatestVersion : cni_version},
                         {"code", static_cast<uint32_t>(error.code)},
                         {"msg", error.msg}};
  if (!error.details.empty()) json["details"] = error.details;
  return json;
}

}  // namespace podswitch::cni
