#include "dataplane/dpdk/vxlan_filter.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/core/testing/packet_builder.h"
#include "gtest/gtest.h"

namespace podswitch::dpdk {
namespace {

using core::PacketBuilder;

constexpr uint32_t kLocal = 0xc0000201;   // 192.0.2.1
constexpr uint32_t kRemote = 0xc0000202;  // 192.0.2.2

// Runs the filter in the kernel without privileges: attached to the receiving end of a
// datagram socket pair, it sees each message from its first byte as it sees a frame on the
// uplink, and a message it refuses is dropped silently (the send still succeeds).
class KernelFilter {
 public:
  explicit KernelFilter(const core::VxlanPortOptions& options) : program_(VxlanFilter(options)) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) {
      ADD_FAILURE() << "socketpair: " << std::strerror(errno);
      return;
    }
    tx_ = fds[0];
    rx_ = fds[1];
    sock_fprog prog{.len = static_cast<unsigned short>(program_.size()), .filter = program_.data()};
    if (setsockopt(rx_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0) {
      ADD_FAILURE() << "SO_ATTACH_FILTER: " << std::strerror(errno);
    }
  }
  ~KernelFilter() {
    if (tx_ >= 0) close(tx_);
    if (rx_ >= 0) close(rx_);
  }

  // Whether the filter lets `frame` through.
  bool Accepts(const std::vector<uint8_t>& frame) {
    if (send(tx_, frame.data(), frame.size(), 0) != static_cast<ssize_t>(frame.size())) {
      ADD_FAILURE() << "send: " << std::strerror(errno);
      return false;
    }
    std::vector<uint8_t> got(frame.size() + 1);
    ssize_t n = recv(rx_, got.data(), got.size(), MSG_DONTWAIT);
    if (n < 0) {
      EXPECT_EQ(errno, EAGAIN) << std::strerror(errno);
      return false;
    }
    EXPECT_EQ(static_cast<size_t>(n), frame.size()) << "the whole frame is accepted";
    return true;
  }

 private:
  std::vector<sock_filter> program_;
  int tx_ = -1;
  int rx_ = -1;
};

std::vector<uint8_t> Inner() {
  return PacketBuilder()
      .Eth("02:00:00:00:00:01", "02:00:00:00:00:02")
      .Ipv4("10.0.1.5", "10.0.2.7")
      .Udp(1, 2)
      .Payload(20)
      .Build();
}

struct Outer {
  std::string src = "192.0.2.2";
  std::string dst = "192.0.2.1";
  uint16_t dport = 4789;
  uint32_t vni = 100;
  core::Ipv4Fields ip = {};
};

std::vector<uint8_t> Datagram(const Outer& o) {
  return PacketBuilder()
      .Eth("02:00:00:00:00:0a", "02:00:00:00:00:0b")
      .Ipv4(o.src, o.dst, o.ip)
      .Udp(50000, o.dport)
      .Vxlan(o.vni, Inner())
      .Build();
}

TEST(VxlanFilterTest, FlowBasedPortTakesAnyRemoteAndVni) {
  KernelFilter filter({.local_ip = kLocal});
  EXPECT_TRUE(filter.Accepts(Datagram({})));
  EXPECT_TRUE(filter.Accepts(Datagram({.src = "198.51.100.9", .vni = 7})));
  EXPECT_FALSE(filter.Accepts(Datagram({.dst = "192.0.2.3"}))) << "another local address";
  EXPECT_FALSE(filter.Accepts(Datagram({.dport = 8472}))) << "another UDP port";
}

TEST(VxlanFilterTest, FixedRemoteIsMatched) {
  KernelFilter filter({.local_ip = kLocal, .remote_ip = kRemote});
  EXPECT_TRUE(filter.Accepts(Datagram({.vni = 5})));
  EXPECT_FALSE(filter.Accepts(Datagram({.src = "192.0.2.3"})));
}

TEST(VxlanFilterTest, FixedKeyMatchesTheVni) {
  KernelFilter filter({.local_ip = kLocal, .remote_ip = kRemote, .key = 100});
  EXPECT_TRUE(filter.Accepts(Datagram({.vni = 100})));
  EXPECT_FALSE(filter.Accepts(Datagram({.vni = 101})));
  EXPECT_FALSE(filter.Accepts(Datagram({.vni = 100 | 1 << 16}))) << "all 24 bits count";
  EXPECT_FALSE(filter.Accepts(Datagram({.src = "192.0.2.3", .vni = 100})));
}

TEST(VxlanFilterTest, FixedKeyWithFlowRemote) {
  KernelFilter filter({.local_ip = kLocal, .key = 0xabcdef});
  EXPECT_TRUE(filter.Accepts(Datagram({.src = "198.51.100.9", .vni = 0xabcdef})));
  EXPECT_FALSE(filter.Accepts(Datagram({.vni = 0xabcdee})));
}

TEST(VxlanFilterTest, FixedKeyFindsTheVxlanHeaderBehindIpOptions) {
  KernelFilter filter({.local_ip = kLocal, .key = 100});
  const core::Ipv4Fields options = {.options = {1, 1, 1, 1, 1, 1, 1, 1}};  // NOPs: IHL 7
  EXPECT_TRUE(filter.Accepts(Datagram({.vni = 100, .ip = options})));
  EXPECT_FALSE(filter.Accepts(Datagram({.vni = 101, .ip = options})));
}

TEST(VxlanFilterTest, FixedKeyIgnoresTheReservedByteButNeedsTheIFlag) {
  KernelFilter filter({.local_ip = kLocal, .key = 100});
  std::vector<uint8_t> frame = Datagram({.vni = 100});
  const size_t vxlan = 14 + 20 + 8;
  frame[vxlan + 7] = 0x5a;  // reserved: ignored on receipt (RFC 7348)
  frame[vxlan + 1] = 0x01;
  EXPECT_TRUE(filter.Accepts(frame));
  frame[vxlan] = 0x00;  // no I flag: the VNI is not valid
  EXPECT_FALSE(filter.Accepts(frame));
  EXPECT_FALSE(filter.Accepts(std::vector<uint8_t>(frame.begin(), frame.begin() + vxlan + 6)))
      << "truncated before the VNI";
}

TEST(VxlanFilterTest, FragmentsAndOtherTrafficAreRefused) {
  KernelFilter filter({.local_ip = kLocal});
  EXPECT_FALSE(filter.Accepts(Datagram({.ip = {.frag_offset = 10}})));
  EXPECT_FALSE(filter.Accepts(PacketBuilder()
                                  .Eth("02:00:00:00:00:0a", "02:00:00:00:00:0b")
                                  .Ipv4("192.0.2.2", "192.0.2.1")
                                  .Tcp(50000, 4789)
                                  .Build()));
  EXPECT_FALSE(filter.Accepts(PacketBuilder()
                                  .Eth("02:00:00:00:00:0a", "02:00:00:00:00:0b")
                                  .Vlan(10)
                                  .Ipv4("192.0.2.2", "192.0.2.1")
                                  .Udp(50000, 4789)
                                  .Vxlan(100, Inner())
                                  .Build()));
}

}  // namespace
}  // namespace podswitch::dpdk
