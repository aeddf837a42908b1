// The Internet checksum (RFC 1071) and its incremental update (RFC 1624). The executor
// rewrites addresses and ports without re-summing the packet; tests and the builder sum
// from scratch. All 16-bit values are the field as a host-order number (ReadBe16).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core {

// Adds `data` as big-endian 16-bit words (an odd last byte padded with zero) to a running
// 32-bit one's complement sum, so that headers and pseudo-headers can be summed piecewise.
// Pieces other than the last must have an even length.
inline uint32_t ChecksumAdd(std::span<const uint8_t> data, uint32_t sum = 0) {
  uint64_t acc = sum;
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) acc += uint32_t{data[i]} << 8 | data[i + 1];
  if (i < data.size()) acc += uint32_t{data[i]} << 8;
  while (acc >> 32) acc = (acc & 0xffffffff) + (acc >> 32);
  return static_cast<uint32_t>(acc);
}

// Folds a running sum to 16 bits and complements it: the value to store in a checksum field.
inline uint16_t ChecksumFinish(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// The checksum of `data`; a region that includes a correct checksum field yields 0.
inline uint16_t InternetChecksum(std::span<const uint8_t> data) {
  return ChecksumFinish(ChecksumAdd(data));
}

// Running sum of the IPv4 pseudo-header that TCP and UDP checksums cover.
inline uint32_t Ipv4PseudoHeaderSum(uint32_t src, uint32_t dst, uint8_t proto, uint32_t l4_len) {
  uint64_t acc = uint64_t{src >> 16} + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
                 (l4_len >> 16) + (l4_len & 0xffff);
  while (acc >> 32) acc = (acc & 0xffffffff) + (acc >> 32);
  return static_cast<uint32_t>(acc);
}

// Running sum of the IPv6 pseudo-header that TCP, UDP and ICMPv6 checksums cover.
inline uint32_t Ipv6PseudoHeaderSum(const Ipv6Addr& src, const Ipv6Addr& dst, uint8_t proto,
                                    uint32_t l4_len) {
  uint32_t sum = ChecksumAdd(src);
  sum = ChecksumAdd(dst, sum);
  uint64_t acc = uint64_t{sum} + (l4_len >> 16) + (l4_len & 0xffff) + proto;
  while (acc >> 32) acc = (acc & 0xffffffff) + (acc >> 32);
  return static_cast<uint32_t>(acc);
}

// RFC 1624 eqn. 3: the checksum after one 16-bit word it covers changed from `old_word` to
// `new_word`, without touching the rest of the data.
inline uint16_t ChecksumUpdate16(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
  uint32_t sum =
      uint32_t{static_cast<uint16_t>(~checksum)} + static_cast<uint16_t>(~old_word) + new_word;
  return ChecksumFinish(sum);
}

// Same as ChecksumUpdate16 for a 32-bit field (an IPv4 address), two words at once.
inline uint16_t ChecksumUpdate32(uint16_t checksum, uint32_t old_value, uint32_t new_value) {
  uint32_t sum =
      uint32_t{static_cast<uint16_t>(~checksum)} + static_cast<uint16_t>(~(old_value >> 16)) +
      static_cast<uint16_t>(~(old_value & 0xffff)) + (new_value >> 16) + (new_value & 0xffff);
  return ChecksumFinish(sum);
}

}  // namespace podswitch::core
