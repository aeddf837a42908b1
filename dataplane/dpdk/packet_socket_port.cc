#include "dataplane/dpdk/packet_socket_port.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <rte_mbuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace podswitch::dpdk {
namespace {

constexpr unsigned kDefaultRingFrames = 256;
constexpr unsigned kMinRingFrames = 16;
constexpr unsigned kMaxRingFrames = 4096;
constexpr uint32_t kEthAddrsLen = 12;  // destination + source MAC, before a VLAN tag
constexpr unsigned kSlotSize = PacketSocketPort::kFrameSize;
constexpr unsigned kRingBlockSize = 1u << 16;

// A packet socket with its mmap'ed rx and tx rings, not yet bound to an interface (protocol
// 0: it receives nothing until bind).
struct RingSocket {
  int fd = -1;
  uint8_t* ring = nullptr;
  size_t bytes = 0;
  unsigned frames = 0;
};

// Creates a RingSocket; on failure nothing is left open and `failed_step` names the call
// (errno says why).
std::optional<RingSocket> MakeRingSocket(const std::vector<sock_filter>& filter, unsigned frames,
                                         std::string* failed_step) {
  RingSocket out;
  auto fail = [&](const char* step) -> std::optional<RingSocket> {
    int saved = errno;
    *failed_step = step;
    if (out.fd >= 0) close(out.fd);
    errno = saved;
    return std::nullopt;
  };
  out.fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (out.fd < 0) return fail("socket(AF_PACKET)");
  if (!filter.empty()) {
    sock_fprog program{.len = static_cast<unsigned short>(filter.size()),
                       .filter = const_cast<sock_filter*>(filter.data())};
    if (setsockopt(out.fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) != 0) {
      return fail("SO_ATTACH_FILTER");
    }
  }
  int version = TPACKET_V2;
  if (setsockopt(out.fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) != 0) {
    return fail("PACKET_VERSION");
  }
  int one = 1;
  // Only frames arriving on the interface: what the switch or the node sends out is not input.
  if (setsockopt(out.fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0) {
    return fail("PACKET_IGNORE_OUTGOING");
  }
  // tx straight to the driver; a frame the kernel refuses is skipped, not a stuck ring.
  if (setsockopt(out.fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0) {
    return fail("PACKET_QDISC_BYPASS");
  }
  if (setsockopt(out.fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one)) != 0) {
    return fail("PACKET_LOSS");
  }
  size_t ring_size = static_cast<size_t>(frames) * kSlotSize;
  tpacket_req req{};
  req.tp_block_size = std::min<unsigned>(kRingBlockSize, static_cast<unsigned>(ring_size));
  req.tp_block_nr = static_cast<unsigned>(ring_size / req.tp_block_size);
  req.tp_frame_size = kSlotSize;
  req.tp_frame_nr = frames;
  if (setsockopt(out.fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0) {
    return fail("PACKET_RX_RING");
  }
  if (setsockopt(out.fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) != 0) {
    return fail("PACKET_TX_RING");
  }
  void* ring =
      mmap(nullptr, 2 * ring_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, out.fd, 0);
  if (ring == MAP_FAILED) return fail("mmap of the rings");
  out.ring = static_cast<uint8_t*>(ring);
  out.bytes = 2 * ring_size;
  out.frames = frames;
  return out;
}

// Setting up a ring makes the kernel wait for an RCU grace period (8-16 ms each here), which
// a pod's CNI ADD should not pay. A background thread keeps a few default sockets ready;
// Open takes one and only binds it. Never destroyed: its thread runs for the process.
class PreparedRingSockets {
 public:
  static PreparedRingSockets& Instance() {
    static auto* instance = new PreparedRingSockets();
    return *instance;
  }

  // A ready socket, or nullopt when none is ready (the caller makes its own).
  std::optional<RingSocket> Take() {
    absl::MutexLock lock(&mu_);
    if (!refilling_) {
      refilling_ = true;
      std::thread([this] { Refill(); }).detach();
    }
    if (ready_.empty()) return std::nullopt;
    RingSocket socket = ready_.front();
    ready_.pop_front();
    return socket;
  }

 private:
  static constexpr size_t kReady = 4;

  void Refill() {
    while (true) {
      mu_.LockWhen(absl::Condition(
          +[](std::deque<RingSocket>* ready) { return ready->size() < kReady; }, &ready_));
      mu_.Unlock();
      std::string failed_step;
      std::optional<RingSocket> socket = MakeRingSocket({}, kDefaultRingFrames, &failed_step);
      if (!socket) {
        spdlog::warn("dpdk: preparing an afpacket socket: {}: {}", failed_step,
                     std::strerror(errno));
        absl::SleepFor(absl::Seconds(1));
        continue;
      }
      absl::MutexLock lock(&mu_);
      ready_.push_back(*socket);
    }
  }

  absl::Mutex mu_;
  std::deque<RingSocket> ready_ ABSL_GUARDED_BY(mu_);
  bool refilling_ ABSL_GUARDED_BY(mu_) = false;
};

tpacket2_hdr* Header(uint8_t* frame) { return reinterpret_cast<tpacket2_hdr*>(frame); }

uint32_t LoadStatus(uint8_t* frame) {
  return __atomic_load_n(&Header(frame)->tp_status, __ATOMIC_ACQUIRE);
}

void StoreStatus(uint8_t* frame, uint32_t status) {
  __atomic_store_n(&Header(frame)->tp_status, status, __ATOMIC_RELEASE);
}

absl::StatusOr<unsigned> RingFrames(const PortSpec& spec) {
  std::string text = spec.option("ring-frames");
  if (text.empty()) return kDefaultRingFrames;
  unsigned frames = 0;
  if (!absl::SimpleAtoi(text, &frames) || frames < kMinRingFrames || frames > kMaxRingFrames ||
      (frames & (frames - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("port '", spec.name, "': options:ring-frames='",
                                                   text, "' must be a power of two from ",
                                                   kMinRingFrames, " to ", kMaxRingFrames));
  }
  return frames;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Port>> PacketSocketPort::Open(const PortSpec& spec,
                                                             rte_mempool* pool) {
  absl::StatusOr<unsigned> frames = RingFrames(spec);
  if (!frames.ok()) return frames.status();
  absl::StatusOr<std::unique_ptr<PacketSocketPort>> port =
      OpenWith(spec.name, spec.type, spec.iface(), {.ring_frames = *frames}, pool);
  if (!port.ok()) return port.status();
  return std::unique_ptr<Port>(std::move(*port));
}

absl::StatusOr<std::unique_ptr<PacketSocketPort>> PacketSocketPort::OpenWith(
    std::string name, std::string type, const std::string& iface,
    const PacketSocketOptions& options, rte_mempool* pool) {
  std::unique_ptr<PacketSocketPort> port(new PacketSocketPort(std::move(name), std::move(type)));
  if (absl::Status s = port->BindKernelInterface(iface); !s.ok()) return s;
  port->pool_ = pool;
  if (absl::Status s = port->Setup(options); !s.ok()) return s;
  spdlog::info("dpdk: port '{}' ({}) opened on {} ({} frame rings)", port->name(), port->type(),
               port->kernel_interface(), options.ring_frames);
  return port;
}

absl::Status PacketSocketPort::Setup(const PacketSocketOptions& options) {
  auto fail = [&](const std::string& step) {
    return absl::UnavailableError(absl::StrCat("port '", name(), "' (afpacket on ",
                                               kernel_interface(), "): ", step, ": ",
                                               std::strerror(errno)));
  };
  std::optional<RingSocket> prepared;
  if (options.filter.empty() && options.ring_frames == kDefaultRingFrames) {
    prepared = PreparedRingSockets::Instance().Take();
  }
  if (!prepared) {
    std::string failed_step;
    prepared = MakeRingSocket(options.filter, options.ring_frames, &failed_step);
    if (!prepared) return fail(failed_step);
  }
  fd_ = prepared->fd;
  ring_ = prepared->ring;
  ring_bytes_ = prepared->bytes;
  frames_ = prepared->frames;
  // A V2 tx slot's frame starts right after the aligned header (no PACKET_TX_HAS_OFF).
  tx_data_offset_ = TPACKET_ALIGN(sizeof(tpacket2_hdr));
  tx_max_len_ = kFrameSize - tx_data_offset_;

  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = ifindex();
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return fail("bind");
  // A switch port sees frames for every MAC; the kernel drops the membership with the socket.
  if (options.promiscuous) {
    packet_mreq mreq{};
    mreq.mr_ifindex = ifindex();
    mreq.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
      return fail("PACKET_MR_PROMISC");
    }
  }
  // An interface attached to a switch is meant to carry traffic: bring it up.
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, kernel_interface().c_str(), IFNAMSIZ - 1);
  if (ioctl(fd_, SIOCGIFFLAGS, &ifr) != 0) return fail("SIOCGIFFLAGS");
  if ((ifr.ifr_flags & IFF_UP) == 0) {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd_, SIOCSIFFLAGS, &ifr) != 0) return fail("setting the interface up");
  }
  return absl::OkStatus();
}

PacketSocketPort::~PacketSocketPort() {
  if (ring_ != nullptr) munmap(ring_, ring_bytes_);
  if (fd_ >= 0) {
    close(fd_);
    spdlog::info("dpdk: port '{}' ({}) closed", name(), type());
  }
}

uint16_t PacketSocketPort::RxBurst(rte_mbuf** pkts, uint16_t n) {
  const unsigned mask = frames_ - 1;
  uint16_t ready = 0;
  while (ready < n && (LoadStatus(RxFrame((rx_next_ + ready) & mask)) & TP_STATUS_USER) != 0) {
    ++ready;
  }
  if (ready == 0) return 0;
  bool have_mbufs = rte_pktmbuf_alloc_bulk(pool_, pkts, ready) == 0;
  uint16_t kept = 0;
  uint64_t bytes = 0;
  uint64_t dropped = 0;
  for (uint16_t i = 0; i < ready; ++i) {
    uint8_t* frame = RxFrame(rx_next_);
    rx_next_ = (rx_next_ + 1) & mask;
    const tpacket2_hdr* hdr = Header(frame);
    uint32_t status = hdr->tp_status;
    // The kernel moves a VLAN tag out of band (tp_vlan_tci); put it back into the frame.
    bool tagged = (status & TP_STATUS_VLAN_VALID) != 0;
    uint32_t len = hdr->tp_snaplen;
    uint32_t total = len + (tagged ? 4 : 0);
    rte_mbuf* m = have_mbufs ? pkts[i] : nullptr;
    if (m == nullptr || hdr->tp_snaplen != hdr->tp_len || len < kEthAddrsLen ||
        total > rte_pktmbuf_tailroom(m)) [[unlikely]] {
      if (m != nullptr) rte_pktmbuf_free(m);
      ++dropped;
      StoreStatus(frame, TP_STATUS_KERNEL);
      continue;
    }
    const uint8_t* data = frame + hdr->tp_mac;
    uint8_t* out = rte_pktmbuf_mtod(m, uint8_t*);
    if (tagged) [[unlikely]] {
      uint16_t tpid = (status & TP_STATUS_VLAN_TPID_VALID) ? hdr->tp_vlan_tpid : ETH_P_8021Q;
      std::memcpy(out, data, kEthAddrsLen);
      uint16_t tag[2] = {htons(tpid), htons(hdr->tp_vlan_tci)};
      std::memcpy(out + kEthAddrsLen, tag, sizeof(tag));
      std::memcpy(out + kEthAddrsLen + 4, data + kEthAddrsLen, len - kEthAddrsLen);
    } else {
      std::memcpy(out, data, len);
    }
    StoreStatus(frame, TP_STATUS_KERNEL);
    m->data_len = static_cast<uint16_t>(total);
    m->pkt_len = total;
    bytes += total;
    pkts[kept++] = m;
  }
  AddRelaxed(rx_packets_, kept);
  AddRelaxed(rx_bytes_, bytes);
  if (dropped > 0) AddRelaxed(rx_dropped_, dropped);
  return kept;
}

void PacketSocketPort::TxBurstOrDrop(rte_mbuf** pkts, uint16_t n) {
  const unsigned mask = frames_ - 1;
  uint16_t queued = 0;
  uint64_t bytes = 0;
  uint64_t too_large = 0;
  uint16_t i = 0;
  for (; i < n; ++i) {
    uint8_t* frame = TxFrame(tx_next_);
    if (LoadStatus(frame) != TP_STATUS_AVAILABLE) break;  // the kernel has not sent it yet
    rte_mbuf* m = pkts[i];
    if (m->pkt_len > tx_max_len_) [[unlikely]] {
      ++too_large;
      continue;
    }
    uint32_t len = m->pkt_len;
    uint8_t* slot = frame + tx_data_offset_;
    // Copies a chained mbuf into the slot; a contiguous one comes back as a pointer to it.
    const void* src = rte_pktmbuf_read(m, 0, len, slot);
    if (src != slot) std::memcpy(slot, src, len);
    Header(frame)->tp_len = len;
    StoreStatus(frame, TP_STATUS_SEND_REQUEST);
    tx_next_ = (tx_next_ + 1) & mask;
    bytes += len;
    ++queued;
  }
  rte_pktmbuf_free_bulk(pkts, n);
  if (queued > 0) Kick();
  AddRelaxed(tx_packets_, queued);
  AddRelaxed(tx_bytes_, bytes);
  if (too_large > 0) AddRelaxed(tx_errors_, too_large);
  if (i < n) AddRelaxed(tx_dropped_, n - i);
}

void PacketSocketPort::Kick() {
  // Non-blocking: the kernel sends every slot marked SEND_REQUEST and returns. A failure
  // leaves the slots marked; the next kick retries them.
  if (sendto(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && errno != EAGAIN && errno != ENOBUFS)
      [[unlikely]] {
    AddRelaxed(tx_errors_, 1);
  }
}

PortStats PacketSocketPort::stats() const {
  PortStats out;
  {
    absl::MutexLock lock(&kernel_drops_mu_);
    tpacket_stats kernel{};
    socklen_t len = sizeof(kernel);
    if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &kernel, &len) == 0) {
      kernel_drops_ += kernel.tp_drops;
    }
    out.rx_dropped = kernel_drops_;
  }
  out.rx_packets = rx_packets_.load(std::memory_order_relaxed);
  out.rx_bytes = rx_bytes_.load(std::memory_order_relaxed);
  out.rx_dropped += rx_dropped_.load(std::memory_order_relaxed);
  out.tx_packets = tx_packets_.load(std::memory_order_relaxed);
  out.tx_bytes = tx_bytes_.load(std::memory_order_relaxed);
  out.tx_dropped = tx_dropped_.load(std::memory_order_relaxed);
  out.tx_errors = tx_errors_.load(std::memory_order_relaxed);
  return out;
}

LinkState PacketSocketPort::link() const {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, kernel_interface().c_str(), IFNAMSIZ - 1);
  if (ioctl(fd_, SIOCGIFFLAGS, &ifr) != 0) return {};
  return {.up = (ifr.ifr_flags & IFF_UP) != 0 && (ifr.ifr_flags & IFF_RUNNING) != 0};
}

}  // namespace podswitch::dpdk
