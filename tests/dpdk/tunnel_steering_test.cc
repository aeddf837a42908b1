// The tc program that keeps tunnel datagrams from the node's IP stack, against a real kernel:
// its verdicts on frames (BPF_PROG_TEST_RUN), one shared tcx attachment per address, and the
// whole effect on a veth. The test process moves into a network namespace of its own (the
// kernel deletes it, the veth and any attachment when the process exits), wired to a peer:
//
//   this process's namespace           peer namespace psd<pid>st
//   st0 10.227.5.1/24   <--veth-->      st1 10.227.5.2/24 (sends the UDP datagrams)
#include "dataplane/dpdk/tunnel_steering.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/core/packet/addr.h"
#include "dataplane/core/testing/packet_builder.h"
#include "dataplane/dpdk/vxlan_filter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dpdk/test_support.h"

namespace podswitch::dpdk {
namespace {

using core::PacketBuilder;
using ::testing::IsEmpty;
using testing::NamePrefix;
using testing::Sh;

constexpr int kBpfTcxIngress = 46;  // Linux 6.6's BPF_TCX_INGRESS
constexpr int kDrop = TC_ACT_SHOT;
constexpr int kNext = TC_ACT_UNSPEC;

uint32_t Ip(const char* text) { return core::Ipv4FromString(text).value(); }

// The program for 192.0.2.1:4789, loaded once, and its verdict on a frame.
class LoadedProgram {
 public:
  LoadedProgram() {
    std::vector<bpf_insn> program = SteeringProgram(Ip("192.0.2.1"), 4789);
    std::string log(65536, '\0');
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 1,
                .log_size = static_cast<uint32_t>(log.size()), .log_buf = log.data());
    fd_ = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "steering_test", "GPL", program.data(),
                        program.size(), &opts);
    if (fd_ < 0) ADD_FAILURE() << "bpf_prog_load: " << std::strerror(errno) << "\n" << log.c_str();
  }
  ~LoadedProgram() {
    if (fd_ >= 0) close(fd_);
  }

  int Verdict(std::vector<uint8_t> frame) const {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = static_cast<uint32_t>(frame.size()), .repeat = 1);
    if (bpf_prog_test_run_opts(fd_, &opts) != 0) {
      ADD_FAILURE() << "BPF_PROG_TEST_RUN: " << std::strerror(errno);
      return 99;
    }
    return static_cast<int>(opts.retval);
  }

 private:
  int fd_ = -1;
};

struct Outer {
  std::string dst = "192.0.2.1";
  uint16_t dport = 4789;
  core::Ipv4Fields ip = {};
};

std::vector<uint8_t> Datagram(const Outer& o) {
  std::vector<uint8_t> inner =
      PacketBuilder().Eth("02:00:00:00:00:01", "02:00:00:00:00:02").Payload(30).Build();
  return PacketBuilder()
      .Eth("02:00:00:00:00:0a", "02:00:00:00:00:0b")
      .Ipv4("192.0.2.2", o.dst, o.ip)
      .Udp(50000, o.dport)
      .Vxlan(42, inner)
      .Build();
}

class SteeringProgramTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (BPF_PROG_LOAD)";
  }
};

TEST_F(SteeringProgramTest, DropsTunnelDatagramsToTheAddressOnly) {
  LoadedProgram program;
  EXPECT_EQ(program.Verdict(Datagram({})), kDrop);
  const core::Ipv4Fields options = {.options = {1, 1, 1, 1, 1, 1, 1, 1}};  // NOPs: IHL 7
  EXPECT_EQ(program.Verdict(Datagram({.ip = options})), kDrop) << "UDP found behind IP options";
  EXPECT_EQ(program.Verdict(Datagram({.dst = "192.0.2.3"})), kNext) << "another local address";
  EXPECT_EQ(program.Verdict(Datagram({.dst = "129.0.2.1"})), kNext) << "high bit of the address";
  EXPECT_EQ(program.Verdict(Datagram({.dport = 4790})), kNext) << "another UDP port";
}

TEST_F(SteeringProgramTest, LeavesFragmentsTaggedAndOtherFramesToTheKernel) {
  LoadedProgram program;
  EXPECT_EQ(program.Verdict(Datagram({.ip = {.frag_offset = 10}})), kNext);
  EXPECT_EQ(program.Verdict(Datagram({.ip = {.more_fragments = true}})), kNext)
      << "a first fragment: the kernel must reassemble it";
  EXPECT_EQ(program.Verdict(Datagram({.ip = {.dont_fragment = true}})), kDrop);
  EXPECT_EQ(program.Verdict(PacketBuilder()
                                .Eth("02:00:00:00:00:0a", "02:00:00:00:00:0b")
                                .Ipv4("192.0.2.2", "192.0.2.1")
                                .Tcp(50000, 4789)
                                .Build()),
            kNext);
  EXPECT_EQ(program.Verdict(PacketBuilder()
                                .Eth("02:00:00:00:00:0a", "02:00:00:00:00:0b")
                                .Vlan(10)
                                .Ipv4("192.0.2.2", "192.0.2.1")
                                .Udp(50000, 4789)
                                .Payload(16)
                                .Build()),
            kNext);
  EXPECT_EQ(program.Verdict(PacketBuilder()
                                .Eth("02:00:00:00:00:0a", "02:00:00:00:00:0b")
                                .Ipv6("2001:db8::2", "2001:db8::1")
                                .Udp(50000, 4789)
                                .Payload(16)
                                .Build()),
            kNext);
  std::vector<uint8_t> truncated = Datagram({});
  truncated.resize(14 + 20 + 2);  // before the UDP destination port
  EXPECT_EQ(program.Verdict(truncated), kNext);
}

// The kernel's Udp counters of this namespace (/proc/self/net/snmp).
struct UdpCounters {
  uint64_t in_datagrams = 0;
  uint64_t no_ports = 0;
};

UdpCounters ReadUdpCounters() {
  std::ifstream snmp("/proc/self/net/snmp");
  std::string names;
  std::string values;
  std::string line;
  while (std::getline(snmp, line)) {
    if (line.rfind("Udp: ", 0) != 0) continue;
    if (names.empty()) {
      names = line;
    } else {
      values = line;
      break;
    }
  }
  std::istringstream n(names);
  std::istringstream v(values);
  std::string name;
  std::string value;
  UdpCounters out;
  while (n >> name && v >> value) {
    if (name == "InDatagrams") out.in_datagrams = std::stoull(value);
    if (name == "NoPorts") out.no_ports = std::stoull(value);
  }
  return out;
}

class UplinkSteeringTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    if (unshare(CLONE_NEWNET) != 0) {
      setup_error_ = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    peer_ = NamePrefix() + "st";
    const std::string peer = " -n " + peer_ + " ";
    bool ok = Sh("ip netns add " + peer_) == 0 &&
              Sh("ip link add st0 type veth peer name st1 netns " + peer_) == 0 &&
              Sh("ip link set lo up") == 0 && Sh("ip link set st0 up") == 0 &&
              Sh("ip addr add 10.227.5.1/24 dev st0") == 0 &&
              Sh("ip" + peer + "link set st1 up") == 0 &&
              Sh("ip" + peer + "addr add 10.227.5.2/24 dev st1") == 0 &&
              Sh("ip netns exec " + peer_ + " ping -q -c 1 -W 2 10.227.5.1 >/dev/null") == 0;
    if (!ok) setup_error_ = "could not build the test namespaces (see [sh] lines above)";
  }

  static void TearDownTestSuite() {
    if (!peer_.empty()) Sh("ip netns del " + peer_ + " 2>/dev/null || true");
  }

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, BPF)";
    ASSERT_THAT(setup_error_, IsEmpty());
    ifindex_ = static_cast<int>(if_nametoindex("st0"));
  }

  // How many programs sit at st0's tcx ingress.
  int AttachedPrograms() const {
    uint32_t count = 0;
    uint32_t flags = 0;
    if (bpf_prog_query(ifindex_, static_cast<bpf_attach_type>(kBpfTcxIngress), 0, &flags, nullptr,
                       &count) != 0) {
      ADD_FAILURE() << "BPF_PROG_QUERY: " << std::strerror(errno);
    }
    return static_cast<int>(count);
  }

  // The peer sends `n` small UDP datagrams to 10.227.5.1:`port`.
  static void PeerSends(int n, uint16_t port) {
    Sh("ip netns exec " + peer_ +
       " python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
       "[s.sendto(bytes(60), (\"10.227.5.1\", " +
       std::to_string(port) + ")) for _ in range(" + std::to_string(n) + ")]'");
  }

  static inline std::string peer_;
  static inline std::string setup_error_;
  int ifindex_ = 0;
};

TEST_F(UplinkSteeringTest, OneAttachmentPerAddressUntilTheLastHoldGoes) {
  UplinkSteering steering;
  ASSERT_EQ(AttachedPrograms(), 0);
  auto first = steering.Acquire(ifindex_, Ip("10.227.5.1"), 4789);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = steering.Acquire(ifindex_, Ip("10.227.5.1"), 4789);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(AttachedPrograms(), 1) << "ports on one address share the program";
  auto other_port = steering.Acquire(ifindex_, Ip("10.227.5.1"), 8472);
  ASSERT_TRUE(other_port.ok()) << other_port.status();
  EXPECT_EQ(AttachedPrograms(), 2);
  other_port->reset();
  first->reset();
  EXPECT_EQ(AttachedPrograms(), 1) << "a port is still on 4789";
  second->reset();
  EXPECT_EQ(AttachedPrograms(), 0);
}

TEST_F(UplinkSteeringTest, AnInterfaceThatDoesNotExistIsAnError) {
  UplinkSteering steering;
  auto hold = steering.Acquire(999999, Ip("10.227.5.1"), 4789);
  EXPECT_FALSE(hold.ok());
  EXPECT_THAT(hold.status().message(), ::testing::HasSubstr("tcx"));
}

TEST_F(UplinkSteeringTest, TheStackMissesSteeredDatagramsThatAPacketSocketStillGets) {
  // The uplink socket of a vxlan port: AF_PACKET, ETH_P_ALL, with the port's filter.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::vector<sock_filter> filter = VxlanFilter({.local_ip = Ip("10.227.5.1"), .dst_port = 4789});
  sock_fprog prog{.len = static_cast<unsigned short>(filter.size()), .filter = filter.data()};
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)), 0);
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = ifindex_;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  // Frames for `n` datagrams, waiting up to two seconds for them.
  auto receive = [fd](int n) {
    int got = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    std::vector<uint8_t> frame(2048);
    while (got < n && std::chrono::steady_clock::now() < deadline) {
      if (recv(fd, frame.data(), frame.size(), MSG_DONTWAIT) > 0) {
        ++got;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    return got;
  };
  constexpr int kDatagrams = 20;

  UplinkSteering steering;
  auto hold = steering.Acquire(ifindex_, Ip("10.227.5.1"), 4789);
  ASSERT_TRUE(hold.ok()) << hold.status();
  UdpCounters before = ReadUdpCounters();
  PeerSends(kDatagrams, 4789);
  EXPECT_EQ(receive(kDatagrams), kDatagrams) << "the packet socket sees them before tc";
  UdpCounters after = ReadUdpCounters();
  EXPECT_EQ(after.in_datagrams, before.in_datagrams);
  EXPECT_EQ(after.no_ports, before.no_ports) << "the stack never saw them";

  PeerSends(kDatagrams, 4790);  // the node's other traffic reaches its stack
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  UdpCounters other = ReadUdpCounters();
  EXPECT_EQ(other.no_ports, after.no_ports + kDatagrams);

  hold->reset();
  PeerSends(kDatagrams, 4789);
  EXPECT_EQ(receive(kDatagrams), kDatagrams);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(ReadUdpCounters().no_ports, other.no_ports + kDatagrams)
      << "without the program the stack sees them again";
  close(fd);
}

}  // namespace
}  // namespace podswitch::dpdk
