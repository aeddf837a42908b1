#include "cni/spec/config.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cni/spec/error.h"
#include "cni/spec/internal/json_fields.h"
#include "cni/spec/version.h"

namespace podswitch::cni {
namespace {

using internal::FieldError;
using internal::FieldPath;
using internal::FindField;
using internal::IndexPath;
using internal::OptionalContainer;
using internal::OptionalInt;
using internal::OptionalString;

// The keys GC's attachment list may come under: the spec's, and the one libcni 1.2.0 sent.
constexpr std::string_view kValidAttachmentKeys[] = {"cni.dev/valid-attachments",
                                                     "cni.dev/attachments"};

// Reads an interfaceType field ("veth", "vhostuser" or "tap").
absl::StatusOr<std::optional<InterfaceType>> ReadInterfaceType(const nlohmann::json& object,
                                                               std::string_view parent) {
  auto text = OptionalString(object, "interfaceType", parent);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::optional<InterfaceType>();
  std::optional<InterfaceType> type = ParseInterfaceType(**text);
  if (!type) {
    return FieldError(FieldPath(parent, "interfaceType"), "one of veth, vhostuser, tap",
                      object["interfaceType"]);
  }
  return type;
}

// Reads a port mapping field under either spelling (hostPort or HostPort).
absl::StatusOr<std::optional<int64_t>> EitherInt(const nlohmann::json& object,
                                                 std::string_view lower, std::string_view upper,
                                                 std::string_view path, int64_t min, int64_t max) {
  auto value = OptionalInt(object, lower, path, min, max);
  if (!value.ok() || value->has_value()) return value;
  return OptionalInt(object, upper, path, min, max);
}

absl::StatusOr<std::optional<std::string>> EitherString(const nlohmann::json& object,
                                                        std::string_view lower,
                                                        std::string_view upper,
                                                        std::string_view path) {
  auto value = OptionalString(object, lower, path);
  if (!value.ok() || value->has_value()) return value;
  return OptionalString(object, upper, path);
}

absl::StatusOr<PortMapping> ParsePortMapping(const nlohmann::json& json, const std::string& path) {
  if (!json.is_object()) return FieldError(path, "an object", json);
  PortMapping mapping;
  auto host_port = EitherInt(json, "hostPort", "HostPort", path, 1, 65535);
  if (!host_port.ok()) return host_port.status();
  auto container_port = EitherInt(json, "containerPort", "ContainerPort", path, 1, 65535);
  if (!container_port.ok()) return container_port.status();
  if (!host_port->has_value()) return internal::MissingField(FieldPath(path, "hostPort"));
  if (!container_port->has_value()) {
    return internal::MissingField(FieldPath(path, "containerPort"));
  }
  auto protocol = EitherString(json, "protocol", "Protocol", path);
  if (!protocol.ok()) return protocol.status();
  auto host_ip = EitherString(json, "hostIP", "HostIP", path);
  if (!host_ip.ok()) return host_ip.status();
  mapping.host_port = static_cast<int>(**host_port);
  mapping.container_port = static_cast<int>(**container_port);
  if (protocol->has_value()) mapping.protocol = **protocol;
  if (mapping.protocol != "tcp" && mapping.protocol != "udp" && mapping.protocol != "sctp") {
    return FieldError(FieldPath(path, "protocol"), "tcp, udp or sctp", mapping.protocol);
  }
  mapping.host_ip = host_ip->value_or("");
  return mapping;
}

absl::StatusOr<RuntimeConfig> ParseRuntimeConfig(const nlohmann::json& json) {
  constexpr std::string_view kPath = "runtimeConfig";
  RuntimeConfig out;
  out.raw = json;
  auto mappings = OptionalContainer(json, "portMappings", kPath, /*want_array=*/true);
  if (!mappings.ok()) return mappings.status();
  if (*mappings != nullptr) {
    std::string path = FieldPath(kPath, "portMappings");
    for (size_t i = 0; i < (*mappings)->size(); ++i) {
      auto mapping = ParsePortMapping((**mappings)[i], IndexPath(path, i));
      if (!mapping.ok()) return mapping.status();
      out.port_mappings.push_back(*std::move(mapping));
    }
  }
  auto type = ReadInterfaceType(json, kPath);
  if (!type.ok()) return type.status();
  out.interface_type = *type;
  auto mac = OptionalString(json, "mac", kPath);
  if (!mac.ok()) return mac.status();
  out.mac = mac->value_or("");
  auto ips = internal::OptionalStringArray(json, "ips", kPath);
  if (!ips.ok()) return ips.status();
  out.ips = *std::move(ips);
  return out;
}

absl::StatusOr<std::vector<Attachment>> ParseAttachments(const nlohmann::json& json,
                                                         std::string_view path) {
  if (!json.is_array()) return FieldError(path, "an array", json);
  std::vector<Attachment> out;
  for (size_t i = 0; i < json.size(); ++i) {
    std::string item_path = IndexPath(path, i);
    if (!json[i].is_object()) return FieldError(item_path, "an object", json[i]);
    auto container_id = internal::RequiredString(json[i], "containerID", item_path);
    if (!container_id.ok()) return container_id.status();
    auto ifname = internal::RequiredString(json[i], "ifname", item_path);
    if (!ifname.ok()) return ifname.status();
    out.push_back({*std::move(container_id), *std::move(ifname)});
  }
  return out;
}

// Reads cniVersion: required, and one we support (code 1 naming the supported ones).
absl::StatusOr<std::string> ParseCniVersion(const nlohmann::json& json) {
  auto version = internal::RequiredString(json, "cniVersion", "");
  if (!version.ok()) return version.status();
  if (!IsSupportedVersion(*version)) {
    std::vector<std::string> supported(std::begin(kSupportedVersions),
                                       std::end(kSupportedVersions));
    return CniStatus(ErrorCode::kIncompatibleVersion,
                     absl::StrCat("cniVersion \"", *version, "\" is not supported"),
                     absl::StrCat("supported versions: ", absl::StrJoin(supported, ", ")));
  }
  return version;
}

// Reads the plain scalar fields: agentSocket, timeoutSeconds, mtu, interfaceType.
absl::Status ParseScalars(const nlohmann::json& json, NetworkConfig& config) {
  auto socket = OptionalString(json, "agentSocket", "");
  if (!socket.ok()) return socket.status();
  if (socket->has_value()) {
    std::string path = **socket;
    if (path.rfind("unix:", 0) == 0) path = path.substr(5);
    if (path.empty() || path[0] != '/') {
      return FieldError("agentSocket", "an absolute path to a unix socket", **socket);
    }
    config.agent_socket = path;
  }
  auto timeout = OptionalInt(json, "timeoutSeconds", "", 1, 3600);
  if (!timeout.ok()) return timeout.status();
  if (timeout->has_value()) config.timeout_seconds = static_cast<int>(**timeout);
  auto mtu = OptionalInt(json, "mtu", "", 68, 65535);
  if (!mtu.ok()) return mtu.status();
  if (mtu->has_value()) config.mtu = static_cast<int>(**mtu);
  auto type = ReadInterfaceType(json, "");
  if (!type.ok()) return type.status();
  config.interface_type = *type;
  return absl::OkStatus();
}

// Reads the ipam section; Podswitch allocates from the node's podCIDR itself, so an ipam
// section naming another IPAM plugin is an unsupported field (code 2), not silently ignored.
absl::Status ParseIpam(const nlohmann::json& json, NetworkConfig& config) {
  auto ipam = OptionalContainer(json, "ipam", "", /*want_array=*/false);
  if (!ipam.ok()) return ipam.status();
  if (*ipam == nullptr) return absl::OkStatus();
  auto type = OptionalString(**ipam, "type", "ipam");
  if (!type.ok()) return type.status();
  if (type->has_value() && **type != "podswitch") {
    return CniStatus(ErrorCode::kUnsupportedField,
                     absl::StrCat("ipam.type \"", **type,
                                  "\" is not supported: podswitch allocates pod addresses from "
                                  "the node's podCIDR (omit ipam or set type \"podswitch\")"));
  }
  config.ipam = **ipam;
  return absl::OkStatus();
}

// Reads one "trunk" entry: {"id": N} or {"minID": A, "maxID": B}.
absl::Status AddTrunkEntry(const nlohmann::json& entry, const std::string& path,
                           std::vector<uint16_t>& trunks) {
  if (!entry.is_object()) return FieldError(path, "an object", entry);
  auto id = OptionalInt(entry, "id", path, 0, 4094);
  if (!id.ok()) return id.status();
  auto min = OptionalInt(entry, "minID", path, 0, 4094);
  if (!min.ok()) return min.status();
  auto max = OptionalInt(entry, "maxID", path, 0, 4094);
  if (!max.ok()) return max.status();
  if (id->has_value() && !min->has_value() && !max->has_value()) {
    trunks.push_back(static_cast<uint16_t>(**id));
    return absl::OkStatus();
  }
  if (!id->has_value() && min->has_value() && max->has_value() && **min <= **max) {
    for (int64_t v = **min; v <= **max; ++v) trunks.push_back(static_cast<uint16_t>(v));
    return absl::OkStatus();
  }
  return FieldError(path, "{\"id\": N} or {\"minID\": A, \"maxID\": B} with A <= B", entry);
}

// Reads a secondary L2 network: bridge, vlan, trunk, vni and ipam.subnet/rangeStart/rangeEnd
// (see L2Network).
absl::Status ParseL2Network(const nlohmann::json& json, NetworkConfig& config) {
  auto bridge = OptionalString(json, "bridge", "");
  if (!bridge.ok()) return bridge.status();
  bool has_l2_field = FindField(json, "vlan") || FindField(json, "trunk") || FindField(json, "vni");
  const nlohmann::json* subnet =
      config.ipam.is_object() ? FindField(config.ipam, "subnet") : nullptr;
  if (!bridge->has_value()) {
    if (has_l2_field || subnet != nullptr) {
      return CniStatus(ErrorCode::kInvalidConfig,
                       "vlan, trunk, vni and ipam.subnet configure a secondary network: they need "
                       "\"bridge\", the bridge that network's pods attach to");
    }
    return absl::OkStatus();
  }
  L2Network l2;
  l2.bridge = **bridge;
  if (l2.bridge.size() > 15 || l2.bridge.find_first_of("/: \t") != std::string::npos) {
    return FieldError("bridge", "a bridge name of at most 15 characters", l2.bridge);
  }
  auto vlan = OptionalInt(json, "vlan", "", 0, 4094);
  if (!vlan.ok()) return vlan.status();
  if (vlan->has_value()) l2.vlan = static_cast<uint16_t>(**vlan);
  auto trunk = OptionalContainer(json, "trunk", "", /*want_array=*/true);
  if (!trunk.ok()) return trunk.status();
  if (*trunk != nullptr) {
    for (size_t i = 0; i < (*trunk)->size(); ++i) {
      if (absl::Status s = AddTrunkEntry((**trunk)[i], IndexPath("trunk", i), l2.trunks); !s.ok()) {
        return s;
      }
    }
    std::sort(l2.trunks.begin(), l2.trunks.end());
    l2.trunks.erase(std::unique(l2.trunks.begin(), l2.trunks.end()), l2.trunks.end());
  }
  if (l2.vlan && !l2.trunks.empty()) {
    return FieldError("trunk", "absent when \"vlan\" makes the port an access port", **trunk);
  }
  auto vni = OptionalInt(json, "vni", "", 1, (1 << 24) - 1);
  if (!vni.ok()) return vni.status();
  if (vni->has_value()) l2.vni = static_cast<uint32_t>(**vni);
  if (subnet != nullptr) {
    if (!subnet->is_string()) return FieldError("ipam.subnet", "a CIDR string", *subnet);
    l2.subnet = subnet->get<std::string>();
  }
  auto range_start = OptionalString(config.ipam, "rangeStart", "ipam");
  if (!range_start.ok()) return range_start.status();
  auto range_end = OptionalString(config.ipam, "rangeEnd", "ipam");
  if (!range_end.ok()) return range_end.status();
  if ((range_start->has_value() || range_end->has_value()) && l2.subnet.empty()) {
    return FieldError("ipam.rangeStart", "set only together with ipam.subnet",
                      range_start->value_or(range_end->value_or("")));
  }
  l2.range_start = range_start->value_or("");
  l2.range_end = range_end->value_or("");
  config.l2 = std::move(l2);
  return absl::OkStatus();
}

// Reads the nested objects: dns, prevResult, runtimeConfig, args and GC's attachment list.
absl::Status ParseNested(const nlohmann::json& json, NetworkConfig& config) {
  if (const nlohmann::json* dns = FindField(json, "dns"); dns != nullptr) {
    auto parsed = ParseDns(*dns, "dns");
    if (!parsed.ok()) return parsed.status();
    config.dns = *std::move(parsed);
  }
  if (const nlohmann::json* prev = FindField(json, "prevResult"); prev != nullptr) {
    auto parsed = ParseResult(*prev, "prevResult");
    if (!parsed.ok()) return parsed.status();
    config.prev_result = *std::move(parsed);
  }
  auto runtime = OptionalContainer(json, "runtimeConfig", "", /*want_array=*/false);
  if (!runtime.ok()) return runtime.status();
  if (*runtime != nullptr) {
    auto parsed = ParseRuntimeConfig(**runtime);
    if (!parsed.ok()) return parsed.status();
    config.runtime_config = *std::move(parsed);
  }
  auto args = OptionalContainer(json, "args", "", /*want_array=*/false);
  if (!args.ok()) return args.status();
  if (*args != nullptr) config.args = **args;
  for (std::string_view key : kValidAttachmentKeys) {
    if (const nlohmann::json* list = FindField(json, key); list != nullptr) {
      auto parsed = ParseAttachments(*list, key);
      if (!parsed.ok()) return parsed.status();
      config.valid_attachments = *std::move(parsed);
      break;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<NetworkConfig> ParseNetworkConfig(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    // Parse again with exceptions only to get the parser's position and reason.
    std::string reason;
    try {
      (void)nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range (1e999)
      reason = e.what();
    }
    return CniStatus(ErrorCode::kDecodeFailure, "network configuration on stdin is not valid JSON",
                     reason);
  }
  if (!json.is_object()) {
    return CniStatus(ErrorCode::kDecodeFailure,
                     absl::StrCat("network configuration on stdin must be a JSON object, got ",
                                  json.type_name()));
  }
  NetworkConfig config;
  auto version = ParseCniVersion(json);
  if (!version.ok()) return version.status();
  config.cni_version = *std::move(version);
  auto name = internal::RequiredString(json, "name", "");
  if (!name.ok()) return name.status();
  config.name = *std::move(name);
  auto type = internal::RequiredString(json, "type", "");
  if (!type.ok()) return type.status();
  config.type = *std::move(type);
  if (auto status = ParseScalars(json, config); !status.ok()) return status;
  if (auto status = ParseIpam(json, config); !status.ok()) return status;
  if (auto status = ParseNested(json, config); !status.ok()) return status;
  if (auto status = ParseL2Network(json, config); !status.ok()) return status;
  return config;
}

std::string PeekCniVersion(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return "";
  auto it = json.find("cniVersion");
  if (it == json.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace podswitch::cni
