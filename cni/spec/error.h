// CNI spec error codes, and the error object a plugin prints on stdout when it fails.
//
// Parsing and validation functions return absl::Status; a failed status made by CniStatus()
// carries the CNI error code and details as payloads, so the code survives being passed up
// through ordinary absl::Status plumbing and can be turned back into the spec's JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace podswitch::cni {

// Error codes of the CNI spec (1.1.0, "Error"), plus Podswitch's own (100 and up).
enum class ErrorCode : uint32_t {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodeFailure = 6,
  kInvalidConfig = 7,
  kTryAgainLater = 11,
  kPluginNotAvailable = 50,
  kPluginNotAvailableLimitedConnectivity = 51,
  kIpamExhausted = 100,
  kInterfaceSetupFailed = 101,
  kFlowSetupFailed = 102,
  kCheckFailed = 103,
  kInternal = 999,
};

// One CNI error as the spec defines it: a code, a short message and optional details.
struct CniError {
  ErrorCode code = ErrorCode::kInternal;
  std::string msg;
  std::string details;
};

// Builds a failed status that carries a CNI error code, so callers keep using absl::Status.
absl::Status CniStatus(ErrorCode code, std::string_view msg, std::string_view details = {});

// Recovers the CNI error from a failed status; statuses not made by CniStatus() map by their
// canonical code (UNAVAILABLE -> 11, anything else -> 999) so nothing reaches a runtime codeless.
CniError CniErrorFromStatus(const absl::Status& status);

// The spec's error object {"cniVersion", "code", "msg", "details"}, in the config's version
// (the latest when the config's version is unknown).
nlohmann::json ErrorJson(std::string_view cni_version, const CniError& error);

}  // namespace podswitch::cni
