#include "agent/ipam/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace podswitch::agent::ipam {
namespace {

// Parses a decimal number with no sign, no spaces and no leading zeros (so "010" is not read
// as octal by one tool and decimal by another).
bool ParseDecimal(std::string_view text, uint32_t max, uint32_t* out) {
  if (text.empty() || text.size() > 10 || (text.size() > 1 && text[0] == '0')) return false;
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return false;
  *out = value;
  return true;
}

uint32_t PrefixMask(int prefix_len) {
  return prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
}

}  // namespace

absl::StatusOr<Ipv4Address> Ipv4Address::Parse(std::string_view text) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 4) {
    return absl::InvalidArgumentError(absl::StrCat("IPv4 address \"", std::string(text),
                                                   "\": expected 4 dotted numbers, got ",
                                                   parts.size(), " part(s)"));
  }
  uint32_t value = 0;
  for (std::string_view part : parts) {
    uint32_t byte = 0;
    if (!ParseDecimal(part, 255, &byte)) {
      return absl::InvalidArgumentError(absl::StrCat("IPv4 address \"", std::string(text), "\": \"",
                                                     std::string(part),
                                                     "\" is not a number from 0 to 255"));
    }
    value = (value << 8) | byte;
  }
  return Ipv4Address(value);
}

uint32_t Ipv4Address::network_order() const { return htonl(value_); }

std::string Ipv4Address::ToString() const {
  return absl::StrCat(value_ >> 24, ".", (value_ >> 16) & 0xff, ".", (value_ >> 8) & 0xff, ".",
                      value_ & 0xff);
}

absl::StatusOr<Cidr> Cidr::Parse(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CIDR \"", std::string(text), "\": missing \"/prefix\" (expected e.g. 10.244.1.0/24)"));
  }
  absl::StatusOr<Ipv4Address> address = Ipv4Address::Parse(text.substr(0, slash));
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CIDR \"", std::string(text), "\": ", address.status().message()));
  }
  uint32_t prefix_len = 0;
  if (!ParseDecimal(text.substr(slash + 1), 32, &prefix_len)) {
    return absl::InvalidArgumentError(absl::StrCat("CIDR \"", std::string(text), "\": prefix \"",
                                                   std::string(text.substr(slash + 1)),
                                                   "\" is not a number from 0 to 32"));
  }
  Cidr cidr(Ipv4Address(address->value() & PrefixMask(prefix_len)), prefix_len);
  if (cidr.network() != *address) {
    return absl::InvalidArgumentError(absl::StrCat("CIDR \"", std::string(text),
                                                   "\": host bits are set (did you mean ",
                                                   cidr.ToString(), "?)"));
  }
  return cidr;
}

absl::StatusOr<Cidr> Cidr::FromAddress(Ipv4Address address, int prefix_len) {
  if (prefix_len < 0 || prefix_len > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("prefix length ", prefix_len, " of ", address.ToString(), " is not 0-32"));
  }
  return Cidr(Ipv4Address(address.value() & PrefixMask(prefix_len)), prefix_len);
}

Ipv4Address Cidr::broadcast() const {
  return Ipv4Address(network_.value() | ~PrefixMask(prefix_len_));
}

bool Cidr::Contains(Ipv4Address address) const {
  return (address.value() & PrefixMask(prefix_len_)) == network_.value();
}

bool Cidr::Contains(const Cidr& other) const {
  return other.prefix_len_ >= prefix_len_ && Contains(other.network_);
}

absl::StatusOr<Ipv4Address> Cidr::NthHost(uint64_t n) const {
  if (size() < 3 || n < 1 || n > size() - 2) {
    return absl::OutOfRangeError(absl::StrCat(
        "host ", n, " of ", ToString(), ": valid hosts are 1 to ", size() < 3 ? 0 : size() - 2));
  }
  return Ipv4Address(network_.value() + static_cast<uint32_t>(n));
}

std::string Cidr::ToString() const { return absl::StrCat(network_.ToString(), "/", prefix_len_); }

}  // namespace podswitch::agent::ipam
