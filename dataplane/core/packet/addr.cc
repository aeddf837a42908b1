#include "dataplane/core/packet/addr.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/str_format.h"

namespace podswitch::core {
namespace {

std::optional<uint8_t> HexDigit(char c) {
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<uint8_t>(c - 'A' + 10);
  return std::nullopt;
}

// inet_pton wants a NUL-terminated string; longer inputs than any address are rejected.
template <typename Out>
bool PtonInto(int family, std::string_view text, Out& out) {
  char buf[64];
  if (text.size() >= sizeof(buf)) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return inet_pton(family, buf, &out) == 1;
}

}  // namespace

std::optional<MacAddr> MacFromString(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  MacAddr mac;
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0 && text[i * 3 - 1] != ':') return std::nullopt;
    auto hi = HexDigit(text[i * 3]);
    auto lo = HexDigit(text[i * 3 + 1]);
    if (!hi || !lo) return std::nullopt;
    mac[i] = static_cast<uint8_t>(*hi << 4 | *lo);
  }
  return mac;
}

std::optional<uint32_t> Ipv4FromString(std::string_view text) {
  in_addr addr;
  if (!PtonInto(AF_INET, text, addr)) return std::nullopt;
  return ntohl(addr.s_addr);
}

std::optional<Ipv6Addr> Ipv6FromString(std::string_view text) {
  Ipv6Addr addr;
  if (!PtonInto(AF_INET6, text, addr)) return std::nullopt;
  return addr;
}

std::string MacToString(const MacAddr& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                         mac[5]);
}

std::string Ipv4ToString(uint32_t addr) {
  return absl::StrFormat("%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
                         addr & 0xff);
}

std::string Ipv6ToString(const Ipv6Addr& addr) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, addr.data(), buf, sizeof(buf));
  return buf;
}

}  // namespace podswitch::core
