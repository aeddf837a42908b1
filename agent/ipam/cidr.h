// Ipv4Address and Cidr: the small IPv4 value types IPAM and pod wiring share, so a pod's
// address, its prefix and its gateway travel as checked values instead of strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace podswitch::agent::ipam {

// One IPv4 address held in host byte order, so arithmetic over a pool is plain integer math.
class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(uint32_t host_order) : value_(host_order) {}

  // Parses dotted-quad text ("10.244.1.7"); the error names the text and what is wrong.
  static absl::StatusOr<Ipv4Address> Parse(std::string_view text);

  // The address as a host-order integer, for pool arithmetic and for storage.
  constexpr uint32_t value() const { return value_; }
  // The address in network byte order, for sockaddr_in, netlink and packets.
  uint32_t network_order() const;
  // Dotted-quad text, for results, logs and error messages.
  std::string ToString() const;

  friend constexpr bool operator==(Ipv4Address, Ipv4Address) = default;
  friend constexpr auto operator<=>(Ipv4Address, Ipv4Address) = default;

 private:
  uint32_t value_ = 0;
};

// An IPv4 network such as a node's podCIDR (10.244.1.0/24). Always canonical: the host bits
// of network() are zero, so equal networks compare equal.
class Cidr {
 public:
  // Parses "a.b.c.d/len"; rejects a missing or out-of-range prefix and set host bits (the
  // error suggests the network that was probably meant).
  static absl::StatusOr<Cidr> Parse(std::string_view text);

  // Builds the network of `address`/`prefix_len` by clearing host bits; prefix_len <= 32.
  static absl::StatusOr<Cidr> FromAddress(Ipv4Address address, int prefix_len);

  // The network address (all host bits zero).
  Ipv4Address network() const { return network_; }
  // The prefix length, for "ip/prefix" results and netlink addresses.
  int prefix_len() const { return prefix_len_; }
  // The directed broadcast address (all host bits one).
  Ipv4Address broadcast() const;
  // The number of addresses in the network, network and broadcast included (2^(32-len)).
  uint64_t size() const { return uint64_t{1} << (32 - prefix_len_); }
  // Whether `address` lies inside the network, network and broadcast addresses included.
  bool Contains(Ipv4Address address) const;
  // Whether every address of `other` lies inside this network (a pod CIDR grown in place).
  bool Contains(const Cidr& other) const;
  // The n-th host address (network + n); n must be in [1, size-2] so it is never the
  // network or broadcast address. The error names the CIDR and the valid range.
  absl::StatusOr<Ipv4Address> NthHost(uint64_t n) const;
  // The pod gateway: the first usable address (.1 of a /24); meaningful for prefix <= 30.
  Ipv4Address Gateway() const { return Ipv4Address(network_.value() + 1); }
  // "10.244.1.0/24".
  std::string ToString() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;

 private:
  Cidr(Ipv4Address network, int prefix_len) : network_(network), prefix_len_(prefix_len) {}

  Ipv4Address network_;
  int prefix_len_ = 32;
};

}  // namespace podswitch::agent::ipam
