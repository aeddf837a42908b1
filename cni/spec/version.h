// CNI spec versions podswitch-cni speaks, version comparison, and the VERSION command's answer.
#pragma once

#include <string_view>

#include "nlohmann/json.hpp"

namespace podswitch::cni {

// The spec versions we accept in a network configuration, oldest first.
inline constexpr std::string_view kSupportedVersions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0",
                                                          "1.1.0"};
inline constexpr std::string_view kLatestVersion = "1.1.0";

// True when `version` is one of kSupportedVersions, so a config in it can be served.
bool IsSupportedVersion(std::string_view version);

// True when `version` is `minimum` or later: CHECK needs 0.4.0, GC and STATUS need 1.1.0, and
// results change shape at 1.0.0. Unparsable versions compare as older than everything.
bool VersionAtLeast(std::string_view version, std::string_view minimum);

// The VERSION command's result: the requested cniVersion (from the stdin config, may be
// empty) echoed when we support it, else the latest, and every supported version.
nlohmann::json VersionResult(std::string_view requested_version);

}  // namespace podswitch::cni
