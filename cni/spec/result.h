// The CNI result: what ADD returns and what CHECK, DEL and chained plugins get as prevResult.
// One in-memory shape, read from any supported version and written in the version the
// network config asked for.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace podswitch::cni {

// An interface the plugin created or configured. `socket_path` is set for vhost-user pods:
// the DPDK application in the pod attaches to it with virtio_user.
struct Interface {
  std::string name;
  std::string mac;
  std::optional<int> mtu;
  std::string sandbox;  // the netns path for interfaces inside the container
  std::string socket_path;
  std::string pci_id;
  bool operator==(const Interface&) const = default;
};

// An address given to an interface ("10.1.0.5/24"), its gateway, and the index into
// Result::interfaces of the interface that carries it.
struct IpConfig {
  std::string address;
  std::string gateway;
  std::optional<int> interface;
  bool operator==(const IpConfig&) const = default;
};

// A route for the container; the attributes after `gw` exist only from spec 1.1.0 on.
struct Route {
  std::string dst;
  std::string gw;
  std::optional<int> mtu;
  std::optional<int> advmss;
  std::optional<int> priority;
  std::optional<int> table;
  std::optional<int> scope;
  bool operator==(const Route&) const = default;
};

// DNS settings, as in both the network config and the result.
struct Dns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool operator==(const Dns&) const = default;
  // True when no DNS setting is present, so writers can leave the "dns" key out.
  bool empty() const {
    return nameservers.empty() && domain.empty() && search.empty() && options.empty();
  }
};

// A whole CNI result (the cniVersion it is written in is chosen at serialisation).
struct Result {
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  Dns dns;
  bool operator==(const Result&) const = default;
};

// Reads a result in any supported version (0.3.x/0.4.0 "version" fields are accepted and
// ignored). Errors are code 7 and name the field below `path` ("prevResult.ips[0].address").
absl::StatusOr<Result> ParseResult(const nlohmann::json& json, std::string_view path);

// Reads the "dns" object of a config or result.
absl::StatusOr<Dns> ParseDns(const nlohmann::json& json, std::string_view path);

// Writes the result for `cni_version`. 1.0.0 and 1.1.0 share one shape (as in libcni, the
// 1.1.0 fields such as socketPath are kept for 1.0.0); 0.3.x and 0.4.0 add each IP's
// "version" ("4"/"6") and drop the 1.1.0-only interface and route fields.
nlohmann::json ResultToJson(const Result& result, std::string_view cni_version);

// The IP family (4 or 6) of an address with or without a prefix length; 0 when unparsable.
int IpFamily(std::string_view address);

}  // namespace podswitch::cni
