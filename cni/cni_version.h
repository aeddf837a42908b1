// CNI spec versions podswitch-cni speaks, and the answer to the VERSION command.
#pragma once

#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace podswitch::cni {

// The spec versions we accept in a network configuration, oldest first.
inline constexpr std::string_view kSupportedVersions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0",
                                                          "1.1.0"};
inline constexpr std::string_view kLatestVersion = "1.1.0";

// True when `version` is one of kSupportedVersions.
bool IsSupportedVersion(std::string_view version);

// The VERSION command's result: the requested cniVersion (from the stdin config, may be
// empty) echoed when we support it, and every supported version.
nlohmann::json VersionResult(std::string_view requested_version);

}  // namespace podswitch::cni
