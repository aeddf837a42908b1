#include "cni/spec/result.h"

#include <arpa/inet.h>

#include <charconv>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cni/spec/internal/json_fields.h"
#include "cni/spec/version.h"

namespace podswitch::cni {
namespace {

using internal::FieldError;
using internal::FieldPath;
using internal::IndexPath;

constexpr int64_t kIntMax = 0x7fffffff;

// True for "ADDRESS/LEN" with LEN valid for the family.
bool IsCidr(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  int family = IpFamily(text.substr(0, slash));
  std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || end != len_text.data() + len_text.size()) return false;
  return family != 0 && len >= 0 && len <= (family == 4 ? 32 : 128);
}

// Reads an optional int field into an optional<int>.
absl::Status ReadInt(const nlohmann::json& object, std::string_view key, std::string_view parent,
                     int64_t min, std::optional<int>& out) {
  auto value = internal::OptionalInt(object, key, parent, min, kIntMax);
  if (!value.ok()) return value.status();
  if (value->has_value()) out = static_cast<int>(**value);
  return absl::OkStatus();
}

// Reads an optional string field into a string (empty when absent).
absl::Status ReadString(const nlohmann::json& object, std::string_view key, std::string_view parent,
                        std::string& out) {
  auto value = internal::OptionalString(object, key, parent);
  if (!value.ok()) return value.status();
  out = value->value_or("");
  return absl::OkStatus();
}

// Reads an IP field that must parse as an address (not a CIDR) when present.
absl::Status ReadIp(const nlohmann::json& object, std::string_view key, std::string_view parent,
                    std::string& out) {
  if (auto status = ReadString(object, key, parent, out); !status.ok()) return status;
  if (!out.empty() && IpFamily(out) == 0) {
    return FieldError(FieldPath(parent, key), "an IP address", object[std::string(key)]);
  }
  return absl::OkStatus();
}

// Reads a required CIDR field ("10.1.0.5/24").
absl::Status ReadCidr(const nlohmann::json& object, std::string_view key, std::string_view parent,
                      std::string& out) {
  auto value = internal::RequiredString(object, key, parent);
  if (!value.ok()) return value.status();
  if (!IsCidr(*value)) {
    return FieldError(FieldPath(parent, key), "an address with prefix length (CIDR)",
                      object[std::string(key)]);
  }
  out = *std::move(value);
  return absl::OkStatus();
}

absl::StatusOr<Interface> ParseInterface(const nlohmann::json& json, const std::string& path) {
  if (!json.is_object()) return FieldError(path, "an object", json);
  Interface out;
  absl::Status status = ReadString(json, "name", path, out.name);
  if (status.ok()) status = ReadString(json, "mac", path, out.mac);
  if (status.ok()) status = ReadInt(json, "mtu", path, 0, out.mtu);
  if (status.ok()) status = ReadString(json, "sandbox", path, out.sandbox);
  if (status.ok()) status = ReadString(json, "socketPath", path, out.socket_path);
  if (status.ok()) status = ReadString(json, "pciID", path, out.pci_id);
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<IpConfig> ParseIp(const nlohmann::json& json, const std::string& path,
                                 size_t interface_count) {
  if (!json.is_object()) return FieldError(path, "an object", json);
  IpConfig out;
  absl::Status status = ReadCidr(json, "address", path, out.address);
  if (status.ok()) status = ReadIp(json, "gateway", path, out.gateway);
  if (status.ok()) status = ReadInt(json, "interface", path, 0, out.interface);
  if (!status.ok()) return status;
  if (out.interface && static_cast<size_t>(*out.interface) >= interface_count) {
    return FieldError(FieldPath(path, "interface"),
                      absl::StrCat("an index into the ", interface_count, " interfaces"),
                      json["interface"]);
  }
  return out;
}

absl::StatusOr<Route> ParseRoute(const nlohmann::json& json, const std::string& path) {
  if (!json.is_object()) return FieldError(path, "an object", json);
  Route out;
  absl::Status status = ReadCidr(json, "dst", path, out.dst);
  if (status.ok()) status = ReadIp(json, "gw", path, out.gw);
  if (status.ok()) status = ReadInt(json, "mtu", path, 0, out.mtu);
  if (status.ok()) status = ReadInt(json, "advmss", path, 0, out.advmss);
  if (status.ok()) status = ReadInt(json, "priority", path, 0, out.priority);
  if (status.ok()) status = ReadInt(json, "table", path, 0, out.table);
  if (status.ok()) status = ReadInt(json, "scope", path, 0, out.scope);
  if (!status.ok()) return status;
  return out;
}

// Parses every element of the array field `key` with `parse`, appending to `out`.
template <typename T, typename Parse>
absl::Status ParseArray(const nlohmann::json& object, std::string_view key, std::string_view parent,
                        Parse parse, std::vector<T>& out) {
  auto array = internal::OptionalContainer(object, key, parent, /*want_array=*/true);
  if (!array.ok()) return array.status();
  if (*array == nullptr) return absl::OkStatus();
  std::string path = FieldPath(parent, key);
  for (size_t i = 0; i < (*array)->size(); ++i) {
    absl::StatusOr<T> item = parse((**array)[i], IndexPath(path, i));
    if (!item.ok()) return item.status();
    out.push_back(*std::move(item));
  }
  return absl::OkStatus();
}

nlohmann::json DnsToJson(const Dns& dns) {
  nlohmann::json out = nlohmann::json::object();
  if (!dns.nameservers.empty()) out["nameservers"] = dns.nameservers;
  if (!dns.domain.empty()) out["domain"] = dns.domain;
  if (!dns.search.empty()) out["search"] = dns.search;
  if (!dns.options.empty()) out["options"] = dns.options;
  return out;
}

nlohmann::json InterfaceToJson(const Interface& interface, bool v1) {
  nlohmann::json out = {{"name", interface.name}};
  if (!interface.mac.empty()) out["mac"] = interface.mac;
  if (v1 && interface.mtu) out["mtu"] = *interface.mtu;
  if (!interface.sandbox.empty()) out["sandbox"] = interface.sandbox;
  if (v1 && !interface.socket_path.empty()) out["socketPath"] = interface.socket_path;
  if (v1 && !interface.pci_id.empty()) out["pciID"] = interface.pci_id;
  return out;
}

nlohmann::json IpToJson(const IpConfig& ip, bool v1) {
  nlohmann::json out = nlohmann::json::object();
  if (!v1) out["version"] = IpFamily(ip.address) == 6 ? "6" : "4";
  out["address"] = ip.address;
  if (!ip.gateway.empty()) out["gateway"] = ip.gateway;
  if (ip.interface) out["interface"] = *ip.interface;
  return out;
}

nlohmann::json RouteToJson(const Route& route, bool v1) {
  nlohmann::json out = {{"dst", route.dst}};
  if (!route.gw.empty()) out["gw"] = route.gw;
  if (!v1) return out;
  if (route.mtu) out["mtu"] = *route.mtu;
  if (route.advmss) out["advmss"] = *route.advmss;
  if (route.priority) out["priority"] = *route.priority;
  if (route.table) out["table"] = *route.table;
  if (route.scope) out["scope"] = *route.scope;
  return out;
}

}  // namespace

int IpFamily(std::string_view address) {
  std::string text(address.substr(0, address.find('/')));
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) return 4;
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) return 6;
  return 0;
}

absl::StatusOr<Dns> ParseDns(const nlohmann::json& json, std::string_view path) {
  if (!json.is_object()) return FieldError(path, "an object", json);
  Dns dns;
  auto nameservers = internal::OptionalStringArray(json, "nameservers", path);
  if (!nameservers.ok()) return nameservers.status();
  auto search = internal::OptionalStringArray(json, "search", path);
  if (!search.ok()) return search.status();
  auto options = internal::OptionalStringArray(json, "options", path);
  if (!options.ok()) return options.status();
  if (auto status = ReadString(json, "domain", path, dns.domain); !status.ok()) return status;
  dns.nameservers = *std::move(nameservers);
  dns.search = *std::move(search);
  dns.options = *std::move(options);
  return dns;
}

absl::StatusOr<Result> ParseResult(const nlohmann::json& json, std::string_view path) {
  if (!json.is_object()) return FieldError(path, "an object", json);
  Result result;
  absl::Status status = ParseArray(json, "interfaces", path, ParseInterface, result.interfaces);
  if (!status.ok()) return status;
  size_t interface_count = result.interfaces.size();
  status = ParseArray<IpConfig>(
      json, "ips", path,
      [&](const nlohmann::json& item, const std::string& item_path) {
        return ParseIp(item, item_path, interface_count);
      },
      result.ips);
  if (!status.ok()) return status;
  status = ParseArray(json, "routes", path, ParseRoute, result.routes);
  if (!status.ok()) return status;
  if (const nlohmann::json* dns = internal::FindField(json, "dns"); dns != nullptr) {
    absl::StatusOr<Dns> parsed = ParseDns(*dns, FieldPath(path, "dns"));
    if (!parsed.ok()) return parsed.status();
    result.dns = *std::move(parsed);
  }
  return result;
}

nlohmann::json ResultToJson(const Result& result, std::string_view cni_version) {
  bool v1 = VersionAtLeast(cni_version, "1.0.0");
  nlohmann::json out = {{"cniVersion", cni_version}};
  if (!result.interfaces.empty()) {
    nlohmann::json& interfaces = out["interfaces"] = nlohmann::json::array();
    for (const Interface& interface : result.interfaces) {
      interfaces.push_back(InterfaceToJson(interface, v1));
    }
  }
  if (!result.ips.empty()) {
    nlohmann::json& ips = out["ips"] = nlohmann::json::array();
    for (const IpConfig& ip : result.ips) ips.push_back(IpToJson(ip, v1));
  }
  if (!result.routes.empty()) {
    nlohmann::json& routes = out["routes"] = nlohmann::json::array();
    for (const Route& route : result.routes) routes.push_back(RouteToJson(route, v1));
  }
  if (!result.dns.empty()) out["dns"] = DnsToJson(result.dns);
  return out;
}

}  // namespace podswitch::cni
