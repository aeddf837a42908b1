#include "cni/spec/invocation.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cni/spec/error.h"
#include "cni/spec/version.h"

namespace podswitch::cni {
namespace {

// The oldest spec version that defines `command`.
std::string_view MinimumVersion(Command command) {
  switch (command) {
    case Command::kCheck:
      return "0.4.0";
    case Command::kGc:
    case Command::kStatus:
      return "1.1.0";
    default:
      return "0.3.0";
  }
}

// Checks the command against the config: version, prevResult, attachment list.
absl::Status CheckCommandAgainstConfig(const CniEnv& env, const NetworkConfig& config) {
  std::string_view minimum = MinimumVersion(env.command);
  if (!VersionAtLeast(config.cni_version, minimum)) {
    return CniStatus(
        ErrorCode::kIncompatibleVersion,
        absl::StrCat(std::string(CommandName(env.command)), " needs cniVersion ",
                     std::string(minimum), " or later, the config has ", config.cni_version));
  }
  if (env.command == Command::kCheck && !config.prev_result) {
    return CniStatus(ErrorCode::kInvalidConfig,
                     "CHECK needs the prevResult of the ADD it verifies, the config has none");
  }
  if (env.command == Command::kGc && !config.valid_attachments) {
    return CniStatus(ErrorCode::kInvalidConfig,
                     "GC needs \"cni.dev/valid-attachments\" (an empty list to release all)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CniInvocation> ParseInvocation(const RawCniEnv& raw_env,
                                              std::string_view stdin_config) {
  absl::StatusOr<CniEnv> env = ParseCniEnv(raw_env);
  if (!env.ok()) return env.status();
  if (env->command == Command::kVersion) {
    return CniStatus(ErrorCode::kInvalidEnvironment,
                     "VERSION is answered by the plugin itself, not forwarded");
  }
  absl::StatusOr<NetworkConfig> config = ParseNetworkConfig(stdin_config);
  if (!config.ok()) return config.status();
  if (auto status = CheckCommandAgainstConfig(*env, *config); !status.ok()) return status;
  CniInvocation invocation{.env = *std::move(env), .config = *std::move(config)};
  if (invocation.env.args.interface_type) {
    invocation.interface_type = *invocation.env.args.interface_type;
  } else if (invocation.config.runtime_config.interface_type) {
    invocation.interface_type = *invocation.config.runtime_config.interface_type;
  } else if (invocation.config.interface_type) {
    invocation.interface_type = *invocation.config.interface_type;
  }
  // Only ADD: a DEL must never fail over how the interface would have been made.
  if (invocation.env.command == Command::kAdd &&
      invocation.interface_type == InterfaceType::kVhostUser &&
      !VersionAtLeast(invocation.config.cni_version, "1.0.0")) {
    return CniStatus(ErrorCode::kUnsupportedField,
                     absl::StrCat("interfaceType vhostuser needs cniVersion 1.0.0 or later to "
                                  "return the socketPath, the config has ",
                                  invocation.config.cni_version));
  }
  return invocation;
}

absl::Duration AgentDeadline(const CniInvocation& invocation) {
  if (invocation.config.timeout_seconds) return absl::Seconds(*invocation.config.timeout_seconds);
  return invocation.env.command == Command::kStatus ? absl::Seconds(10) : absl::Seconds(60);
}

}  // namespace podswitch::cni
