#include "dataplane/dpdk/ethdev_port.h"

#include <dirent.h>
#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "dataplane/dpdk/eal.h"
#include "spdlog/spdlog.h"

namespace podswitch::dpdk {
namespace {

constexpr char kDefaultVhostDir[] = "/run/podswitch";

std::atomic<unsigned> g_ring_serial{0};  // unique ring and pool names

// An af_xdp port's own pool: its fill queue (2048), its rx ring and a burst being switched.
constexpr unsigned kAfXdpPoolSize = 4095;

// Serializes af_xdp opens so the AF_XDP sockets that appear during one belong to it.
absl::Mutex g_xdp_open_mu;

// An identity for the AF_XDP sockets and BPF objects of this process: fd -> "socket:[inode]"
// or "anon_inode:bpf-prog 441" (object ids are unique, anon inodes are shared).
std::string FdIdentity(int fd) {
  char link[128];
  std::string path = absl::StrCat("/proc/self/fd/", fd);
  ssize_t n = readlink(path.c_str(), link, sizeof(link) - 1);
  if (n <= 0) return "";
  std::string target(link, static_cast<size_t>(n));
  if (absl::StartsWith(target, "socket:")) {
    int domain = 0;
    socklen_t len = sizeof(domain);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_XDP) return "";
    return target;
  }
  if (!absl::StartsWith(target, "anon_inode:bpf") && target != "anon_inode:btf") return "";
  std::ifstream info(absl::StrCat("/proc/self/fdinfo/", fd));
  std::string line;
  while (std::getline(info, line)) {
    if (line.find("_id:") != std::string::npos) return absl::StrCat(target, " ", line);
  }
  return target;
}

// Every AF_XDP socket and BPF object fd of this process with its identity.
std::vector<std::pair<int, std::string>> XdpFds() {
  std::vector<std::pair<int, std::string>> out;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return out;
  while (dirent* entry = readdir(dir)) {
    int fd = std::atoi(entry->d_name);
    if (fd <= 2 || fd == dirfd(dir)) continue;
    std::string identity = FdIdentity(fd);
    if (!identity.empty()) out.emplace_back(fd, std::move(identity));
  }
  closedir(dir);
  return out;
}

// Device names must be unique and short; keep the characters DPDK's kvargs parser allows.
std::string DeviceSuffix(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    out.push_back(ok ? c : '_');
  }
  if (out.size() > 40) out.resize(40);
  return out;
}

// Server-mode vhost-user: the socket's directory must exist and a stale socket left by a
// previous podswitchd must go, or the bind fails.
absl::Status PrepareVhostSocket(const PortSpec& spec, const std::string& path) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("port '", spec.name, "': cannot create ", dir.string(), ": ", ec.message()));
  }
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::AlreadyExistsError(absl::StrCat("port '", spec.name, "': vhost-user path ", path,
                                                   " exists and is not a socket"));
    }
    unlink(path.c_str());
  }
  return absl::OkStatus();
}

// Where a vhost-user port's socket lives: the option, else /run/podswitch/<name>.sock.
std::string VhostPath(const PortSpec& spec) {
  return spec.option("vhost-server-path", absl::StrCat(kDefaultVhostDir, "/", spec.name, ".sock"));
}

}  // namespace

const std::vector<std::string>& EthdevPort::Types() {
  static const std::vector<std::string> types = {"afxdp", "vhostuser", "vhostuserclient",
                                                 "tap",   "ring",      "null"};
  return types;
}

absl::StatusOr<std::unique_ptr<Port>> EthdevPort::Open(const PortSpec& spec, rte_mempool* pool) {
  // The kernel releases a closed AF_XDP socket asynchronously; until it has, the queue
  // refuses a new socket (EBUSY). Re-adding a port right after removing it is normal, so
  // retry for a moment before reporting the driver's error.
  absl::Time deadline = absl::Now() + absl::Seconds(3);
  while (true) {
    absl::StatusOr<std::unique_ptr<Port>> port = OpenOnce(spec, pool);
    if (port.ok() || spec.type != "afxdp" ||
        !absl::StrContains(port.status().message(), "rx queue setup") || absl::Now() > deadline) {
      return port;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::StatusOr<std::unique_ptr<Port>> EthdevPort::OpenOnce(const PortSpec& spec,
                                                           rte_mempool* pool) {
  std::unique_ptr<EthdevPort> port(new EthdevPort(spec.name, spec.type));
  {
    std::optional<absl::MutexLock> xdp_lock;
    std::vector<std::pair<int, std::string>> before;
    if (spec.type == "afxdp") {
      xdp_lock.emplace(&g_xdp_open_mu);
      before = XdpFds();
    }
    absl::Status status = port->Probe(spec);
    if (status.ok() && spec.type == "afxdp") {
      // DPDK 22.11's af_xdp never returns the mbufs of its fill queue (2048) to the pool
      // on close: give each af_xdp port a pool of its own, freed with the port.
      absl::StatusOr<rte_mempool*> own =
          CreatePacketPool(absl::StrCat("psx", g_ring_serial.fetch_add(1)), kAfXdpPoolSize);
      if (own.ok()) {
        port->own_pool_ = *own;
        pool = *own;
      } else {
        status = own.status();
      }
    }
    if (status.ok()) status = port->ConfigureAndStart(pool);
    if (spec.type == "afxdp") {
      for (auto& fd : XdpFds()) {
        if (std::find(before.begin(), before.end(), fd) == before.end()) {
          port->xdp_fds_.push_back(std::move(fd));
        }
      }
    }
    if (!status.ok()) return status;
  }
  if (spec.type == "tap") {
    if (absl::Status s = port->BindKernelInterface(spec.iface()); !s.ok()) {
      return s;
    }
  }
  if (spec.type == "vhostuser") {
    std::string path = VhostPath(spec);
    std::string mode = spec.option("vhost-socket-mode", "");
    char* end = nullptr;
    unsigned long bits = std::strtoul(mode.c_str(), &end, 8);
    if (!mode.empty() && *end == '\0' && chmod(path.c_str(), bits) != 0) {
      spdlog::warn("dpdk: port '{}': chmod {:o} {}: {}", spec.name, bits, path, strerror(errno));
    }
  }
  spdlog::info("dpdk: port '{}' ({}) opened as {} (port id {})", port->name(), port->type(),
               port->vdev_name_, port->port_id_);
  return std::unique_ptr<Port>(std::move(port));
}

absl::Status EthdevPort::Probe(const PortSpec& spec) {
  std::string suffix = DeviceSuffix(spec.name);
  std::string args;
  if (spec.type == "afxdp") {
    if (absl::Status s = BindKernelInterface(spec.iface()); !s.ok()) return s;
    vdev_name_ = absl::StrCat("net_af_xdp_", suffix);
    args = absl::StrCat("iface=", kernel_interface(), ",start_queue=0,queue_count=1");
  } else if (spec.type == "vhostuser" || spec.type == "vhostuserclient") {
    bool client = spec.type == "vhostuserclient";
    std::string path = VhostPath(spec);
    if (!client) {
      if (absl::Status s = PrepareVhostSocket(spec, path); !s.ok()) return s;
    }
    vdev_name_ = absl::StrCat("net_vhost_", suffix);
    args = absl::StrCat("iface=", path, ",queues=1,client=", client ? 1 : 0);
  } else if (spec.type == "tap") {
    vdev_name_ = absl::StrCat("net_tap_", suffix);
    args = absl::StrCat("iface=", spec.iface());
  } else if (spec.type == "null") {
    vdev_name_ = absl::StrCat("net_null_", suffix);
    args = "no-rx=1";
  } else if (spec.type == "ring") {
    // rte_eth_from_rings names the device "net_ring_<name>", within a ring name's length.
    std::string ring_suffix = suffix.substr(0, 18);
    vdev_name_ = absl::StrCat("net_ring_", ring_suffix);
    unsigned serial = g_ring_serial.fetch_add(1);
    std::string rx_name = absl::StrCat("psr", serial, "_in");
    std::string tx_name = absl::StrCat("psr", serial, "_out");
    rx_ring_ = rte_ring_create(rx_name.c_str(), kRxRingSize, SOCKET_ID_ANY, RING_F_SC_DEQ);
    tx_ring_ = rte_ring_create(tx_name.c_str(), kTxRingSize, SOCKET_ID_ANY, RING_F_SP_ENQ);
    if (rx_ring_ == nullptr || tx_ring_ == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("port '", spec.name, "': cannot create rings: ", rte_strerror(rte_errno)));
    }
    int id = rte_eth_from_rings(ring_suffix.c_str(), &rx_ring_, 1, &tx_ring_, 1, SOCKET_ID_ANY);
    if (id < 0) {
      return absl::InternalError(absl::StrCat(
          "port '", spec.name, "': rte_eth_from_rings failed: ", rte_strerror(rte_errno)));
    }
    port_id_ = static_cast<uint16_t>(id);
    probed_ = true;
    return absl::OkStatus();
  }
  std::string extra = spec.option("dpdk-devargs", "");
  if (!extra.empty()) absl::StrAppend(&args, ",", extra);
  // Every port is an ethdev, and this DPDK build has a fixed number of them; say so rather
  // than pass on hotplug's generic "Operation not permitted".
  if (rte_eth_dev_count_total() >= RTE_MAX_ETHPORTS) {
    return absl::ResourceExhaustedError(
        absl::StrCat("port '", spec.name, "': DPDK already has ", RTE_MAX_ETHPORTS,
                     " ethdev ports, the most this build (RTE_MAX_ETHPORTS) allows; remove one, or "
                     "use type afpacket (not an ethdev) for kernel interfaces"));
  }
  int rc = rte_eal_hotplug_add("vdev", vdev_name_.c_str(), args.c_str());
  if (rc < 0) {
    return absl::UnavailableError(absl::StrCat(
        "port '", spec.name, "' (type ", spec.type, "): DPDK could not create ", vdev_name_, ",",
        args, ": ", rte_strerror(-rc), " (see the dpdk log lines above for the cause)"));
  }
  probed_ = true;
  if (rte_eth_dev_get_port_by_name(vdev_name_.c_str(), &port_id_) != 0) {
    return absl::InternalError(
        absl::StrCat("port '", spec.name, "': device ", vdev_name_, " has no ethdev"));
  }
  return absl::OkStatus();
}

absl::Status EthdevPort::ConfigureAndStart(rte_mempool* pool) {
  auto fail = [&](const char* step, int rc) {
    return absl::UnavailableError(absl::StrCat("port '", name(), "' (type ", type(), "): ", step,
                                               " failed: ", rte_strerror(rc < 0 ? -rc : rc)));
  };
  rte_eth_dev_info info;
  if (int rc = rte_eth_dev_info_get(port_id_, &info); rc != 0) return fail("dev_info_get", rc);
  rte_eth_conf conf;
  std::memset(&conf, 0, sizeof(conf));
  if (int rc = rte_eth_dev_configure(port_id_, 1, 1, &conf); rc != 0) {
    return fail("configure", rc);
  }
  uint16_t rx_desc = kRxRingSize;
  uint16_t tx_desc = kTxRingSize;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id_, &rx_desc, &tx_desc); rc != 0) {
    return fail("adjust ring sizes", rc);
  }
  int socket = rte_eth_dev_socket_id(port_id_);
  if (socket < 0) socket = SOCKET_ID_ANY;
  if (int rc = rte_eth_rx_queue_setup(port_id_, 0, rx_desc, socket, nullptr, pool); rc != 0) {
    return fail("rx queue setup", rc);
  }
  if (int rc = rte_eth_tx_queue_setup(port_id_, 0, tx_desc, socket, nullptr); rc != 0) {
    return fail("tx queue setup", rc);
  }
  if (int rc = rte_eth_dev_start(port_id_); rc != 0) return fail("start", rc);
  // A switch port must see frames for every MAC; some drivers do not support it (ring).
  rte_eth_promiscuous_enable(port_id_);
  return absl::OkStatus();
}

EthdevPort::~EthdevPort() {
  if (probed_) {
    if (int rc = rte_eth_dev_stop(port_id_); rc != 0) {
      spdlog::warn("dpdk: port '{}': stop: {}", name(), rte_strerror(-rc));
    }
    if (int rc = rte_eth_dev_close(port_id_); rc != 0) {
      spdlog::warn("dpdk: port '{}': close: {}", name(), rte_strerror(-rc));
    }
    // rte_eth_from_rings plugs its device with rte_vdev_init: undo it the same way.
    int rc = rx_ring_ != nullptr ? rte_vdev_uninit(vdev_name_.c_str())
                                 : rte_eal_hotplug_remove("vdev", vdev_name_.c_str());
    if (rc < 0) {
      spdlog::warn("dpdk: port '{}': detaching {}: {}", name(), vdev_name_, rte_strerror(-rc));
    }
    spdlog::info("dpdk: port '{}' ({}) closed", name(), type());
  }
  // DPDK 22.11's af_xdp close with libxdp 1.3 leaves the UMEM's socket and the XDP program
  // (whose XSKMAP still holds the socket) open, which pins the interface's queue: re-opening
  // it fails with EBUSY. Close what this port's open created and is still there.
  size_t leaked = 0;
  for (const auto& [fd, identity] : xdp_fds_) {
    if (FdIdentity(fd) == identity) {
      close(fd);
      ++leaked;
    }
  }
  if (leaked > 0) {
    spdlog::debug("dpdk: port '{}': closed {} AF_XDP/BPF fds the driver left open", name(), leaked);
  }
  if (own_pool_ != nullptr) FreePacketPool(own_pool_);
  for (rte_ring* ring : {rx_ring_, tx_ring_}) {
    if (ring == nullptr) continue;
    void* obj;
    while (rte_ring_dequeue(ring, &obj) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
    rte_ring_free(ring);
  }
}

uint16_t EthdevPort::RxBurst(rte_mbuf** pkts, uint16_t n) {
  uint16_t got = rte_eth_rx_burst(port_id_, 0, pkts, n);
  uint16_t kept = 0;
  for (uint16_t i = 0; i < got; ++i) {
    rte_mbuf* m = pkts[i];
    if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) [[unlikely]] {
      // The tag travelled out of band (PACKET_AUXDATA); a frame without it would land in
      // the wrong VLAN, so one that cannot get it back is dropped.
      if (rte_vlan_insert(&m) != 0) {
        rte_pktmbuf_free(m);
        AddRelaxed(vlan_restore_failed_, 1);
        continue;
      }
      m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
    }
    pkts[kept++] = m;
  }
  return kept;
}

void EthdevPort::TxBurstOrDrop(rte_mbuf** pkts, uint16_t n) {
  uint16_t sent = rte_eth_tx_burst(port_id_, 0, pkts, n);
  if (sent < n) [[unlikely]] {
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    AddRelaxed(tx_dropped_, n - sent);
  }
}

PortStats EthdevPort::stats() const {
  PortStats out;
  rte_eth_stats s;
  if (rte_eth_stats_get(port_id_, &s) == 0) {
    out.rx_packets = s.ipackets;
    out.rx_bytes = s.ibytes;
    out.rx_dropped = s.imissed + s.rx_nombuf;
    out.rx_errors = s.ierrors;
    out.tx_packets = s.opackets;
    out.tx_bytes = s.obytes;
    out.tx_errors = s.oerrors;
  }
  out.rx_dropped += vlan_restore_failed_.load(std::memory_order_relaxed);
  out.tx_dropped = tx_dropped_.load(std::memory_order_relaxed);
  return out;
}

LinkState EthdevPort::link() const {
  rte_eth_link link;
  std::memset(&link, 0, sizeof(link));
  if (rte_eth_link_get_nowait(port_id_, &link) != 0) return {};
  return {.up = link.link_status == RTE_ETH_LINK_UP, .speed_mbps = link.link_speed};
}

}  // namespace podswitch::dpdk
