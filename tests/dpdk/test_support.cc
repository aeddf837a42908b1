#include "tests/dpdk/test_support.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "dataplane/core/flow/flow_syntax.h"
#include "dataplane/dpdk/eal.h"
#include "gtest/gtest.h"

namespace podswitch::dpdk::testing {
namespace {

rte_mempool* g_pool = nullptr;

class EalEnvironment : public ::testing::Environment {
 public:
  explicit EalEnvironment(std::string instance) : instance_(std::move(instance)) {}
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "root tests need root";
    EalOptions options;
    options.instance = instance_;
    options.pmd_threads = 2;
    if (const char* extra = std::getenv("PSD_EAL_ARGS")) options.extra_args = extra;  // debugging
    options.force_no_huge = std::getenv("PSD_NO_HUGE") != nullptr;
    absl::Status status = StartEal(options);
    ASSERT_TRUE(status.ok()) << status;
    absl::StatusOr<rte_mempool*> pool = CreatePacketPool("psd_test_pool", PacketPoolSize(8));
    ASSERT_TRUE(pool.ok()) << pool.status();
    g_pool = *pool;
  }
  void TearDown() override { StopEal(); }

 private:
  std::string instance_;
};

}  // namespace

void RegisterEalEnvironment(std::string instance) {
  ::testing::AddGlobalTestEnvironment(new EalEnvironment(std::move(instance)));
}

rte_mempool* TestPool() { return g_pool; }

std::string NamePrefix() { return "psd" + std::to_string(getpid() % 100000); }

int Sh(const std::string& command) {
  int rc = std::system(command.c_str());
  int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  if (status != 0) std::fprintf(stderr, "[sh] exit %d: %s\n", status, command.c_str());
  return status;
}

std::string ShOut(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  pclose(pipe);
  return out;
}

ScopedPod::ScopedPod(std::string ns, std::string host_if, std::string ip_cidr)
    : ns_(std::move(ns)), host_if_(std::move(host_if)), ip_cidr_(std::move(ip_cidr)) {
  const std::string q = " 2>&1 >/dev/null";
  ok_ = Sh("ip netns add " + ns_) == 0 &&
        Sh("ip link add " + host_if_ + " type veth peer name eth0 netns " + ns_) == 0 &&
        Sh("sysctl -qw net.ipv6.conf." + host_if_ + ".disable_ipv6=1") == 0 &&
        Sh("ip link set " + host_if_ + " up") == 0 &&
        Exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1") == 0 &&
        Exec("ip link set lo up") == 0 && Exec("ip link set eth0 up") == 0 &&
        Exec("ip addr add " + ip_cidr_ + " dev eth0") == 0 &&
        Exec("ethtool -K eth0 tx off >/dev/null") == 0;
}

ScopedPod::~ScopedPod() {
  // Deleting the namespace deletes eth0 and with it the whole veth pair.
  Sh("ip netns del " + ns_ + " 2>/dev/null");
  Sh("ip link del " + host_if_ + " 2>/dev/null || true");
}

std::string ScopedPod::ip() const { return ip_cidr_.substr(0, ip_cidr_.find('/')); }

int ScopedPod::Exec(const std::string& command) const {
  return Sh("ip netns exec " + ns_ + " " + command);
}

PingResult Ping(const ScopedPod& from, const std::string& to_ip, int count, double interval_s) {
  std::string out = ShOut("ip netns exec " + from.ns() + " ping -n -q -c " + std::to_string(count) +
                          " -i " + std::to_string(interval_s) + " -W 1 " + to_ip + " 2>&1");
  PingResult result;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"((\d+) packets transmitted, (\d+) received)"))) {
    result.sent = std::stoi(m[1]);
    result.received = std::stoi(m[2]);
  } else {
    std::fprintf(stderr, "[ping] unexpected output: %s\n", out.c_str());
  }
  return result;
}

bool TestRangeFreeInRootNamespace() {
  return ShOut("ip -o addr").find("inet 10.250.") == std::string::npos;
}

std::unique_ptr<Port> OpenPort(const std::string& name, const std::string& type,
                               std::map<std::string, std::string> options) {
  absl::StatusOr<std::unique_ptr<Port>> port =
      Port::Open({.name = name, .type = type, .options = std::move(options)}, TestPool());
  if (!port.ok()) {
    ADD_FAILURE() << port.status();
    return nullptr;
  }
  return std::move(*port);
}

absl::Status AddFlow(Datapath& dp, const std::string& bridge, const std::string& text) {
  absl::StatusOr<core::FlowSpec> spec = core::ParseFlow(text, core::FlowTextMode::kAdd);
  if (!spec.ok()) return spec.status();
  return dp.RunOnBridge(bridge,
                        [&](BridgeContext& b) { return b.pipeline().AddFlow(*spec, b.now_ms()); });
}

double ThreadCpuSeconds(int tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the ")" that closes the thread name: state is field 3, utime 14, stime 15.
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::vector<std::string> fields;
  std::string field;
  while (rest >> field) fields.push_back(field);
  if (fields.size() < 13) return 0;
  double ticks = std::stod(fields[11]) + std::stod(fields[12]);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace podswitch::dpdk::testing
