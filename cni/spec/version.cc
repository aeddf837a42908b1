#include "cni/spec/version.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace podswitch::cni {
namespace {

// Parses "MAJOR.MINOR.PATCH" (all three required, decimal), or nothing.
std::optional<std::array<int, 3>> ParseVersion(std::string_view text) {
  std::array<int, 3> parts{};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (size_t i = 0; i < parts.size(); ++i) {
    auto [next, ec] = std::from_chars(p, end, parts[i]);
    if (ec != std::errc() || next == p || parts[i] < 0) return std::nullopt;
    p = next;
    if (i + 1 < parts.size()) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  if (p != end) return std::nullopt;
  return parts;
}

}  // namespace

bool IsSupportedVersion(std::string_view version) {
  return std::find(std::begin(kSupportedVersions), std::end(kSupportedVersions), version) !=
         std::end(kSupportedVersions);
}

bool VersionAtLeast(std::string_view version, std::string_view minimum) {
  auto have = ParseVersion(version);
  auto want = ParseVersion(minimum);
  if (!have || !want) return false;
  return *have >= *want;
}

nlohmann::json VersionResult(std::string_view requested_version) {
  nlohmann::json supported = nlohmann::json::array();
  for (std::string_view v : kSupportedVersions) supported.push_back(v);
  std::string_view reported =
      IsSupportedVersion(requested_version) ? requested_version : kLatestVersion;
  return {{"cniVersion", reported}, {"supportedVersions", supported}};
}

}  // namespace podswitch::cni
