#include "dataplane/dpdk/vxlan_filter.h"

#include <net/ethernet.h>
#include <netinet/in.h>

#include <cstdint>

#include "dataplane/core/packet/protocols.h"

namespace podswitch::dpdk {
namespace {

// Offsets from the start of the frame; the UDP and VXLAN ones are relative to the IPv4
// header's length, which the program keeps in X.
constexpr uint32_t kIpv4 = core::kEthHeaderLen;
constexpr uint32_t kUdp = core::kEthHeaderLen;           // + X
constexpr uint32_t kVxlan = kUdp + core::kUdpHeaderLen;  // + X
constexpr uint32_t kVniWord = kVxlan + 4;                // + X: VNI (24 bits) then a reserved byte

}  // namespace

std::vector<sock_filter> VxlanFilter(const core::VxlanPortOptions& options) {
  constexpr uint8_t kDrop = 0xff;  // jump target, patched below (the filter is far shorter)
  std::vector<sock_filter> f = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),  // EtherType
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, kDrop),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpv4 + 16),  // IPv4 destination
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, options.local_ip, 0, kDrop),
  };
  if (options.remote_ip) {
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpv4 + 12));  // IPv4 source
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, *options.remote_ip, 0, kDrop));
  }
  const std::vector<sock_filter> udp = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, kIpv4 + 9),  // protocol
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, kDrop),
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, kIpv4 + 6),  // fragment offset
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, kDrop, 0),
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, kIpv4),    // X = IPv4 header length
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, kUdp + 2),  // UDP destination port
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, options.dst_port, 0, kDrop),
  };
  f.insert(f.end(), udp.begin(), udp.end());
  if (options.key) {
    const std::vector<sock_filter> vni = {
        BPF_STMT(BPF_LD | BPF_B | BPF_IND, kVxlan),  // VXLAN flags
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, core::kVxlanFlagVni, 0, kDrop),
        BPF_STMT(BPF_LD | BPF_W | BPF_IND, kVniWord),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xffffff00),  // the reserved byte is ignored
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (*options.key & 0xffffff) << 8, 0, kDrop),
    };
    f.insert(f.end(), vni.begin(), vni.end());
  }
  f.push_back(BPF_STMT(BPF_RET | BPF_K, 0xffff));  // accept the whole frame
  size_t drop = f.size();
  f.push_back(BPF_STMT(BPF_RET | BPF_K, 0));
  for (size_t i = 0; i < drop; ++i) {
    auto offset = static_cast<uint8_t>(drop - i - 1);
    if (f[i].jt == kDrop) f[i].jt = offset;
    if (f[i].jf == kDrop) f[i].jf = offset;
  }
  return f;
}

}  // namespace podswitch::dpdk
