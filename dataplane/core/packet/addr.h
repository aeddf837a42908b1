// Text forms of MAC, IPv4 and IPv6 addresses, shared by the flow syntax, podswitchd's
// dumps and the test packet builder so every place spells addresses the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {

// Parses "aa:bb:cc:dd:ee:ff" (hex digits in either case); nullopt for anything else.
std::optional<MacAddr> MacFromString(std::string_view text);

// Parses dotted-quad "10.0.0.1" into a host-order address, as FlowKey stores it.
std::optional<uint32_t> Ipv4FromString(std::string_view text);

// Parses any RFC 4291 text form ("fe80::1", "::ffff:10.0.0.1", ...).
std::optional<Ipv6Addr> Ipv6FromString(std::string_view text);

// Formats as lower-case "aa:bb:cc:dd:ee:ff", the form ovs-ofctl prints.
std::string MacToString(const MacAddr& mac);

// Formats a host-order address as "10.0.0.1".
std::string Ipv4ToString(uint32_t addr);

// Formats in the RFC 5952 canonical form ("fe80::1").
std::string Ipv6ToString(const Ipv6Addr& addr);

}  // namespace podswitch::core
