// Text and JSON layouts of the agent's verbs.
#include "ctl/agent_output.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ctl/output.h"

namespace podswitch::ctl {
namespace {

using Row = std::vector<std::string>;

// Prints rows as left-aligned columns two spaces apart, without trailing blanks.
std::string FormatTable(const std::vector<Row>& rows, const std::string& indent = "") {
  std::vector<size_t> widths;
  for (const Row& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line = indent;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

// A sort key that orders IPv4 (then IPv6) addresses numerically, anything else last as text.
std::tuple<int, std::array<uint8_t, 16>, std::string> AddressKey(const std::string& ip) {
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, ip.c_str(), bytes.data()) == 1) return {0, bytes, ip};
  if (inet_pton(AF_INET6, ip.c_str(), bytes.data()) == 1) return {1, bytes, ip};
  return {2, bytes, ip};
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

std::string ShortId(const std::string& id) { return OrDash(id.substr(0, 12)); }

std::vector<const agentapi::PodAttachment*> SortedPods(const agentapi::ListPodsResponse& pods) {
  std::vector<const agentapi::PodAttachment*> sorted;
  for (const auto& pod : pods.pods()) sorted.push_back(&pod);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return std::tie(a->pod_namespace(), a->pod_name(), a->ifname(), a->container_id()) <
           std::tie(b->pod_namespace(), b->pod_name(), b->ifname(), b->container_id());
  });
  return sorted;
}

std::vector<const agentapi::PodAttachment*> SortedAllocations(
    const agentapi::ShowIpamResponse& ipam) {
  std::vector<const agentapi::PodAttachment*> sorted;
  for (const auto& allocation : ipam.allocations()) sorted.push_back(&allocation);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return AddressKey(a->ip()) < AddressKey(b->ip());
  });
  return sorted;
}

}  // namespace

std::string FormatPodList(const agentapi::ListPodsResponse& pods) {
  std::vector<Row> rows{
      {"NAMESPACE", "NAME", "IFNAME", "BRIDGE", "IP", "MAC", "PORT", "TYPE", "LINK", "CONTAINER"}};
  for (const auto* pod : SortedPods(pods)) {
    rows.push_back({OrDash(pod->pod_namespace()), OrDash(pod->pod_name()), OrDash(pod->ifname()),
                    OrDash(pod->bridge()), OrDash(pod->ip()), OrDash(pod->mac()),
                    OrDash(pod->port()), OrDash(pod->interface_type()), OrDash(pod->link_state()),
                    ShortId(pod->container_id())});
  }
  return FormatTable(rows);
}

nlohmann::json PodListToJson(const agentapi::ListPodsResponse& pods) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto* pod : SortedPods(pods)) array.push_back(MessageToJson(*pod));
  return array;
}

std::string FormatIpam(const agentapi::ShowIpamResponse& ipam) {
  uint64_t free = ipam.capacity() > ipam.allocated() ? ipam.capacity() - ipam.allocated() : 0;
  std::string used = ipam.capacity() == 0
                         ? "0.0"
                         : absl::StrFormat("%.1f", 100.0 * ipam.allocated() / ipam.capacity());
  std::string out = FormatTable({{"pod CIDR:", OrDash(ipam.pod_cidr())},
                                 {"gateway:", OrDash(ipam.gateway())},
                                 {"capacity:", absl::StrCat(ipam.capacity())},
                                 {"allocated:", absl::StrCat(ipam.allocated(), " (", used, "%)")},
                                 {"free:", absl::StrCat(free)}});
  if (ipam.allocations_size() == 0) return out;
  absl::StrAppend(&out, "allocations:\n");
  std::vector<Row> rows{{"IP", "NAMESPACE", "NAME", "IFNAME", "CONTAINER"}};
  for (const auto* a : SortedAllocations(ipam)) {
    rows.push_back({OrDash(a->ip()), OrDash(a->pod_namespace()), OrDash(a->pod_name()),
                    OrDash(a->ifname()), ShortId(a->container_id())});
  }
  absl::StrAppend(&out, FormatTable(rows, "  "));
  return out;
}

nlohmann::json IpamToJson(const agentapi::ShowIpamResponse& ipam) {
  nlohmann::json allocations = nlohmann::json::array();
  for (const auto* a : SortedAllocations(ipam)) {
    allocations.push_back({{"ip", a->ip()},
                           {"container_id", a->container_id()},
                           {"ifname", a->ifname()},
                           {"pod_namespace", a->pod_namespace()},
                           {"pod_name", a->pod_name()}});
  }
  uint64_t free = ipam.capacity() > ipam.allocated() ? ipam.capacity() - ipam.allocated() : 0;
  return {{"pod_cidr", ipam.pod_cidr()},
          {"gateway", ipam.gateway()},
          {"capacity", ipam.capacity()},
          {"allocated", ipam.allocated()},
          {"free", free},
          {"allocations", std::move(allocations)}};
}

}  // namespace podswitch::ctl
