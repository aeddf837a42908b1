// The CNI_* environment a runtime sets for every plugin call, and its per-command checks.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cni/spec/args.h"

namespace podswitch::cni {

// The CNI_COMMAND verbs of spec 1.1.0.
enum class Command { kAdd, kDel, kCheck, kVersion, kGc, kStatus };

// Reads a CNI_COMMAND value ("ADD", ...); nothing for an unknown verb.
std::optional<Command> ParseCommand(std::string_view text);

// The CNI_COMMAND spelling of a verb, for messages and for the request sent to the agent.
std::string_view CommandName(Command command);

// The six CNI_* variables exactly as received (unset and empty are the same, as in libcni):
// the binary reads them from its environment, the agent from the forwarded request.
struct RawCniEnv {
  std::string command;       // CNI_COMMAND
  std::string container_id;  // CNI_CONTAINERID
  std::string netns;         // CNI_NETNS
  std::string ifname;        // CNI_IFNAME
  std::string args;          // CNI_ARGS
  std::string path;          // CNI_PATH
};

// Reads the CNI_* variables of this process.
RawCniEnv RawCniEnvFromProcess();

// A validated environment: the verb is known, the variables it needs are present and well
// formed, and CNI_ARGS is parsed.
struct CniEnv {
  Command command = Command::kVersion;
  std::string container_id;
  std::string netns;  // may be empty for DEL (containerd's 2nd and 3rd DEL), GC and STATUS
  std::string ifname;
  std::string path;
  std::string raw_args;
  CniArgs args;
};

// Validates the variables the command needs (code 4 naming the variable): ADD and CHECK need
// CNI_CONTAINERID, CNI_NETNS and CNI_IFNAME; DEL needs CNI_CONTAINERID and CNI_IFNAME; VERSION,
// GC and STATUS need nothing else and ignore the rest (podman passes dummy values to VERSION).
// CNI_PATH is optional: Podswitch delegates to no other plugin.
absl::StatusOr<CniEnv> ParseCniEnv(const RawCniEnv& raw);

}  // namespace podswitch::cni
