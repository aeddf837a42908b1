// Pod wiring against the real kernel: every test makes its own network namespaces (pods) named
// psw-t-<pid>-<n>, uses 10.251.x.x only inside them, and removes them and every veth it made
// even when it fails. Root only; skipped otherwise.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/netlink/netns.h"
#include "agent/netlink/pod_wiring.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace podswitch::agent::netlink {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Runs a shell command and returns its stdout (stderr discarded).
std::string Sh(const std::string& command, int* exit_status = nullptr) {
  std::string output;
  FILE* pipe = popen(absl::StrCat(command, " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return output;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  int status = pclose(pipe);
  if (exit_status != nullptr) *exit_status = WEXITSTATUS(status);
  return output;
}

bool LinkExists(const std::string& name, const std::string& netns = "") {
  int status = 0;
  Sh(netns.empty() ? absl::StrCat("ip link show dev ", name)
                   : absl::StrCat("ip -n ", netns, " link show dev ", name),
     &status);
  return status == 0;
}

// A pod: a network namespace made with `ip netns add` and deleted with it.
class ScopedNetns {
 public:
  ScopedNetns() : name_(absl::StrCat("psw-t-", getpid(), "-", next_++)) {
    int status = 0;
    Sh(absl::StrCat("ip netns add ", name_), &status);
    EXPECT_EQ(status, 0) << "ip netns add " << name_;
  }
  ~ScopedNetns() { Sh(absl::StrCat("ip netns del ", name_)); }
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const { return absl::StrCat("/var/run/netns/", name_); }
  // Runs an `ip` subcommand inside the namespace.
  std::string Ip(const std::string& args, int* status = nullptr) const {
    return Sh(absl::StrCat("ip -n ", name_, " ", args), status);
  }

 private:
  static inline int next_ = 0;
  std::string name_;
};

// Deletes a root-namespace link on scope exit, for when a test fails half-way.
class ScopedHostLink {
 public:
  explicit ScopedHostLink(std::string name) : name_(std::move(name)) {}
  ~ScopedHostLink() { Sh(absl::StrCat("ip link del ", name_)); }

 private:
  std::string name_;
};

class PodWiringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (netns, veth)";
    // Our test subnet must not exist in the root namespace (its eth0 is the real network).
    ASSERT_THAT(Sh("ip -o addr"), ::testing::Not(HasSubstr("inet 10.251.")));
  }

  PodInterfaceConfig Config(const ScopedNetns& pod, int subnet, int host = 10) {
    return PodInterfaceConfig{
        .container_id = absl::StrCat("nltest-", getpid(), "-", pod.name()),
        .netns_path = pod.path(),
        .ifname = "eth0",
        .ip = ipam::Ipv4Address((10u << 24) | (251u << 16) | (subnet << 8) | host),
        .prefix_len = 24,
        .gateway = ipam::Ipv4Address((10u << 24) | (251u << 16) | (subnet << 8) | 1),
        .mtu = 1400,
    };
  }
};

TEST_F(PodWiringTest, SetupWiresThePodAndCheckPasses) {
  ScopedNetns pod;
  PodInterfaceConfig config = Config(pod, 1);
  ScopedHostLink cleanup(HostVethName(config.container_id));
  absl::StatusOr<PodInterface> wired = SetupPodInterface(config);
  ASSERT_TRUE(wired.ok()) << wired.status();
  EXPECT_EQ(wired->host_ifname, HostVethName(config.container_id));
  EXPECT_EQ(wired->pod_ifname, "eth0");
  EXPECT_EQ(wired->pod_mac, "0a:58:0a:fb:01:0a");
  EXPECT_EQ(wired->host_ifindex, static_cast<int>(if_nametoindex(wired->host_ifname.c_str())));

  nlohmann::json host = nlohmann::json::parse(Sh("ip -j link show dev " + wired->host_ifname));
  ASSERT_EQ(host.size(), 1u);
  EXPECT_THAT(host[0]["flags"].dump(), HasSubstr("\"UP\""));
  EXPECT_EQ(host[0]["mtu"], 1400);
  EXPECT_EQ(host[0]["address"], wired->host_mac);

  nlohmann::json link = nlohmann::json::parse(pod.Ip("-j addr show dev eth0"));
  ASSERT_EQ(link.size(), 1u);
  EXPECT_EQ(link[0]["ifname"], "eth0");
  EXPECT_EQ(link[0]["address"], "0a:58:0a:fb:01:0a");
  EXPECT_EQ(link[0]["mtu"], 1400);
  EXPECT_EQ(link[0]["operstate"], "UP");
  bool has_address = false;
  for (const auto& info : link[0]["addr_info"]) {
    if (info["family"] == "inet") {
      EXPECT_EQ(info["local"], "10.251.1.10");
      EXPECT_EQ(info["prefixlen"], 24);
      EXPECT_EQ(info["broadcast"], "10.251.1.255");
      has_address = true;
    }
  }
  EXPECT_TRUE(has_address);

  nlohmann::json routes = nlohmann::json::parse(pod.Ip("-j -4 route show default"));
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0]["gateway"], "10.251.1.1");
  EXPECT_EQ(routes[0]["dev"], "eth0");

  std::string features = Sh(absl::StrCat("ip netns exec ", pod.name(), " ethtool -k eth0"));
  EXPECT_THAT(features, HasSubstr("tx-checksumming: off"));
  EXPECT_THAT(features, HasSubstr("tcp-segmentation-offload: off"));

  EXPECT_TRUE(CheckPodInterface(config).ok()) << CheckPodInterface(config);
}

TEST_F(PodWiringTest, CheckNamesWhatDiffers) {
  ScopedNetns pod;
  PodInterfaceConfig config = Config(pod, 2);
  std::string host_name = HostVethName(config.container_id);
  ScopedHostLink cleanup(host_name);

  absl::Status missing = CheckPodInterface(config);
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr(absl::StrCat("host veth ", host_name, " of container ",
                                                        config.container_id, " is missing")));

  ASSERT_TRUE(SetupPodInterface(config).ok());
  ASSERT_TRUE(CheckPodInterface(config).ok());

  pod.Ip("link set eth0 mtu 1300");
  absl::Status mtu = CheckPodInterface(config);
  EXPECT_EQ(mtu.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(mtu.message(), HasSubstr(absl::StrCat("MTU of eth0 in netns ", pod.path(),
                                                    " is 1300, expected 1400")));
  pod.Ip("link set eth0 mtu 1400");

  pod.Ip("route del default");
  absl::Status route = CheckPodInterface(config);
  EXPECT_EQ(route.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(route.message(), HasSubstr("default route via 10.251.2.1 dev eth0 in netns"));

  pod.Ip("addr del 10.251.2.10/24 dev eth0");
  absl::Status address = CheckPodInterface(config);
  EXPECT_EQ(address.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(address.message(),
              HasSubstr(absl::StrCat("address 10.251.2.10/24 is missing on eth0 in netns ",
                                     pod.path(), " (it has none)")));

  pod.Ip("link del eth0");  // deletes the host end with it
  absl::Status gone = CheckPodInterface(config);
  EXPECT_EQ(gone.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(gone.message(), HasSubstr("host veth"));
}

TEST_F(PodWiringTest, CheckNamesAMissingPodInterface) {
  ScopedNetns pod;
  PodInterfaceConfig config = Config(pod, 3);
  ScopedHostLink cleanup(HostVethName(config.container_id));
  ASSERT_TRUE(SetupPodInterface(config).ok());
  config.ifname = "net1";  // the host veth for net1 does not exist either
  EXPECT_THAT(CheckPodInterface(config).message(), HasSubstr("is missing"));
  config.ifname = "eth0";
  config.ip = ipam::Ipv4Address(config.ip->value() + 1);  // a different address, so MAC differs
  absl::Status mac = CheckPodInterface(config);
  EXPECT_EQ(mac.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(mac.message(), HasSubstr("MAC of eth0 in netns"));
  EXPECT_THAT(mac.message(), HasSubstr("expected 0a:58:0a:fb:03:0b"));
}

TEST_F(PodWiringTest, DeleteSucceedsAgainAndWithoutNetns) {
  ScopedNetns pod;
  PodInterfaceConfig config = Config(pod, 4);
  std::string host_name = HostVethName(config.container_id);
  ScopedHostLink cleanup(host_name);
  ASSERT_TRUE(SetupPodInterface(config).ok());
  ASSERT_TRUE(LinkExists(host_name));

  absl::Status first = DeletePodInterface(config.container_id, pod.path(), "eth0");
  EXPECT_TRUE(first.ok()) << first;
  EXPECT_FALSE(LinkExists(host_name));
  EXPECT_FALSE(LinkExists("eth0", pod.name()));
  EXPECT_TRUE(DeletePodInterface(config.container_id, pod.path(), "eth0").ok());
  EXPECT_TRUE(DeletePodInterface(config.container_id, "", "eth0").ok());
  EXPECT_TRUE(
      DeletePodInterface(config.container_id, "/var/run/netns/psw-t-no-such-netns", "eth0").ok());
  // A netns path whose mount is gone: an ordinary (empty) file.
  std::string stale = absl::StrCat(::testing::TempDir(), "/psw-t-stale-netns-", getpid());
  Sh(absl::StrCat("touch ", stale));
  absl::Status unmounted = DeletePodInterface(config.container_id, stale, "eth0");
  Sh(absl::StrCat("rm -f ", stale));
  EXPECT_TRUE(unmounted.ok()) << unmounted;
}

TEST_F(PodWiringTest, SetupWithAMissingNetnsLeavesNoVethBehind) {
  std::string container_id = absl::StrCat("nltest-", getpid(), "-missing");
  std::string host_name = HostVethName(container_id);
  ScopedHostLink cleanup(host_name);
  // A host veth of an earlier attempt that crashed half-way.
  Sh(absl::StrCat("ip link add ", host_name, " type veth peer name pswx", getpid() % 100000));
  ASSERT_TRUE(LinkExists(host_name));

  ScopedNetns unused;  // only for the addressing
  PodInterfaceConfig config = Config(unused, 5);
  config.container_id = container_id;
  config.netns_path = "/var/run/netns/psw-t-does-not-exist";
  absl::StatusOr<PodInterface> wired = SetupPodInterface(config);
  EXPECT_EQ(wired.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(wired.status().message(),
            "open netns /var/run/netns/psw-t-does-not-exist: No such file or directory");
  EXPECT_FALSE(LinkExists(host_name));
}

TEST_F(PodWiringTest, FailureAfterTheVethExistsIsUndone) {
  ScopedNetns pod;
  PodInterfaceConfig config = Config(pod, 6);
  std::string host_name = HostVethName(config.container_id);
  ScopedHostLink cleanup(host_name);
  // The pod already has a default route, so adding ours fails after the veth was made.
  // (No dummy driver on every kernel: a veth pair inside the pod plays the other network.)
  pod.Ip("link add v0 type veth peer name v1");
  pod.Ip("addr add 10.251.99.2/24 dev v0");
  pod.Ip("link set v1 up");
  pod.Ip("link set v0 up");
  int status = 0;
  pod.Ip("route add default via 10.251.99.1", &status);
  ASSERT_EQ(status, 0);

  absl::StatusOr<PodInterface> wired = SetupPodInterface(config);
  EXPECT_EQ(wired.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(wired.status().message(),
            absl::StrCat("add default route via 10.251.6.1 dev eth0 in netns ", pod.path(),
                         ": File exists"));
  EXPECT_FALSE(LinkExists(host_name));
  EXPECT_FALSE(LinkExists("eth0", pod.name()));
}

TEST_F(PodWiringTest, SetupAgainAfterAnInterruptedOrCompleteAttempt) {
  ScopedNetns pod;
  PodInterfaceConfig config = Config(pod, 7);
  ScopedHostLink cleanup(HostVethName(config.container_id));
  ASSERT_TRUE(SetupPodInterface(config).ok());
  pod.Ip("addr flush dev eth0");  // as if the agent died before configuring the pod side
  absl::StatusOr<PodInterface> again = SetupPodInterface(config);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(CheckPodInterface(config).ok()) << CheckPodInterface(config);
}

TEST_F(PodWiringTest, InterfaceNameConflictInThePodFailsCleanly) {
  ScopedNetns pod;
  PodInterfaceConfig config = Config(pod, 8);
  std::string host_name = HostVethName(config.container_id);
  ScopedHostLink cleanup(host_name);
  int status = 0;
  pod.Ip("link add eth0 type bridge", &status);  // not a veth: someone else's eth0
  ASSERT_EQ(status, 0);
  absl::StatusOr<PodInterface> wired = SetupPodInterface(config);
  EXPECT_EQ(wired.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(wired.status().message(),
              StartsWith(absl::StrCat("create veth ", host_name, " with peer eth0 in netns ",
                                      pod.path(), ": File exists")));
  EXPECT_FALSE(LinkExists(host_name));
  // DEL leaves the interface that is not ours alone.
  EXPECT_TRUE(DeletePodInterface(config.container_id, pod.path(), "eth0").ok());
  EXPECT_TRUE(LinkExists("eth0", pod.name()));
}

// The trap of the issue: with tx checksum offload on, a veth hands the switch TCP segments
// whose checksum was left to "hardware". What leaves the pod must carry a complete checksum.
TEST_F(PodWiringTest, TcpLeavesThePodWithACompleteChecksum) {
  ScopedNetns pod;
  PodInterfaceConfig config = Config(pod, 11);
  ScopedHostLink cleanup(HostVethName(config.container_id));
  absl::StatusOr<PodInterface> wired = SetupPodInterface(config);
  ASSERT_TRUE(wired.ok()) << wired.status();
  // No switch answers ARP here: give the pod a neighbour entry for its gateway.
  pod.Ip("neigh add 10.251.11.1 lladdr 02:00:00:00:00:01 dev eth0");

  UniqueFd listener(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP)));
  ASSERT_TRUE(listener.valid());
  sockaddr_ll bind_to{};
  bind_to.sll_family = AF_PACKET;
  bind_to.sll_protocol = htons(ETH_P_IP);
  bind_to.sll_ifindex = wired->host_ifindex;
  ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&bind_to), sizeof(bind_to)), 0);
  std::thread connect([&] {
    Sh(absl::StrCat("timeout 2 ip netns exec ", pod.name(),
                    " bash -c 'exec 3<>/dev/tcp/10.251.11.1/80'"));
  });

  std::array<uint8_t, 2048> frame{};
  ssize_t n = 0;
  for (int tries = 0; tries < 20; ++tries) {
    pollfd ready{.fd = listener.get(), .events = POLLIN, .revents = 0};
    if (poll(&ready, 1, 2000) != 1) break;
    n = recv(listener.get(), frame.data(), frame.size(), 0);
    if (n >= 54 && frame[23] == IPPROTO_TCP) break;  // Ethernet + IPv4 + TCP, protocol TCP
    n = 0;
  }
  connect.join();
  ASSERT_GE(n, 54) << "no TCP segment left the pod";
  const uint8_t* ip = frame.data() + 14;
  size_t ip_header = (ip[0] & 0x0f) * 4;
  size_t ip_total = (size_t{ip[2]} << 8) | ip[3];
  ASSERT_LE(14 + ip_total, static_cast<size_t>(n));
  size_t tcp_length = ip_total - ip_header;
  // One's-complement sum over the pseudo-header and the segment: 0xffff when correct.
  uint32_t sum = 0;
  auto add = [&sum](const uint8_t* data, size_t length) {
    for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
    if (length % 2 == 1) sum += uint32_t{data[length - 1]} << 8;
  };
  add(ip + 12, 8);  // source and destination addresses
  sum += IPPROTO_TCP + static_cast<uint32_t>(tcp_length);
  add(ip + ip_header, tcp_length);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu) << "TCP checksum of the pod's SYN is not complete";
}

TEST_F(PodWiringTest, ConcurrentSetupsAndDeletes) {
  constexpr int kPods = 16;
  std::vector<std::unique_ptr<ScopedNetns>> pods;
  std::vector<std::unique_ptr<ScopedHostLink>> cleanups;
  std::vector<PodInterfaceConfig> configs;
  for (int i = 0; i < kPods; ++i) {
    pods.push_back(std::make_unique<ScopedNetns>());
    configs.push_back(Config(*pods.back(), 10, 10 + i));
    cleanups.push_back(std::make_unique<ScopedHostLink>(HostVethName(configs.back().container_id)));
  }
  std::vector<absl::Status> results(kPods);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] {
      results[i] = SetupPodInterface(configs[i]).status();
      if (results[i].ok()) results[i] = CheckPodInterface(configs[i]);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kPods; ++i) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
  threads.clear();
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] {
      results[i] = DeletePodInterface(configs[i].container_id, configs[i].netns_path, "eth0");
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kPods; ++i) {
    EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
    EXPECT_FALSE(LinkExists(HostVethName(configs[i].container_id)));
  }
}

TEST_F(PodWiringTest, CallingThreadStaysInItsNamespace) {
  ScopedNetns pod;
  char self[64];
  ssize_t n = readlink("/proc/thread-self/ns/net", self, sizeof(self) - 1);
  ASSERT_GT(n, 0);
  self[n] = '\0';
  absl::StatusOr<UniqueFd> fd = OpenNetns(pod.path());
  ASSERT_TRUE(fd.ok());
  std::string inside;
  ASSERT_TRUE(RunInNetns(fd->get(), pod.path(), [&] {
                char link[64];
                ssize_t len = readlink("/proc/thread-self/ns/net", link, sizeof(link) - 1);
                if (len > 0) inside.assign(link, len);
                return absl::OkStatus();
              }).ok());
  char after[64];
  n = readlink("/proc/thread-self/ns/net", after, sizeof(after) - 1);
  ASSERT_GT(n, 0);
  after[n] = '\0';
  EXPECT_STREQ(self, after);
  EXPECT_NE(inside, std::string(self));
  EXPECT_THAT(inside, StartsWith("net:["));
}

}  // namespace
}  // namespace podswitch::agent::netlink
