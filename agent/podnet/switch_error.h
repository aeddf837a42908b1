// How a failed podswitchd call becomes a CNI error: podswitchd unreachable or too slow is
// "try again later" (11), so the runtime retries; anything else keeps the code given.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cni/spec/error.h"

namespace podswitch::agent {

inline absl::Status SwitchError(const absl::Status& status, cni::ErrorCode code,
                                std::string_view what) {
  if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) {
    return cni::CniStatus(cni::ErrorCode::kTryAgainLater,
                          absl::StrCat(std::string(what), ": ", status.message()));
  }
  return cni::CniStatus(code, std::string(what), std::string(status.message()));
}

}  // namespace podswitch::agent
