#include "agent/netlink/internal/ethtool.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/netlink/netns.h"

namespace podswitch::agent::netlink::internal {
namespace {

// Runs one SIOCETHTOOL request on `ifname`; `what` describes it in errors.
absl::StatusOr<int> Ethtool(const std::string& ifname, void* request, std::string_view what) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat(std::string(what), ": socket"));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = static_cast<char*>(request);
  int result = ioctl(fd.get(), SIOCETHTOOL, &ifr);
  if (result < 0) return absl::ErrnoToStatus(errno, std::string(what));
  return result;
}

// The names of the device's features, indexed by feature bit.
absl::StatusOr<std::vector<std::string>> FeatureNames(const std::string& ifname,
                                                      std::string_view what) {
  std::vector<uint64_t> info_buffer((sizeof(ethtool_sset_info) + sizeof(uint32_t) + 7) / 8);
  auto* info = reinterpret_cast<ethtool_sset_info*>(info_buffer.data());
  info->cmd = ETHTOOL_GSSET_INFO;
  info->sset_mask = uint64_t{1} << ETH_SS_FEATURES;
  if (absl::StatusOr<int> result = Ethtool(ifname, info, what); !result.ok()) {
    return result.status();
  }
  uint32_t count = (info->sset_mask & (uint64_t{1} << ETH_SS_FEATURES)) ? info->data[0] : 0;

  std::vector<uint64_t> buffer((sizeof(ethtool_gstrings) + count * ETH_GSTRING_LEN + 7) / 8);
  auto* strings = reinterpret_cast<ethtool_gstrings*>(buffer.data());
  strings->cmd = ETHTOOL_GSTRINGS;
  strings->string_set = ETH_SS_FEATURES;
  strings->len = count;
  if (absl::StatusOr<int> result = Ethtool(ifname, strings, what); !result.ok()) {
    return result.status();
  }
  std::vector<std::string> names;
  for (uint32_t i = 0; i < strings->len && i < count; ++i) {
    const char* name = reinterpret_cast<const char*>(strings->data) + i * ETH_GSTRING_LEN;
    names.emplace_back(name, strnlen(name, ETH_GSTRING_LEN));
  }
  return names;
}

}  // namespace

absl::Status DisableTxOffloads(const std::string& ifname, std::string_view where) {
  std::string what = absl::StrCat("disable tx checksum offload on ", std::string(where));
  ethtool_value csum{.cmd = ETHTOOL_STXCSUM, .data = 0};
  if (absl::StatusOr<int> result = Ethtool(ifname, &csum, what); !result.ok()) {
    return result.status();
  }

  what = absl::StrCat("disable TCP segmentation offload on ", std::string(where));
  absl::StatusOr<std::vector<std::string>> names = FeatureNames(ifname, what);
  if (!names.ok()) return names.status();
  const size_t blocks = (names->size() + 31) / 32;
  std::vector<uint64_t> buffer(
      (sizeof(ethtool_sfeatures) + blocks * sizeof(ethtool_set_features_block) + 7) / 8);
  auto* request = reinterpret_cast<ethtool_sfeatures*>(buffer.data());
  request->cmd = ETHTOOL_SFEATURES;
  request->size = static_cast<uint32_t>(blocks);
  bool any = false;
  for (size_t bit = 0; bit < names->size(); ++bit) {
    const std::string& name = (*names)[bit];
    if (absl::StartsWith(name, "tx-tcp") && absl::EndsWith(name, "segmentation")) {
      request->features[bit / 32].valid |= uint32_t{1} << (bit % 32);  // requested bit stays 0
      any = true;
    }
  }
  if (!any) return absl::OkStatus();
  // A positive result (ETHTOOL_F_WISH...) only says some feature cannot change, e.g. is fixed.
  return Ethtool(ifname, request, what).status();
}

absl::StatusOr<bool> TxChecksumEnabled(const std::string& ifname, std::string_view where) {
  ethtool_value csum{.cmd = ETHTOOL_GTXCSUM, .data = 0};
  absl::StatusOr<int> result =
      Ethtool(ifname, &csum, absl::StrCat("read tx checksum offload of ", std::string(where)));
  if (!result.ok()) return result.status();
  return csum.data != 0;
}

}  // namespace podswitch::agent::netlink::internal
