// CNI spec error codes and the error JSON a plugin prints on stdout.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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
  kInternal = 999,
};

// The spec's error object: {"cniVersion", "code", "msg", "details"}.
nlohmann::json ErrorJson(std::string_view cni_version, ErrorCode code, std::string_view msg,
                         std::string_view details = {});

}  // namespace podswitch::cni
