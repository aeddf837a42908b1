#include "dataplane/dpdk/tunnel_steering.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/pkt_cls.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "dataplane/core/packet/addr.h"
#include "dataplane/core/packet/protocols.h"
#include "spdlog/spdlog.h"

namespace podswitch::dpdk {
namespace {

// Linux 6.6's attach type for tcx ingress links; Debian 12's linux/bpf.h (6.1) predates it.
constexpr int kBpfTcxIngress = 46;

// The few eBPF instructions the program needs, as the kernel's filter.h macros build them.
constexpr bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}
constexpr bpf_insn MovReg(uint8_t dst, uint8_t src) {
  return Insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
constexpr bpf_insn MovImm(uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
constexpr bpf_insn AluImm(uint8_t op, uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
constexpr bpf_insn Load(uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
  return Insn(BPF_LDX | size | BPF_MEM, dst, src, off, 0);
}
// A 32-bit compare: the immediate is not sign-extended against a zero-extended load.
constexpr bpf_insn JumpImm(uint8_t op, uint8_t dst, int32_t imm, int16_t off) {
  return Insn(BPF_JMP32 | op | BPF_K, dst, 0, off, imm);
}
constexpr bpf_insn Call(int32_t helper) { return Insn(BPF_JMP | BPF_CALL, 0, 0, 0, helper); }
constexpr bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// Jump offsets are patched to the "pass" tail once the program is complete.
constexpr int16_t kToPass = 0x7fff;

// Stack slots (from the frame pointer r10) the header reads land in, aligned for their loads.
constexpr int16_t kWordSlot = -8;   // EtherType, then the UDP destination port
constexpr int16_t kIpv4Slot = -32;  // the fixed 20 bytes of the IPv4 header

// Appends r0 = bpf_skb_load_bytes(ctx (r6), offset_reg or `offset`, r10 + slot, len) and a
// jump to pass when the frame is too short for it.
void AppendLoadBytes(std::vector<bpf_insn>& p, int32_t offset, int16_t slot, int32_t len,
                     int offset_reg = -1) {
  p.push_back(MovReg(BPF_REG_1, BPF_REG_6));
  if (offset_reg >= 0) {
    p.push_back(MovReg(BPF_REG_2, static_cast<uint8_t>(offset_reg)));
    p.push_back(AluImm(BPF_ADD, BPF_REG_2, offset));
  } else {
    p.push_back(MovImm(BPF_REG_2, offset));
  }
  p.push_back(MovReg(BPF_REG_3, BPF_REG_10));
  p.push_back(AluImm(BPF_ADD, BPF_REG_3, slot));
  p.push_back(MovImm(BPF_REG_4, len));
  p.push_back(Call(BPF_FUNC_skb_load_bytes));
  p.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, kToPass, 0));
}

// The bpf() call's result as an error message: the errno, and the verifier's last words.
std::string KernelError(int err, const char* log) {
  std::string out = std::strerror(err);
  if (log != nullptr && log[0] != '\0') {
    std::vector<std::string> lines = absl::StrSplit(log, '\n', absl::SkipWhitespace());
    if (!lines.empty()) absl::StrAppend(&out, " (verifier: ", lines.back(), ")");
  }
  return out;
}

std::string InterfaceName(int ifindex) {
  char name[IF_NAMESIZE] = {};
  if (if_indextoname(static_cast<unsigned>(ifindex), name) == nullptr) {
    return absl::StrCat("ifindex ", ifindex);
  }
  return name;
}

}  // namespace

std::vector<bpf_insn> SteeringProgram(uint32_t local_ip, uint16_t dst_port) {
  // Header fields within the IPv4 slot.
  constexpr int16_t kVersionIhl = kIpv4Slot;
  constexpr int16_t kFragment = kIpv4Slot + 6;
  constexpr int16_t kProtocol = kIpv4Slot + 9;
  constexpr int16_t kDestination = kIpv4Slot + 16;
  std::vector<bpf_insn> p = {
      MovReg(BPF_REG_6, BPF_REG_1),  // r6 = ctx, kept across helper calls
      // A tag the kernel took out of band: the frame is for a VLAN device, not the uplink.
      Load(BPF_W, BPF_REG_0, BPF_REG_6, offsetof(__sk_buff, vlan_present)),
      JumpImm(BPF_JNE, BPF_REG_0, 0, kToPass),
  };
  AppendLoadBytes(p, 12, kWordSlot, 2);  // EtherType
  p.push_back(Load(BPF_H, BPF_REG_0, BPF_REG_10, kWordSlot));
  p.push_back(JumpImm(BPF_JNE, BPF_REG_0, htons(ETH_P_IP), kToPass));
  AppendLoadBytes(p, core::kEthHeaderLen, kIpv4Slot, 20);
  const std::vector<bpf_insn> ipv4 = {
      Load(BPF_B, BPF_REG_0, BPF_REG_10, kVersionIhl),
      MovReg(BPF_REG_1, BPF_REG_0),
      AluImm(BPF_AND, BPF_REG_1, 0xf0),
      JumpImm(BPF_JNE, BPF_REG_1, 0x40, kToPass),  // IPv4
      AluImm(BPF_AND, BPF_REG_0, 0x0f),
      JumpImm(BPF_JLT, BPF_REG_0, 5, kToPass),
      AluImm(BPF_LSH, BPF_REG_0, 2),
      MovReg(BPF_REG_7, BPF_REG_0),  // r7 = IPv4 header length, kept across the next call
      // A fragment (MF or an offset) is left to the kernel, which reassembles it.
      Load(BPF_H, BPF_REG_0, BPF_REG_10, kFragment),
      JumpImm(BPF_JSET, BPF_REG_0, htons(0x3fff), kToPass),
      Load(BPF_B, BPF_REG_0, BPF_REG_10, kProtocol),
      JumpImm(BPF_JNE, BPF_REG_0, IPPROTO_UDP, kToPass),
      Load(BPF_W, BPF_REG_0, BPF_REG_10, kDestination),
      JumpImm(BPF_JNE, BPF_REG_0, static_cast<int32_t>(htonl(local_ip)), kToPass),
  };
  p.insert(p.end(), ipv4.begin(), ipv4.end());
  AppendLoadBytes(p, core::kEthHeaderLen + 2, kWordSlot, 2, BPF_REG_7);  // UDP destination port
  p.push_back(Load(BPF_H, BPF_REG_0, BPF_REG_10, kWordSlot));
  p.push_back(JumpImm(BPF_JNE, BPF_REG_0, htons(dst_port), kToPass));
  p.push_back(MovImm(BPF_REG_0, TC_ACT_SHOT));  // podswitchd has its copy already
  p.push_back(Exit());
  const size_t pass = p.size();
  p.push_back(MovImm(BPF_REG_0, TC_ACT_UNSPEC));
  p.push_back(Exit());
  for (size_t i = 0; i < pass; ++i) {
    const uint8_t cls = BPF_CLASS(p[i].code);
    if ((cls == BPF_JMP || cls == BPF_JMP32) && p[i].off == kToPass) {
      p[i].off = static_cast<int16_t>(pass - i - 1);
    }
  }
  return p;
}

UplinkSteering::Hold::~Hold() { owner_->Release(key_); }

UplinkSteering& UplinkSteering::Process() {
  // Never destroyed: a port closed during static destruction still finds it.
  static UplinkSteering* steering = new UplinkSteering();
  return *steering;
}

absl::StatusOr<std::unique_ptr<UplinkSteering::Hold>> UplinkSteering::Acquire(int ifindex,
                                                                              uint32_t local_ip,
                                                                              uint16_t dst_port) {
  const Hold::Key key{.ifindex = ifindex, .local_ip = local_ip, .dst_port = dst_port};
  const std::string where =
      absl::StrCat(InterfaceName(ifindex), " for ", core::Ipv4ToString(local_ip), ":", dst_port);
  absl::MutexLock lock(&mu_);
  if (auto it = attached_.find(key); it != attached_.end()) {
    ++it->second.holds;
    return std::unique_ptr<Hold>(new Hold(this, key));
  }
  const std::vector<bpf_insn> program = SteeringProgram(local_ip, dst_port);
  int prog_fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "podswitch_vxlan", "GPL", program.data(),
                              program.size(), nullptr);
  if (prog_fd < 0) {
    int err = errno;
    // Again with the verifier's log, only to say why.
    std::string log(16384, '\0');
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 1,
                .log_size = static_cast<uint32_t>(log.size()), .log_buf = log.data());
    int retry = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "podswitch_vxlan", "GPL", program.data(),
                              program.size(), &opts);
    if (retry >= 0) close(retry);
    return absl::UnavailableError(
        absl::StrCat("loading the tc program for ", where, ": ", KernelError(err, log.c_str())));
  }
  int link_fd =
      bpf_link_create(prog_fd, ifindex, static_cast<bpf_attach_type>(kBpfTcxIngress), nullptr);
  if (link_fd < 0) {
    int err = errno;
    close(prog_fd);
    return absl::UnavailableError(
        absl::StrCat("attaching the tc program to ", where,
                     " (tcx ingress, Linux 6.6+): ", KernelError(err, nullptr)));
  }
  attached_[key] = {.prog_fd = prog_fd, .link_fd = link_fd, .holds = 1};
  spdlog::info(
      "dpdk: tc ingress of {} drops the VXLAN datagrams podswitchd takes: the node's "
      "IP stack no longer sees them",
      where);
  return std::unique_ptr<Hold>(new Hold(this, key));
}

void UplinkSteering::Release(const Hold::Key& key) {
  absl::MutexLock lock(&mu_);
  auto it = attached_.find(key);
  if (it == attached_.end() || --it->second.holds > 0) return;
  close(it->second.link_fd);  // detaches the program (the kernel did if the interface went)
  close(it->second.prog_fd);
  spdlog::info("dpdk: tc ingress of {} no longer drops VXLAN datagrams to {}:{}",
               InterfaceName(key.ifindex), core::Ipv4ToString(key.local_ip), key.dst_port);
  attached_.erase(it);
}

}  // namespace podswitch::dpdk
