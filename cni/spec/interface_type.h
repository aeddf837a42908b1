// The kinds of pod interface Podswitch can wire, named as they appear in configs and CNI_ARGS.
#pragma once

#include <optional>
#include <string_view>

namespace podswitch::cni {

// How a pod is attached to br-int: a veth pair, a vhost-user socket (DPDK pods) or a tap.
enum class InterfaceType { kVeth, kVhostUser, kTap };

// Reads "veth", "vhostuser" or "tap", the spelling shared by config, runtimeConfig and CNI_ARGS.
inline std::optional<InterfaceType> ParseInterfaceType(std::string_view text) {
  if (text == "veth") return InterfaceType::kVeth;
  if (text == "vhostuser") return InterfaceType::kVhostUser;
  if (text == "tap") return InterfaceType::kTap;
  return std::nullopt;
}

// The config spelling of an interface type, for messages and for the agent's records.
inline std::string_view InterfaceTypeName(InterfaceType type) {
  switch (type) {
    case InterfaceType::kVhostUser:
      return "vhostuser";
    case InterfaceType::kTap:
      return "tap";
    case InterfaceType::kVeth:
      break;
  }
  return "veth";
}

}  // namespace podswitch::cni
