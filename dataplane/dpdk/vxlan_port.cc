#include "dataplane/dpdk/vxlan_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <rte_mbuf.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dataplane/core/packet/addr.h"
#include "dataplane/core/tunnel/path_mtu.h"
#include "dataplane/dpdk/tunnel_steering.h"
#include "dataplane/dpdk/underlay.h"
#include "dataplane/dpdk/vxlan_filter.h"
#include "spdlog/spdlog.h"

namespace podswitch::dpdk {
namespace {

// Ring of the uplink socket: it carries every tunnel's traffic of the node.
constexpr unsigned kUplinkRingFrames = 1024;
// Most remote VTEPs a flow-based tunnel keeps resolving.
constexpr size_t kMaxWantedNextHops = 4096;

// A UDP socket bound to local_ip:dst_port. When the uplink's tc ingress cannot drop the
// tunnel datagrams (UplinkSteering) the kernel gets its own copy of every one, and without a
// socket there it would answer each with ICMP port unreachable; with tc steering it still
// absorbs what tc leaves to the kernel (fragmented tunnel datagrams, reassembled by the
// kernel). The socket is never read: its tiny buffer fills and the kernel drops quietly.
// `warn`: say so when the port cannot be bound (it matters only without tc steering).
int BindUdpGuard(const std::string& port_name, const core::VxlanPortOptions& options, bool warn) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  int small = 1;  // the kernel rounds it up to its minimum
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options.dst_port);
  addr.sin_addr.s_addr = htonl(options.local_ip);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (warn)
      spdlog::warn(
          "dpdk: port '{}': cannot bind UDP {}:{} ({}); is a kernel VXLAN device using it? The "
          "kernel may answer tunnel packets with ICMP port unreachable",
          port_name, core::Ipv4ToString(options.local_ip), options.dst_port, std::strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Port>> VxlanPort::Open(const PortSpec& spec, rte_mempool* pool) {
  absl::StatusOr<core::VxlanPortOptions> options =
      core::ParseVxlanPortOptions(spec.name, spec.options);
  if (!options.ok()) return options.status();
  absl::StatusOr<UplinkInterface> uplink = FindUplink(options->local_ip);
  if (!uplink.ok()) {
    return absl::NotFoundError(
        absl::StrCat("vxlan port '", spec.name, "': no uplink: ", uplink.status().message()));
  }
  std::unique_ptr<VxlanPort> port(new VxlanPort(spec.name, spec.type));
  port->options_ = *options;
  if (absl::Status s = port->BindKernelInterface(uplink->name); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<PacketSocketPort>> socket = PacketSocketPort::OpenWith(
      absl::StrCat(spec.name, "-uplink"), "afpacket", uplink->name,
      {.ring_frames = kUplinkRingFrames, .promiscuous = false, .filter = VxlanFilter(*options)},
      pool);
  if (!socket.ok()) return socket.status();
  port->uplink_ = std::move(*socket);
  port->KeepDatagramsFromTheNode(uplink->name);
  port->endpoint_ = {.local_ip = options->local_ip,
                     .local_mac = uplink->mac,
                     .dst_port = options->dst_port,
                     .dont_fragment = options->dont_fragment};
  {
    absl::MutexLock lock(&port->mu_);
    port->underlay_.uplink_mac = uplink->mac;
    port->underlay_.uplink_mtu = uplink->mtu;
    if (options->remote_ip) port->wanted_.insert(*options->remote_ip);
  }
  port->Maintain();  // a fixed remote is usually resolvable at once
  port->registration_ = VxlanReceivers::Process().Register(
      spec.name, options->local_ip, options->dst_port, core::VxlanReceiveMatch::Of(*options),
      [raw = port.get()](std::unique_ptr<const core::VxlanClaims> claims) {
        raw->SetClaims(std::move(claims));
      });
  spdlog::info(
      "dpdk: port '{}' (vxlan) on uplink {} ({}), local {}:{}, remote {}, key {}; the node's "
      "copies of its datagrams {}",
      port->name(), uplink->name, core::MacToString(uplink->mac),
      core::Ipv4ToString(options->local_ip), options->dst_port,
      options->remote_ip ? core::Ipv4ToString(*options->remote_ip) : "flow",
      options->key ? std::to_string(*options->key) : "flow",
      port->steering_ ? "are dropped at tc ingress (uplink_steering=1)"
                      : "go to a UDP guard socket (uplink_steering=0)");
  return std::unique_ptr<Port>(std::move(port));
}

void VxlanPort::KeepDatagramsFromTheNode(const std::string& uplink_name) {
  absl::StatusOr<std::unique_ptr<UplinkSteering::Hold>> steering =
      UplinkSteering::Process().Acquire(ifindex(), options_.local_ip, options_.dst_port);
  if (steering.ok()) {
    steering_ = std::move(*steering);
    udp_guard_fd_ = BindUdpGuard(name(), options_, /*warn=*/false);
    return;
  }
  spdlog::warn(
      "dpdk: port '{}': the node's IP stack (netfilter, conntrack, UDP) keeps processing its own "
      "copy of every tunnel datagram on {}: {}; falling back to a UDP guard socket on {}:{}",
      name(), uplink_name, std::string(steering.status().message()),
      core::Ipv4ToString(options_.local_ip), options_.dst_port);
  udp_guard_fd_ = BindUdpGuard(name(), options_, /*warn=*/true);
}

VxlanPort::~VxlanPort() {
  registration_.reset();  // before anything SetClaims touches goes
  if (udp_guard_fd_ >= 0) close(udp_guard_fd_);
}

uint16_t VxlanPort::RxBurst(rte_mbuf** pkts, uint16_t n) {
  n = std::min<uint16_t>(n, core::kMaxBatch);
  uint16_t got = uplink_->RxBurst(pkts, n);
  if (got == 0) return 0;
  RefreshClaims();
  uint16_t kept = 0;
  for (uint16_t i = 0; i < got; ++i) {
    rte_mbuf* m = pkts[i];
    core::PacketBuffer pkt{.data = rte_pktmbuf_mtod(m, uint8_t*),
                           .size = m->data_len,
                           .headroom = rte_pktmbuf_headroom(m)};
    core::VxlanDecapResult result = core::DecapVxlanWithReason(pkt, endpoint_);
    bool ours = result.error == core::VxlanDecapError::kNone &&
                (!options_.remote_ip || result.decap.outer_src == *options_.remote_ip) &&
                (!options_.key || result.decap.vni == *options_.key);
    if (!ours) [[unlikely]] {
      rte_pktmbuf_free(m);
      AddRelaxed(decap_dropped_, 1);
      continue;
    }
    if (pmd_claims_->Claimed(result.decap.outer_src, result.decap.vni)) {
      rte_pktmbuf_free(m);  // a more specific port on this address takes it
      AddRelaxed(other_tunnel_, 1);
      continue;
    }
    m->data_off = static_cast<uint16_t>(pkt.data - static_cast<uint8_t*>(m->buf_addr));
    m->data_len = static_cast<uint16_t>(pkt.size);
    m->pkt_len = pkt.size;
    rx_tunnels_[kept] = {.tun_id = result.decap.vni,
                         .tun_src = result.decap.outer_src,
                         .tun_dst = result.decap.outer_dst};
    pkts[kept++] = m;
  }
  return kept;
}

void VxlanPort::TxBurstOrDrop(rte_mbuf** pkts, uint16_t n) { uplink_->TxBurstOrDrop(pkts, n); }

void VxlanPort::RefreshUnderlayCopy() {
  uint64_t generation = generation_.load(std::memory_order_acquire);
  if (generation == pmd_generation_) [[likely]]
    return;
  if (!mu_.TryLock()) return;  // never wait on the control thread: next packet tries again
  pmd_underlay_ = underlay_;
  mu_.Unlock();
  endpoint_.local_mac = pmd_underlay_.uplink_mac;
  pmd_generation_ = generation;
}

void VxlanPort::SetClaims(std::unique_ptr<const core::VxlanClaims> claims) {
  absl::MutexLock lock(&mu_);
  pending_claims_ = std::move(claims);
  claims_generation_.fetch_add(1, std::memory_order_release);
}

void VxlanPort::RefreshClaims() {
  if (claims_generation_.load(std::memory_order_acquire) == pmd_claims_generation_) [[likely]]
    return;
  if (!mu_.TryLock()) return;  // never wait on the control thread: the next burst tries again
  std::swap(pmd_claims_, pending_claims_);  // the old claims are freed by the next SetClaims
  pmd_claims_generation_ = claims_generation_.load(std::memory_order_relaxed);
  mu_.Unlock();
}

void VxlanPort::WantNextHop(uint32_t remote_ip) {
  if (!mu_.TryLock()) return;
  if (wanted_.size() < kMaxWantedNextHops) wanted_.insert(remote_ip);
  mu_.Unlock();
}

EncapOutcome VxlanPort::Encapsulate(core::PacketBuffer& pkt, const core::TunnelMetadata& tunnel) {
  RefreshUnderlayCopy();
  uint32_t remote = options_.remote_ip.value_or(tunnel.tun_dst);
  if (remote == 0) [[unlikely]] {
    AddRelaxed(no_remote_, 1);
    return EncapOutcome::kNoRemote;
  }
  if (!core::FitsAfterEncap(pkt.size, pmd_underlay_.uplink_mtu)) [[unlikely]] {
    AddRelaxed(too_big_, 1);
    return EncapOutcome::kTooBig;
  }
  auto hop = pmd_underlay_.next_hops.find(remote);
  if (hop == pmd_underlay_.next_hops.end()) [[unlikely]] {
    WantNextHop(remote);
    AddRelaxed(no_next_hop_, 1);
    return EncapOutcome::kNoNextHop;
  }
  auto vni = static_cast<uint32_t>(options_.key.value_or(tunnel.tun_id));
  if (!core::EncapVxlan(pkt, endpoint_, {.remote_ip = remote, .next_hop_mac = hop->second}, vni))
      [[unlikely]] {
    AddRelaxed(no_room_, 1);
    return EncapOutcome::kNoRoom;
  }
  return EncapOutcome::kSent;
}

uint32_t VxlanPort::inner_mtu() const { return core::VxlanInnerMtu(pmd_underlay_.uplink_mtu); }

void VxlanPort::Maintain() {
  Underlay next;
  std::vector<uint32_t> remotes;
  {
    absl::MutexLock lock(&mu_);
    next.uplink_mac = underlay_.uplink_mac;
    next.uplink_mtu = underlay_.uplink_mtu;
    remotes.assign(wanted_.begin(), wanted_.end());
    next.next_hops = underlay_.next_hops;
  }
  if (absl::StatusOr<UplinkInterface> uplink = FindUplink(options_.local_ip); uplink.ok()) {
    next.uplink_mac = uplink->mac;
    next.uplink_mtu = uplink->mtu;
  }
  for (uint32_t remote : remotes) {
    absl::StatusOr<core::MacAddr> mac = LookupNextHopMac(remote, ifindex());
    std::string error = mac.ok() ? "" : mac.status().ToString();
    if (mac.ok()) {
      next.next_hops[remote] = *mac;
    } else if (!absl::IsUnavailable(mac.status())) {
      next.next_hops.erase(remote);  // no route any more: stop sending to a stale MAC
    }  // unresolved for the moment: the old MAC, if any, stays until the kernel answers
    std::string& last = last_error_[remote];
    if (error != last && !absl::IsUnavailable(mac.status())) {
      if (error.empty()) {
        spdlog::info("dpdk: port '{}': next hop of {} is {}", name(), core::Ipv4ToString(remote),
                     core::MacToString(*mac));
      } else {
        spdlog::warn("dpdk: port '{}': no next hop for {}: {}", name(), core::Ipv4ToString(remote),
                     error);
      }
      last = error;
    }
  }
  absl::MutexLock lock(&mu_);
  if (next == underlay_) return;
  underlay_ = std::move(next);
  generation_.fetch_add(1, std::memory_order_release);
}

PortStats VxlanPort::stats() const {
  PortStats out = uplink_->stats();
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  out.rx_dropped += get(decap_dropped_);
  out.tx_dropped += get(no_remote_) + get(no_next_hop_) + get(too_big_) + get(no_room_);
  out.details = {{"decap_dropped", get(decap_dropped_)},
                 {"rx_other_tunnel", get(other_tunnel_)},
                 {"tx_no_remote", get(no_remote_)},
                 {"tx_no_next_hop", get(no_next_hop_)},
                 {"tx_too_big", get(too_big_)},
                 {"tx_icmp_sent", get(icmp_sent_)},
                 {"tx_no_headroom", get(no_room_)},
                 {"uplink_steering", steering_ ? uint64_t{1} : uint64_t{0}}};
  return out;
}

}  // namespace podswitch::dpdk
