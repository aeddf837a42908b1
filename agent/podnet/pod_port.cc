#include "agent/podnet/pod_port.h"

#include "absl/strings/str_cat.h"
#include "agent/podnet/switch_error.h"
#include "cni/spec/error.h"
#include "spdlog/spdlog.h"

namespace podswitch::agent {
namespace {

using cni::CniStatus;
using cni::ErrorCode;

absl::Status DeleteStalePort(SwitchClient& switch_client, const switchd::v1::Port& port,
                             std::optional<uint64_t> flow_cookie) {
  return flow_cookie ? switch_client.DeletePortAndFlows(port.bridge(), port.name(), *flow_cookie)
                     : switch_client.DeletePort(port.name());
}

}  // namespace

absl::StatusOr<std::string> WirePodVeth(SwitchClient& switch_client,
                                        const netlink::PodInterfaceConfig& config,
                                        const switchd::v1::Port& port,
                                        std::optional<uint64_t> flow_cookie, bool retry) {
  if (retry) {
    auto existing = switch_client.GetPort(port.name());
    bool complete = netlink::CheckPodInterface(config).ok() && existing.ok() &&
                    existing->bridge() == port.bridge() && existing->link_state() == "up";
    if (complete) return std::string();
    // A port left by an earlier attempt refers to a veth about to be replaced.
    if (existing.ok()) {
      if (absl::Status stale = DeleteStalePort(switch_client, port, flow_cookie); !stale.ok()) {
        return SwitchError(stale, ErrorCode::kInterfaceSetupFailed,
                           absl::StrCat("delete stale port ", port.name()));
      }
    }
  }
  auto wired = netlink::SetupPodInterface(config);
  if (!wired.ok()) {
    return CniStatus(ErrorCode::kInterfaceSetupFailed, std::string(wired.status().message()));
  }
  return wired->host_mac;
}

absl::StatusOr<switchd::v1::Port> AttachPodPort(SwitchClient& switch_client,
                                                const switchd::v1::Port& port,
                                                const std::vector<std::string>& flows,
                                                std::optional<uint64_t> flow_cookie,
                                                bool may_exist) {
  auto attached = switch_client.CreatePort(port, flows, may_exist);
  if (absl::IsAlreadyExists(attached.status())) {
    // Only a port the agent's state forgot (it lost its newest commits in a power loss) can
    // be in the way of a new pod: it refers to an interface that is gone.
    spdlog::warn("replacing a stale port {} on {}", port.name(), port.bridge());
    absl::Status stale = DeleteStalePort(switch_client, port, flow_cookie);
    attached = stale.ok() ? switch_client.CreatePort(port, flows, /*may_exist=*/false) : stale;
  }
  if (!attached.ok()) {
    return SwitchError(attached.status(),
                       absl::IsInvalidArgument(attached.status())
                           ? ErrorCode::kFlowSetupFailed
                           : ErrorCode::kInterfaceSetupFailed,
                       absl::StrCat("attach ", port.name(), " to ", port.bridge()));
  }
  if (attached->link_state() != "up") {
    return CniStatus(ErrorCode::kInterfaceSetupFailed,
                     absl::StrCat("podswitchd could not open port ", port.name()),
                     attached->error());
  }
  return attached;
}

}  // namespace podswitch::agent
