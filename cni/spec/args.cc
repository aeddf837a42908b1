#include "cni/spec/args.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cni/spec/error.h"

namespace podswitch::cni {
namespace {

// A CNI_ARGS error: the environment is invalid (code 4), and the message quotes the input.
absl::Status ArgsError(std::string_view what, std::string_view text) {
  return CniStatus(ErrorCode::kInvalidEnvironment, absl::StrCat("CNI_ARGS: ", std::string(what)),
                   absl::StrCat("CNI_ARGS=\"", std::string(text), "\""));
}

// True for the values libcni accepts as a true IgnoreUnknown.
bool IsTrue(std::string_view value) { return value == "1" || value == "true" || value == "True"; }

}  // namespace

absl::StatusOr<CniArgs> ParseCniArgs(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t end = rest.find(';');
    std::string_view segment = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (segment.empty()) continue;
    size_t eq = segment.find('=');
    if (eq == 0 || eq == std::string_view::npos ||
        segment.find('=', eq + 1) != std::string_view::npos) {
      return ArgsError(absl::StrCat("invalid pair \"", std::string(segment),
                                    "\": expected KEY=VALUE with one '='"),
                       text);
    }
    pairs.emplace_back(std::string(segment.substr(0, eq)), std::string(segment.substr(eq + 1)));
  }
  CniArgs args;
  for (const auto& [key, value] : pairs) {
    if (key == "IgnoreUnknown") args.ignore_unknown = IsTrue(value);
  }
  for (const auto& [key, value] : pairs) {
    if (key == "IgnoreUnknown") continue;
    if (key == "K8S_POD_NAMESPACE") {
      args.pod_namespace = value;
    } else if (key == "K8S_POD_NAME") {
      args.pod_name = value;
    } else if (key == "K8S_POD_INFRA_CONTAINER_ID") {
      args.pod_infra_container_id = value;
    } else if (key == "K8S_POD_UID") {
      args.pod_uid = value;
    } else if (key == "PODSWITCH_INTERFACE_TYPE") {
      args.interface_type = ParseInterfaceType(value);
      if (!args.interface_type) {
        return ArgsError(
            absl::StrCat("PODSWITCH_INTERFACE_TYPE=", value, ": expected veth, vhostuser or tap"),
            text);
      }
    } else if (args.ignore_unknown) {
      args.unknown[key] = value;
    } else {
      return ArgsError(absl::StrCat("unknown key \"", key, "\" (set IgnoreUnknown=1 to allow it)"),
                       text);
    }
  }
  return args;
}

}  // namespace podswitch::cni
