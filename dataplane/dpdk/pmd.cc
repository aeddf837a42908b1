#include "dataplane/dpdk/pmd.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "dataplane/dpdk/eal.h"
#include "spdlog/spdlog.h"

namespace podswitch::dpdk {
namespace {

// Debian's Abseil has its own string_view; bridge names cross over here.
absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

absl::StatusOr<std::unique_ptr<Datapath>> Datapath::Start(DatapathOptions options) {
  if (!EalRunning()) return absl::FailedPreconditionError("Datapath: DPDK EAL is not started");
  std::vector<unsigned> lcores = PmdLcores();
  unsigned wanted =
      options.pmd_threads == 0 ? static_cast<unsigned>(lcores.size()) : options.pmd_threads;
  if (wanted == 0 || wanted > lcores.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Datapath: ", wanted, " PMD threads asked for but EAL has ", lcores.size(),
                     " worker lcores (start EAL with more pmd_threads or pmd_lcores)"));
  }
  std::unique_ptr<Datapath> dp(new Datapath(std::move(options)));
  for (unsigned i = 0; i < wanted; ++i) {
    auto pmd = std::make_unique<PmdThread>(lcores[i], dp->options_.pmd);
    if (absl::Status status = pmd->Launch(); !status.ok()) return status;
    dp->pmds_.push_back(std::move(pmd));
  }
  if (dp->options_.interface_check_interval > absl::ZeroDuration()) {
    dp->watcher_ = std::thread([raw = dp.get()] { raw->WatchInterfaces(); });
  }
  return dp;
}

Datapath::Datapath(DatapathOptions options) : options_(std::move(options)) {}

Datapath::~Datapath() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
  for (auto& pmd : pmds_) pmd->Stop();
  // The PMDs are stopped: their bridges (and the ports in them) close here.
  for (auto& pmd : pmds_) pmd->bridges().clear();
}

absl::Status Datapath::AddBridge(std::string name) {
  if (name.empty()) return absl::InvalidArgumentError("bridge name must not be empty");
  absl::MutexLock lock(&mu_);
  if (bridges_.contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat("bridge '", name, "' already exists"));
  }
  PmdThread* pmd = pmds_.front().get();
  absl::flat_hash_map<PmdThread*, size_t> load;
  for (const auto& [unused, record] : bridges_) ++load[record.pmd];
  for (const auto& candidate : pmds_) {
    if (load[candidate.get()] < load[pmd]) pmd = candidate.get();
  }
  // Built here (allocation is fine on the control path), handed over on the PMD.
  auto context = std::make_unique<BridgeContext>(name, options_.pipeline, options_.fast_path);
  pmd->Run([&] { pmd->bridges().push_back(std::move(context)); });
  bridges_[name] = BridgeRecord{.pmd = pmd, .ports = {}};
  spdlog::info("dpdk: bridge '{}' added on PMD lcore {}", name, pmd->lcore());
  return absl::OkStatus();
}

absl::Status Datapath::DeleteBridge(std::string_view name) {
  std::unique_ptr<BridgeContext> removed;
  {
    absl::MutexLock lock(&mu_);
    auto it = bridges_.find(A(name));
    if (it == bridges_.end()) {
      return absl::NotFoundError(absl::StrCat("no bridge '", A(name), "'"));
    }
    PmdThread* pmd = it->second.pmd;
    pmd->Run([&] {
      auto& owned = pmd->bridges();
      auto found = std::find_if(owned.begin(), owned.end(),
                                [&](const auto& b) { return b->name() == name; });
      if (found == owned.end()) return;
      removed = std::move(*found);
      owned.erase(found);
    });
    bridges_.erase(it);
  }
  removed.reset();  // closes the bridge's ports, outside the lock
  spdlog::info("dpdk: bridge '{}' deleted", name);
  return absl::OkStatus();
}

std::vector<std::string> Datapath::ListBridges() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, unused] : bridges_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status Datapath::RunErased(std::string_view bridge,
                                 absl::FunctionRef<void(BridgeContext&)> f) {
  absl::MutexLock lock(&mu_);
  auto it = bridges_.find(A(bridge));
  if (it == bridges_.end()) return absl::NotFoundError(absl::StrCat("no bridge '", A(bridge), "'"));
  PmdThread* pmd = it->second.pmd;
  bool found = false;
  pmd->Run([&] {
    for (auto& context : pmd->bridges()) {
      if (context->name() == bridge) {
        found = true;
        f(*context);
        return;
      }
    }
  });
  if (!found) return absl::InternalError(absl::StrCat("bridge '", A(bridge), "' lost its PMD"));
  return absl::OkStatus();
}

absl::Status Datapath::AttachPort(std::string_view bridge, uint32_t ofport,
                                  std::unique_ptr<Port> port, core::PortVlanConfig vlan) {
  if (port == nullptr) return absl::InvalidArgumentError("AttachPort: no port");
  if (ofport == 0 || ofport >= 0xffffff00u) {
    return absl::InvalidArgumentError(
        absl::StrCat("port '", port->name(), "': ofport ", ofport, " is out of range (1-65279)"));
  }
  if (absl::Status status = core::ValidatePortVlanConfig(vlan); !status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("port '", port->name(), "': ", status.message()));
  }
  Port* raw = port.get();
  std::string name = port->name();
  absl::MutexLock lock(&mu_);
  auto it = bridges_.find(A(bridge));
  if (it == bridges_.end()) {
    return absl::NotFoundError(
        absl::StrCat("cannot add port '", name, "': no bridge '", A(bridge), "'"));
  }
  absl::Status added;
  PmdThread* pmd = it->second.pmd;
  pmd->Run([&] {
    for (auto& context : pmd->bridges()) {
      if (context->name() == bridge) added = context->AddPort(ofport, std::move(port), vlan);
    }
  });
  if (!added.ok()) return added;
  it->second.ports.emplace_back(ofport, raw);
  spdlog::info("dpdk: port '{}' attached to bridge '{}' as ofport {}", name, bridge, ofport);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Port>> Datapath::DetachLocked(std::string_view bridge,
                                                             uint32_t ofport) {
  auto it = bridges_.find(A(bridge));
  if (it == bridges_.end()) return absl::NotFoundError(absl::StrCat("no bridge '", A(bridge), "'"));
  absl::StatusOr<std::unique_ptr<Port>> removed =
      absl::NotFoundError(absl::StrCat("bridge '", A(bridge), "' has no ofport ", ofport));
  PmdThread* pmd = it->second.pmd;
  pmd->Run([&] {
    for (auto& context : pmd->bridges()) {
      if (context->name() == bridge) removed = context->RemovePort(ofport);
    }
  });
  if (removed.ok()) {
    auto& ports = it->second.ports;
    ports.erase(std::remove_if(ports.begin(), ports.end(),
                               [&](const auto& p) { return p.first == ofport; }),
                ports.end());
  }
  return removed;
}

absl::StatusOr<std::unique_ptr<Port>> Datapath::DetachPort(std::string_view bridge,
                                                           uint32_t ofport) {
  absl::MutexLock lock(&mu_);
  return DetachLocked(bridge, ofport);
}

absl::Status Datapath::SetPortVlan(std::string_view bridge, uint32_t ofport,
                                   core::PortVlanConfig vlan) {
  if (absl::Status status = core::ValidatePortVlanConfig(vlan); !status.ok()) return status;
  return RunOnBridge(bridge, [&](BridgeContext& b) { return b.SetPortVlan(ofport, vlan); });
}

std::vector<PmdStats> Datapath::GetPmdStats() {
  absl::MutexLock lock(&mu_);
  std::vector<PmdStats> out;
  for (auto& pmd : pmds_) {
    pmd->Run([&] { out.push_back(pmd->stats()); });
  }
  return out;
}

absl::StatusOr<std::vector<AttachedPortStats>> Datapath::GetPortStats(std::string_view bridge) {
  return RunOnBridge(bridge, [&](BridgeContext& b) {
    std::vector<AttachedPortStats> out;
    for (const AttachedPort* port : b.ports()) {
      out.push_back({.bridge = b.name(),
                     .ofport = port->ofport,
                     .name = port->port->name(),
                     .type = port->port->type(),
                     .stats = port->port->stats(),
                     .link = port->port->link()});
    }
    return out;
  });
}

uint64_t Datapath::ports_lost() const {
  absl::MutexLock lock(&mu_);
  return ports_lost_;
}

void Datapath::WatchInterfaces() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.interface_check_interval);
      if (stopping_) return;
    }
    CheckInterfaces();
  }
}

void Datapath::CheckInterfaces() {
  std::vector<std::pair<LostPort, std::unique_ptr<Port>>> lost;
  {
    absl::MutexLock lock(&mu_);
    std::vector<std::pair<std::string, uint32_t>> gone;
    for (const auto& [bridge, record] : bridges_) {
      for (const auto& [ofport, port] : record.ports) {
        if (port->KernelInterfaceGone()) {
          gone.emplace_back(bridge, ofport);
        } else {
          port->Maintain();
        }
      }
    }
    for (const auto& [bridge, ofport] : gone) {
      absl::StatusOr<std::unique_ptr<Port>> port = DetachLocked(bridge, ofport);
      if (!port.ok()) continue;
      ++ports_lost_;
      LostPort info{.bridge = bridge,
                    .ofport = ofport,
                    .name = (*port)->name(),
                    .iface = (*port)->kernel_interface()};
      lost.emplace_back(std::move(info), std::move(*port));
    }
  }
  for (auto& [info, port] : lost) {
    spdlog::warn(
        "dpdk: interface '{}' of port '{}' (bridge '{}', ofport {}) disappeared; "
        "port detached",
        info.iface, info.name, info.bridge, info.ofport);
    port.reset();
    if (options_.on_port_lost) options_.on_port_lost(info);
  }
}

}  // namespace podswitch::dpdk
