// Validation of the IP addresses and CIDRs found in cluster objects and flags.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace podswitch::agent::cluster::internal {

// True when `text` is an IPv4 or IPv6 address, so objects never carry unusable addresses.
bool IsIpAddress(std::string_view text);

// True when `text` is an IPv4 address, to prefer IPv4 InternalIPs for the VXLAN underlay.
bool IsIpv4Address(std::string_view text);

// Returns the canonical form of the CIDR `text` ("10.244.1.0/24"), or INVALID_ARGUMENT with
// a phrase that completes the quoted value ("is not a CIDR", "has host bits set (...)").
absl::StatusOr<std::string> CanonicalCidr(std::string_view text);

}  // namespace podswitch::agent::cluster::internal
