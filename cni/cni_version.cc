#include "cni/cni_version.h"

#include <algorithm>

namespace podswitch::cni {

bool IsSupportedVersion(std::string_view version) {
  return std::find(std::begin(kSupportedVersions), std::end(kSupportedVersions), version) !=
         std::end(kSupportedVersions);
}

nlohmann::json VersionResult(std::string_view requested_version) {
  nlohmann::json supported = nlohmann::json::array();
  for (std::string_view v : kSupportedVersions) supported.push_back(v);
  std::string_view reported =
      IsSupportedVersion(requested_version) ? requested_version : kLatestVersion;
  return {{"cniVersion", reported}, {"supportedVersions", supported}};
}

}  // namespace podswitch::cni
