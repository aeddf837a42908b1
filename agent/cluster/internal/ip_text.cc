#include "agent/cluster/internal/ip_text.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace podswitch::agent::cluster::internal {
namespace {

// An address parsed by inet_pton, with its family and width in bits.
struct ParsedIp {
  int family = 0;
  int bits = 0;
  std::array<uint8_t, 16> bytes{};
};

bool ParseIp(std::string_view text, ParsedIp& out) {
  if (text.empty() || text.size() > 45) return false;
  std::string copy(text);
  if (inet_pton(AF_INET, copy.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET;
    out.bits = 32;
    return true;
  }
  if (inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET6;
    out.bits = 128;
    return true;
  }
  return false;
}

std::string FormatIp(const ParsedIp& ip) {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(ip.family, ip.bytes.data(), buffer, sizeof(buffer));
  return buffer;
}

}  // namespace

bool IsIpAddress(std::string_view text) {
  ParsedIp ip;
  return ParseIp(text, ip);
}

bool IsIpv4Address(std::string_view text) {
  ParsedIp ip;
  return ParseIp(text, ip) && ip.family == AF_INET;
}

absl::StatusOr<std::string> CanonicalCidr(std::string_view text) {
  const size_t slash = text.find('/');
  ParsedIp ip;
  int length = -1;
  if (slash != std::string_view::npos && ParseIp(text.substr(0, slash), ip)) {
    std::string_view digits = text.substr(slash + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (error != std::errc() || end != digits.data() + digits.size() || length < 0 ||
        length > ip.bits) {
      length = -1;
    }
  }
  if (length < 0) return absl::InvalidArgumentError("is not a CIDR");
  ParsedIp network = ip;
  for (int bit = length; bit < ip.bits; ++bit) {
    network.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  std::string canonical = absl::StrCat(FormatIp(network), "/", length);
  if (network.bytes != ip.bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("has host bits set (the network is ", canonical, ")"));
  }
  return canonical;
}

}  // namespace podswitch::agent::cluster::internal
