// PacketBuffer: the bytes of one frame as the core sees them, whatever owns the memory
// (a DPDK mbuf in podswitchd, a std::vector in tests). Headroom lets actions such as
// push_vlan grow the frame at the front without copying it.
#pragma once

#include <cstdint>
#include <span>

namespace podswitch::core {

struct PacketBuffer {
  uint8_t* data = nullptr;  // first byte of the Ethernet header
  uint32_t size = 0;        // bytes of frame from `data`
  uint32_t headroom = 0;    // writable bytes before `data`

  std::span<const uint8_t> bytes() const { return {data, size}; }

  // Grows the frame by `n` bytes at the front; false when there is not enough headroom.
  bool Prepend(uint32_t n) {
    if (n > headroom) return false;
    data -= n;
    size += n;
    headroom -= n;
    return true;
  }

  // Removes `n` bytes from the front (n <= size).
  void TrimFront(uint32_t n) {
    data += n;
    size -= n;
    headroom += n;
  }
};

}  // namespace podswitch::core
