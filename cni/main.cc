// podswitch-cni: the CNI plugin binary a container runtime executes for every pod sandbox.
// It holds no state: it reads the CNI_* environment and the config on stdin, checks what it
// can locally, forwards the request to podswitch-agent over gRPC, and prints the result or a
// spec error. VERSION and every local error are answered before gRPC is touched.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "cni/agent_client.h"
#include "cni/spec/config.h"
#include "cni/spec/env.h"
#include "cni/spec/error.h"
#include "cni/spec/invocation.h"
#include "cni/spec/result.h"
#include "cni/spec/version.h"
#include "common/version.h"

namespace {

namespace cni = podswitch::cni;

constexpr char kUsage[] =
    "Usage: podswitch-cni [--help | --version]\n"
    "The Podswitch CNI plugin. A container runtime runs it with CNI_COMMAND (ADD, DEL, CHECK,\n"
    "VERSION, GC or STATUS) and the other CNI_* variables set, and the network configuration\n"
    "JSON on stdin; it forwards the call to podswitch-agent (config key agentSocket, default\n"
    "/run/podswitch/agent.sock) and prints the CNI result or a CNI error on stdout.\n";

// Writes a whole string to a file descriptor (stdout), retrying short writes.
void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads all of stdin; a read error becomes an I/O failure the caller reports.
bool ReadStdin(std::string& out) {
  char buf[16384];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Prints the spec error for `status` on stdout and returns the plugin's failure exit code.
int Fail(std::string_view cni_version, const absl::Status& status) {
  if (!cni::IsSupportedVersion(cni_version)) cni_version = cni::kLatestVersion;
  cni::CniError error = cni::CniErrorFromStatus(status);
  WriteAll(STDOUT_FILENO, cni::ErrorJson(cni_version, error).dump() + "\n");
  return 1;
}

// Handles --help and --version; returns -1 to go on as a plugin, else the exit code.
int HandleArguments(int argc, char** argv) {
  if (argc < 2) return -1;
  std::string_view arg = argv[1];
  if (argc == 2 && (arg == "--help" || arg == "-h")) {
    WriteAll(STDOUT_FILENO, kUsage);
    return 0;
  }
  if (argc == 2 && arg == "--version") {
    WriteAll(STDOUT_FILENO, std::string("podswitch-cni ") + podswitch::kVersion + "\n");
    return 0;
  }
  std::string message = std::string("podswitch-cni: unexpected argument '") +
                        argv[argc == 2 ? 1 : 2] + "'\n" + kUsage;
  WriteAll(STDERR_FILENO, message);
  return 2;
}

// ADD's answer: the agent's result re-read and written in the config's cniVersion, so the
// runtime always gets the version it asked for (0.3.1/0.4.0 shapes included).
absl::StatusOr<std::string> FormatAddResult(const std::string& agent_result,
                                            std::string_view cni_version) {
  auto json = nlohmann::json::parse(agent_result, nullptr, /*allow_exceptions=*/false);
  if (agent_result.empty() || json.is_discarded()) {
    return cni::CniStatus(cni::ErrorCode::kInternal,
                          "podswitch-agent answered ADD without a valid JSON result");
  }
  absl::StatusOr<cni::Result> result = cni::ParseResult(json, "result");
  if (!result.ok()) {
    return cni::CniStatus(cni::ErrorCode::kInternal,
                          "podswitch-agent answered ADD with an invalid result",
                          std::string(result.status().message()));
  }
  return cni::ResultToJson(*result, cni_version).dump() + "\n";
}

// Runs one CNI call; returns the process exit code.
int RunPlugin() {
  cni::RawCniEnv raw_env = cni::RawCniEnvFromProcess();
  if (raw_env.command.empty()) {
    WriteAll(STDERR_FILENO, kUsage);
    return Fail("", cni::CniStatus(cni::ErrorCode::kInvalidEnvironment,
                                   "CNI_COMMAND is not set: podswitch-cni is run by a "
                                   "container runtime (see --help)"));
  }
  std::string config_bytes;
  if (!ReadStdin(config_bytes)) {
    return Fail("", cni::CniStatus(cni::ErrorCode::kIoFailure,
                                   std::string("reading the config from stdin failed: ") +
                                       std::strerror(errno)));
  }
  std::string cni_version = cni::PeekCniVersion(config_bytes);
  if (raw_env.command == "VERSION") {
    // Only CNI_COMMAND matters: podman passes dummy CNI_NETNS/CNI_IFNAME/CNI_PATH here.
    WriteAll(STDOUT_FILENO, cni::VersionResult(cni_version).dump() + "\n");
    return 0;
  }
  absl::StatusOr<cni::CniInvocation> invocation = cni::ParseInvocation(raw_env, config_bytes);
  if (!invocation.ok()) return Fail(cni_version, invocation.status());
  const cni::NetworkConfig& config = invocation->config;
  absl::StatusOr<std::string> agent_result =
      cni::ExecuteOnAgent(raw_env, invocation->env.command, config_bytes, config.agent_socket,
                          cni::AgentDeadline(*invocation));
  if (!agent_result.ok()) return Fail(config.cni_version, agent_result.status());
  if (invocation->env.command != cni::Command::kAdd) return 0;
  absl::StatusOr<std::string> output = FormatAddResult(*agent_result, config.cni_version);
  if (!output.ok()) return Fail(config.cni_version, output.status());
  WriteAll(STDOUT_FILENO, *output);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (int code = HandleArguments(argc, argv); code >= 0) return code;
  return RunPlugin();
}
