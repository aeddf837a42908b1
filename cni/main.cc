// podswitch-cni: the CNI plugin binary a container runtime executes for every pod sandbox.
// It holds no state: it reads the CNI_* environment and the config on stdin, forwards the
// request to podswitch-agent, and prints the result or a spec error.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>

#include "cni/cni_error.h"
#include "cni/cni_version.h"
#include "common/version.h"

namespace {

constexpr char kUsage[] =
    "podswitch-cni: the Podswitch CNI plugin.\n"
    "A container runtime runs it with CNI_COMMAND (ADD, DEL, CHECK, VERSION, GC, STATUS) and\n"
    "the other CNI_* variables set, and the network configuration JSON on stdin.\n"
    "Options: --help, --version\n";

// Prints a spec error on stdout and returns the process exit code.
int Fail(const std::string& cni_version, podswitch::cni::ErrorCode code, const std::string& msg) {
  std::cout << podswitch::cni::ErrorJson(cni_version, code, msg).dump() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << kUsage;
      return 0;
    }
    if (std::strcmp(argv[i], "--version") == 0) {
      std::cout << "podswitch-cni " << podswitch::kVersion << "\n";
      return 0;
    }
    std::cerr << "podswitch-cni: unknown argument '" << argv[i] << "'\n" << kUsage;
    return 2;
  }
  const char* command = std::getenv("CNI_COMMAND");
  if (command == nullptr) {
    std::cerr << kUsage;
    return Fail("", podswitch::cni::ErrorCode::kInvalidEnvironment,
                "CNI_COMMAND is not set");
  }
  std::string stdin_config{std::istreambuf_iterator<char>(std::cin),
                           std::istreambuf_iterator<char>()};
  auto config = nlohmann::json::parse(stdin_config, nullptr, /*allow_exceptions=*/false);
  std::string cni_version;
  if (config.is_object() && config.contains("cniVersion") && config["cniVersion"].is_string()) {
    cni_version = config["cniVersion"].get<std::string>();
  }
  if (std::strcmp(command, "VERSION") == 0) {
    std::cout << podswitch::cni::VersionResult(cni_version).dump() << "\n";
    return 0;
  }
  // TODO(issue 5): forward ADD/DEL/CHECK/GC/STATUS to podswitch-agent.
  return Fail(cni_version, podswitch::cni::ErrorCode::kTryAgainLater,
              std::string("CNI_COMMAND ") + command +
                  ": podswitch-agent support is not implemented yet");
}
