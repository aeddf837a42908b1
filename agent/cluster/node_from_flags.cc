#include "agent/cluster/node_from_flags.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/cluster/internal/ip_text.h"

namespace podswitch::agent::cluster {

absl::StatusOr<Node> NodeFromFlags(std::string_view name, std::string_view pod_cidr,
                                   std::string_view internal_ip) {
  if (name.empty()) return absl::InvalidArgumentError("--node-name is empty");
  Node node;
  node.meta.name = std::string(name);
  if (!pod_cidr.empty()) {
    for (absl::string_view part :
         absl::StrSplit(absl::string_view(pod_cidr.data(), pod_cidr.size()), ',')) {
      std::string text(absl::StripAsciiWhitespace(part));
      absl::StatusOr<std::string> cidr = internal::CanonicalCidr(text);
      if (!cidr.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("pod CIDR flag: \"", text, "\" ", cidr.status().message()));
      }
      node.pod_cidrs.push_back(*cidr);
    }
  }
  if (!internal_ip.empty()) {
    if (!internal::IsIpAddress(internal_ip)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "internal IP flag: \"", std::string(internal_ip), "\" is not an IP address"));
    }
    node.internal_ip = std::string(internal_ip);
    node.internal_ips.push_back(node.internal_ip);
  }
  return node;
}

}  // namespace podswitch::agent::cluster
