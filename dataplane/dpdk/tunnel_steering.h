// UplinkSteering: keeps the node's IP stack (netfilter, conntrack, UDP) from ever seeing the
// VXLAN datagrams podswitchd takes off an uplink, while the node's other traffic on the
// interface is left alone. A tiny eBPF program at the uplink's tc ingress (tcx, Linux 6.6+)
// drops untagged, unfragmented IPv4 UDP to local_ip:dst_port and passes everything else on.
// Podswitchd still gets those frames: its uplink sockets are AF_PACKET sockets bound to
// ETH_P_ALL, which the kernel serves before tc ingress runs (__netif_receive_skb_core).
//
// One attachment per (uplink ifindex, local_ip, dst_port), shared by every vxlan port on that
// address and detached when the last of them lets go. The program is hand-assembled, so no
// BPF compiler or object file is needed; the link lives in a file descriptor of this process
// (never pinned), so the kernel detaches it when podswitchd exits or dies, and when the
// interface goes away. An uplink that is replaced (its ifindex changes) makes its vxlan ports
// KernelInterfaceGone: they are closed and reopened on the new interface, and so take a new
// attachment there. The ifindex is the one of the calling thread's network namespace.
//
// Fragments are passed on: podswitchd's uplink filter does not take them, so the kernel
// reassembles them, and the vxlan port's UDP guard socket on the address absorbs them.
// Non-matching frames get TC_ACT_UNSPEC, not TC_ACT_OK: under tcx TC_ACT_OK (TCX_PASS) would
// end the chain and skip the programs and tc filters other software attached after ours.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace podswitch::dpdk {

// The tc program (BPF_PROG_TYPE_SCHED_CLS) for local_ip:dst_port (host order): TC_ACT_SHOT
// for an untagged, unfragmented IPv4 UDP datagram to that address, TC_ACT_UNSPEC (tcx's
// TCX_NEXT: the next program or the stack decides) for any other frame. Pure, so a test can
// load it and run frames through it (BPF_PROG_TEST_RUN).
std::vector<bpf_insn> SteeringProgram(uint32_t local_ip, uint16_t dst_port);

class UplinkSteering {
 public:
  // One port's share of an attachment; destroying the last share detaches the program.
  class Hold {
   public:
    ~Hold();
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    friend class UplinkSteering;
    struct Key {
      int ifindex;
      uint32_t local_ip;
      uint16_t dst_port;
      friend bool operator==(const Key&, const Key&) = default;
      template <typename H>
      friend H AbslHashValue(H h, const Key& k) {
        return H::combine(std::move(h), k.ifindex, k.local_ip, k.dst_port);
      }
    };
    Hold(UplinkSteering* owner, Key key) : owner_(owner), key_(key) {}
    UplinkSteering* owner_;
    Key key_;
  };

  // The attachments of the process, shared by all its bridges.
  static UplinkSteering& Process();

  UplinkSteering() = default;
  UplinkSteering(const UplinkSteering&) = delete;
  UplinkSteering& operator=(const UplinkSteering&) = delete;

  // Steers local_ip:dst_port (host order) on interface `ifindex` away from the node's stack,
  // attaching the program unless another hold already did. The kernel's refusal (no
  // CAP_BPF/CAP_NET_ADMIN, a kernel without tcx) comes back as an error naming the step and
  // the interface, and nothing is left attached. A hold must not outlive its UplinkSteering.
  absl::StatusOr<std::unique_ptr<Hold>> Acquire(int ifindex, uint32_t local_ip, uint16_t dst_port);

 private:
  struct Attachment {
    int prog_fd = -1;
    int link_fd = -1;
    int holds = 0;
  };

  void Release(const Hold::Key& key);

  absl::Mutex mu_;
  absl::flat_hash_map<Hold::Key, Attachment> attached_ ABSL_GUARDED_BY(mu_);
};

}  // namespace podswitch::dpdk
