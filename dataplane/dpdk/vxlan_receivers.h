// VxlanReceivers: the open VXLAN ports of the process by the address they listen on
// (local_ip:dst_port), so each port learns which datagrams more specific ports on the same
// address claim (core/tunnel/vxlan_demux.h) and leaves them alone. Every port has its own
// uplink socket and sees every datagram its BPF filter passes, so the demux is each port
// skipping what is not its own.
//
// A port registers when it opens and its Registration unregisters it when destroyed; on
// every change each port of the address is handed its new claims through its callback, on
// the registering or unregistering thread (the control thread), never on a PMD.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "dataplane/core/tunnel/vxlan_demux.h"

namespace podswitch::dpdk {

class VxlanReceivers {
 public:
  // Receives a port's claims; called with the registry's lock held, so it must not call
  // back into the registry (taking the port's own lock is fine).
  using ClaimsCallback = std::function<void(std::unique_ptr<const core::VxlanClaims>)>;

  // A port's place in the registry; destroying it removes the port and updates the others.
  class Registration {
   public:
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    friend class VxlanReceivers;
    Registration(VxlanReceivers* registry, uint64_t id) : registry_(registry), id_(id) {}
    VxlanReceivers* registry_;
    uint64_t id_;
  };

  // The registry of the process, shared by all its bridges.
  static VxlanReceivers& Process();

  VxlanReceivers() = default;
  VxlanReceivers(const VxlanReceivers&) = delete;
  VxlanReceivers& operator=(const VxlanReceivers&) = delete;

  // Adds port `name` listening on local_ip:dst_port with `match`; `claims` gets its first
  // claims before this returns, and new ones whenever a port on the address comes or goes.
  // The registration must not outlive the registry. A port equal to one already there is
  // logged: both then take the same datagrams, as before this registry existed.
  std::unique_ptr<Registration> Register(std::string name, uint32_t local_ip, uint16_t dst_port,
                                         core::VxlanReceiveMatch match, ClaimsCallback claims);

 private:
  struct Receiver {
    uint64_t id;
    std::string name;
    core::VxlanReceiveMatch match;
    ClaimsCallback claims;
  };
  using Address = uint64_t;  // local_ip << 16 | dst_port

  void Unregister(uint64_t id);
  void HandOutClaims(const std::vector<Receiver>& receivers) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<Address, std::vector<Receiver>> by_address_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, Address> address_of_ ABSL_GUARDED_BY(mu_);
};

}  // namespace podswitch::dpdk
