#include "cni/spec/env.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cni/spec/error.h"

namespace podswitch::cni {
namespace {

// getenv as a string; unset reads as empty.
std::string Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// An invalid-environment error (code 4) about one variable.
absl::Status EnvError(std::string_view variable, std::string_view problem) {
  return CniStatus(ErrorCode::kInvalidEnvironment,
                   absl::StrCat(std::string(variable), " ", std::string(problem)));
}

// The spec's container id rule: alphanumerics, '_', '.', '-', starting with an alphanumeric.
bool IsValidContainerId(std::string_view id) {
  if (id.empty() || !absl::ascii_isalnum(id[0])) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

// The kernel's interface name rule: 1-15 bytes, not "." or "..", no '/', ':' or whitespace.
bool IsValidIfname(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == ':' || absl::ascii_isspace(c)) return false;
  }
  return true;
}

}  // namespace

std::optional<Command> ParseCommand(std::string_view text) {
  if (text == "ADD") return Command::kAdd;
  if (text == "DEL") return Command::kDel;
  if (text == "CHECK") return Command::kCheck;
  if (text == "VERSION") return Command::kVersion;
  if (text == "GC") return Command::kGc;
  if (text == "STATUS") return Command::kStatus;
  return std::nullopt;
}

std::string_view CommandName(Command command) {
  switch (command) {
    case Command::kAdd:
      return "ADD";
    case Command::kDel:
      return "DEL";
    case Command::kCheck:
      return "CHECK";
    case Command::kGc:
      return "GC";
    case Command::kStatus:
      return "STATUS";
    case Command::kVersion:
      break;
  }
  return "VERSION";
}

RawCniEnv RawCniEnvFromProcess() {
  return RawCniEnv{.command = Getenv("CNI_COMMAND"),
                   .container_id = Getenv("CNI_CONTAINERID"),
                   .netns = Getenv("CNI_NETNS"),
                   .ifname = Getenv("CNI_IFNAME"),
                   .args = Getenv("CNI_ARGS"),
                   .path = Getenv("CNI_PATH")};
}

absl::StatusOr<CniEnv> ParseCniEnv(const RawCniEnv& raw) {
  if (raw.command.empty()) return EnvError("CNI_COMMAND", "is not set");
  std::optional<Command> command = ParseCommand(raw.command);
  if (!command) {
    return EnvError("CNI_COMMAND", absl::StrCat("\"", raw.command,
                                                "\" is unknown: expected ADD, DEL, CHECK, "
                                                "VERSION, GC or STATUS"));
  }
  CniEnv env;
  env.command = *command;
  env.path = raw.path;
  if (env.command == Command::kVersion || env.command == Command::kGc ||
      env.command == Command::kStatus) {
    return env;  // No container: the other variables are ignored, whatever they hold.
  }
  if (raw.container_id.empty()) return EnvError("CNI_CONTAINERID", "is not set");
  if (!IsValidContainerId(raw.container_id)) {
    return EnvError("CNI_CONTAINERID",
                    absl::StrCat("\"", raw.container_id,
                                 "\" is invalid: expected letters, digits, '_', '.' or '-', "
                                 "starting with a letter or digit"));
  }
  if (raw.ifname.empty()) return EnvError("CNI_IFNAME", "is not set");
  if (!IsValidIfname(raw.ifname)) {
    return EnvError("CNI_IFNAME",
                    absl::StrCat("\"", raw.ifname,
                                 "\" is not a valid interface name: 1-15 bytes, no '/', ':' or "
                                 "whitespace"));
  }
  if (raw.netns.empty() && env.command != Command::kDel) {
    return EnvError("CNI_NETNS", absl::StrCat("is not set (needed by ", raw.command, ")"));
  }
  absl::StatusOr<CniArgs> args = ParseCniArgs(raw.args);
  if (!args.ok()) return args.status();
  env.container_id = raw.container_id;
  env.netns = raw.netns;
  env.ifname = raw.ifname;
  env.raw_args = raw.args;
  env.args = *std::move(args);
  return env;
}

}  // namespace podswitch::cni
