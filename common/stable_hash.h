// StableHash: FNV-1a 64 of a text. Tiny, dependency-free and the same in every process and
// version (unlike absl::Hash, which is seeded per process), which is what names and cookies
// that must survive agent restarts and upgrades need.
#pragma once

#include <cstdint>
#include <string_view>

namespace podswitch {

constexpr uint64_t StableHash(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : text) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace podswitch
