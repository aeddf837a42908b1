#include "dataplane/dpdk/vxlan_receivers.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dataplane/core/packet/addr.h"
#include "spdlog/spdlog.h"

namespace podswitch::dpdk {
namespace {

std::string MatchToString(const core::VxlanReceiveMatch& match) {
  return absl::StrCat("remote_ip=", match.remote_ip ? core::Ipv4ToString(*match.remote_ip) : "flow",
                      " key=", match.key ? std::to_string(*match.key) : "flow");
}

}  // namespace

VxlanReceivers::Registration::~Registration() { registry_->Unregister(id_); }

VxlanReceivers& VxlanReceivers::Process() {
  // Never destroyed: a port closed during static destruction still finds it.
  static VxlanReceivers* registry = new VxlanReceivers();
  return *registry;
}

std::unique_ptr<VxlanReceivers::Registration> VxlanReceivers::Register(
    std::string name, uint32_t local_ip, uint16_t dst_port, core::VxlanReceiveMatch match,
    ClaimsCallback claims) {
  const Address address = uint64_t{local_ip} << 16 | dst_port;
  absl::MutexLock lock(&mu_);
  std::vector<Receiver>& receivers = by_address_[address];
  for (const Receiver& other : receivers) {
    if (other.match == match) {
      spdlog::warn(
          "dpdk: vxlan port '{}' has the same {} on {}:{} as port '{}': both take its "
          "datagrams",
          name, MatchToString(match), core::Ipv4ToString(local_ip), dst_port, other.name);
    }
  }
  const uint64_t id = next_id_++;
  receivers.push_back(
      {.id = id, .name = std::move(name), .match = match, .claims = std::move(claims)});
  address_of_[id] = address;
  HandOutClaims(receivers);
  return std::unique_ptr<Registration>(new Registration(this, id));
}

void VxlanReceivers::Unregister(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto at = address_of_.find(id);
  if (at == address_of_.end()) return;
  auto group = by_address_.find(at->second);
  address_of_.erase(at);
  std::vector<Receiver>& receivers = group->second;
  std::erase_if(receivers, [id](const Receiver& r) { return r.id == id; });
  if (receivers.empty()) {
    by_address_.erase(group);
    return;
  }
  HandOutClaims(receivers);
}

void VxlanReceivers::HandOutClaims(const std::vector<Receiver>& receivers) {
  std::vector<core::VxlanReceiveMatch> others;
  others.reserve(receivers.size());
  for (const Receiver& receiver : receivers) {
    others.clear();
    for (const Receiver& other : receivers) {
      if (other.id != receiver.id) others.push_back(other.match);
    }
    receiver.claims(std::make_unique<const core::VxlanClaims>(
        core::VxlanClaims::Above(receiver.match, others)));
  }
}

}  // namespace podswitch::dpdk
