// The two ethtool settings pod wiring needs, through the ethtool ioctl of the calling thread's
// network namespace (no genetlink family needed).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace podswitch::agent::netlink::internal {

// Switches tx checksum offload off on `ifname` and every TCP segmentation offload with it
// (found by feature name, so newer kernels' variants such as tx-tcp-accecn-segmentation go
// too): the userspace switch must receive segments with complete checksums. `where` names
// the interface and namespace in errors.
absl::Status DisableTxOffloads(const std::string& ifname, std::string_view where);

// Whether tx checksum offload is on, for CHECK.
absl::StatusOr<bool> TxChecksumEnabled(const std::string& ifname, std::string_view where);

}  // namespace podswitch::agent::netlink::internal
