// Shared pieces of the DPDK root tests: EAL once per test binary (a gtest Environment with
// its own --file-prefix), one packet pool, shell helpers, and RAII guards for the network
// namespaces and veths a test makes, so they go away even when an assertion fails.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dpdk/pmd.h"
#include "dataplane/dpdk/port.h"

struct rte_mempool;

namespace podswitch::dpdk::testing {

// Starts EAL for this binary under `instance` (its --file-prefix) with two PMD lcores and
// creates the shared pool; call once from a static initializer of each test binary.
void RegisterEalEnvironment(std::string instance);
// The pool every test port draws from.
rte_mempool* TestPool();

// "psd<pid>": the prefix of every kernel name a test makes, unique per process.
std::string NamePrefix();

// Runs a shell command; returns its exit status (logged when non-zero).
int Sh(const std::string& command);
// Runs a shell command and returns its standard output.
std::string ShOut(const std::string& command);

// A pod: a network namespace with eth0, one end of a veth pair whose other end stays in the
// root namespace (the switch's port). Deleted, with the namespace, on destruction.
class ScopedPod {
 public:
  // `ip_cidr` like "10.250.1.1/24"; the pod-side veth gets tx checksum offload turned off
  // (a userspace switch cannot complete the kernel's partial checksums) and IPv6 disabled
  // on both ends (no background traffic).
  ScopedPod(std::string ns, std::string host_if, std::string ip_cidr);
  ~ScopedPod();
  ScopedPod(const ScopedPod&) = delete;
  ScopedPod& operator=(const ScopedPod&) = delete;

  bool ok() const { return ok_; }
  const std::string& ns() const { return ns_; }
  const std::string& host_if() const { return host_if_; }
  std::string ip() const;  // without the prefix length
  // Runs `command` inside the namespace.
  int Exec(const std::string& command) const;

 private:
  std::string ns_;
  std::string host_if_;
  std::string ip_cidr_;
  bool ok_ = false;
};

// Outcome of `ping -c N` from one namespace.
struct PingResult {
  int sent = 0;
  int received = 0;
};
PingResult Ping(const ScopedPod& from, const std::string& to_ip, int count, double interval_s);

// True when no root-namespace address lies in 10.250.0.0/16, the tests' private range.
bool TestRangeFreeInRootNamespace();

// Opens a port on the test pool, failing the test (ADD_FAILURE) and returning nullptr on
// error.
std::unique_ptr<Port> OpenPort(const std::string& name, const std::string& type,
                               std::map<std::string, std::string> options = {});

// Adds the flow `text` (ovs-ofctl syntax) to `bridge` on its PMD.
absl::Status AddFlow(Datapath& dp, const std::string& bridge, const std::string& text);

// CPU time (user + system, seconds) the kernel thread `tid` of this process has used.
double ThreadCpuSeconds(int tid);

}  // namespace podswitch::dpdk::testing
