#include "agent/cluster/internal/object_decoder.h"

#include <map>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/cluster/internal/ip_text.h"
#include "spdlog/spdlog.h"

namespace podswitch::agent::cluster::internal {
namespace {

using nlohmann::json;

// Reads typed fields and records the first problem, so decoders read straight through and
// check once at the end. Paths are relative to the object ("spec.podCIDR").
class Reader {
 public:
  explicit Reader(const DecodeContext& context) : context_(context) {}

  void SetSubject(std::string subject) { subject_ = std::move(subject); }
  bool ok() const { return status_.ok(); }
  const absl::Status& status() const { return status_; }

  void Fail(const std::string& path, const std::string& problem) {
    if (!status_.ok()) return;
    std::string message = context_.where;
    if (!subject_.empty()) absl::StrAppend(&message, " (", subject_, ")");
    std::string full_path = absl::StrCat(context_.path_prefix, path);
    if (full_path.empty()) {
      absl::StrAppend(&message, ": ", problem);
    } else {
      absl::StrAppend(&message, ": ", full_path, " ", problem);
    }
    if (context_.document != nullptr) {
      if (int line = LineOfPath(*context_.document, full_path); line > 0) {
        absl::StrAppend(&message, " (line ", line, ")");
      }
    }
    status_ = absl::InvalidArgumentError(message);
  }

  // The value of `key` in `parent`, or nullptr when absent or null.
  static const json* Field(const json* parent, const char* key) {
    if (parent == nullptr || !parent->is_object()) return nullptr;
    auto found = parent->find(key);
    return found == parent->end() || found->is_null() ? nullptr : &*found;
  }

  std::string String(const json* value, const std::string& path) {
    if (value == nullptr) return "";
    if (!value->is_string()) {
      TypeError(path, "a string", *value);
      return "";
    }
    return value->get<std::string>();
  }

  bool Bool(const json* value, const std::string& path) {
    if (value == nullptr) return false;
    if (!value->is_boolean()) {
      TypeError(path, "true or false", *value);
      return false;
    }
    return value->get<bool>();
  }

  int64_t Integer(const json* value, const std::string& path) {
    if (value == nullptr) return 0;
    if (!value->is_number_integer()) {
      TypeError(path, "an integer", *value);
      return 0;
    }
    return value->is_number_unsigned() ? static_cast<int64_t>(value->get<uint64_t>())
                                       : value->get<int64_t>();
  }

  const json* Object(const json* value, const std::string& path) {
    if (value == nullptr || value->is_object()) return value;
    TypeError(path, "a mapping", *value);
    return nullptr;
  }

  const json* Array(const json* value, const std::string& path) {
    if (value == nullptr || value->is_array()) return value;
    TypeError(path, "a list", *value);
    return nullptr;
  }

  std::map<std::string, std::string> StringMap(const json* value, const std::string& path) {
    std::map<std::string, std::string> result;
    if (const json* map = Object(value, path)) {
      for (const auto& [key, item] : map->items()) {
        result[key] = String(&item, absl::StrCat(path, ".", key));
      }
    }
    return result;
  }

 private:
  void TypeError(const std::string& path, const std::string& expected, const json& value) {
    std::string found;
    switch (value.type()) {
      case json::value_t::object:
        found = "a mapping";
        break;
      case json::value_t::array:
        found = "a list";
        break;
      case json::value_t::string:
        found = absl::StrCat("string ", value.dump(-1, ' ', false, json::error_handler_t::replace));
        break;
      case json::value_t::boolean:
        found =
            absl::StrCat("boolean ", value.dump(-1, ' ', false, json::error_handler_t::replace));
        break;
      default:
        found = absl::StrCat("number ", value.dump(-1, ' ', false, json::error_handler_t::replace));
        break;
    }
    Fail(path, absl::StrCat("must be ", expected, ", not ", found));
  }

  const DecodeContext& context_;
  std::string subject_;
  absl::Status status_;
};

// True for a DNS subdomain (RFC 1123), what Kubernetes requires of most object names.
bool IsDnsSubdomain(std::string_view name, size_t max_length) {
  if (name.empty() || name.size() > max_length) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-' && c != '.') return false;
  }
  auto alnum = [](char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); };
  return alnum(name.front()) && alnum(name.back());
}

// The kind an (apiVersion, kind) pair names, or nullopt when the agent does not use it
// (Calico's projectcalico.org NetworkPolicy is not Kubernetes' NetworkPolicy).
std::optional<ObjectKind> ResolveKind(std::string_view api_version, std::string_view kind) {
  const size_t slash = api_version.find('/');
  std::string_view group = slash == std::string_view::npos ? "" : api_version.substr(0, slash);
  if (api_version == "v1") {
    if (kind == "Node") return ObjectKind::kNode;
    if (kind == "Namespace") return ObjectKind::kNamespace;
    if (kind == "Pod") return ObjectKind::kPod;
  }
  if (group == "networking.k8s.io" && kind == "NetworkPolicy") return ObjectKind::kNetworkPolicy;
  if (group == "crd.antrea.io" && kind == "ClusterNetworkPolicy") {
    return ObjectKind::kClusterNetworkPolicy;
  }
  if (group == "k8s.cni.cncf.io" && kind == "NetworkAttachmentDefinition") {
    return ObjectKind::kNetworkAttachmentDefinition;
  }
  return std::nullopt;
}

ObjectMeta DecodeMeta(Reader& reader, const json& object, ObjectKind kind) {
  ObjectMeta meta;
  const json* metadata = reader.Object(Reader::Field(&object, "metadata"), "metadata");
  meta.name = reader.String(Reader::Field(metadata, "name"), "metadata.name");
  if (IsNamespaced(kind)) {
    meta.namespace_ = reader.String(Reader::Field(metadata, "namespace"), "metadata.namespace");
    if (meta.namespace_.empty()) meta.namespace_ = "default";
  }
  reader.SetSubject(meta.name.empty() ? std::string(KindName(kind))
                                      : ObjectKey{kind, meta.namespace_, meta.name}.ToString());
  if (meta.name.empty()) {
    reader.Fail("metadata.name", "is missing");
  } else if (!IsDnsSubdomain(meta.name, 253)) {
    reader.Fail("metadata.name",
                absl::StrCat("\"", meta.name,
                             "\" is not a valid name (lowercase letters, digits, '-' and '.', "
                             "starting and ending with a letter or digit)"));
  }
  if (!IsDnsSubdomain(meta.namespace_, 63) && IsNamespaced(kind)) {
    reader.Fail("metadata.namespace",
                absl::StrCat("\"", meta.namespace_, "\" is not a valid namespace name"));
  }
  meta.uid = reader.String(Reader::Field(metadata, "uid"), "metadata.uid");
  meta.resource_version =
      reader.String(Reader::Field(metadata, "resourceVersion"), "metadata.resourceVersion");
  meta.labels = reader.StringMap(Reader::Field(metadata, "labels"), "metadata.labels");
  meta.annotations =
      reader.StringMap(Reader::Field(metadata, "annotations"), "metadata.annotations");
  return meta;
}

void AddPodCidr(Reader& reader, const json* value, const std::string& path, Node& node) {
  std::string text = reader.String(value, path);
  if (text.empty()) return;
  absl::StatusOr<std::string> cidr = CanonicalCidr(text);
  if (!cidr.ok()) {
    reader.Fail(path, absl::StrCat("\"", text, "\" ", cidr.status().message()));
    return;
  }
  for (const std::string& existing : node.pod_cidrs) {
    if (existing == *cidr) return;
  }
  node.pod_cidrs.push_back(*cidr);
}

Node DecodeNode(Reader& reader, const json& object, ObjectMeta meta) {
  Node node{.meta = std::move(meta)};
  const json* spec = reader.Object(Reader::Field(&object, "spec"), "spec");
  AddPodCidr(reader, Reader::Field(spec, "podCIDR"), "spec.podCIDR", node);
  if (const json* cidrs = reader.Array(Reader::Field(spec, "podCIDRs"), "spec.podCIDRs")) {
    for (size_t i = 0; i < cidrs->size(); ++i) {
      AddPodCidr(reader, &(*cidrs)[i], absl::StrCat("spec.podCIDRs[", i, "]"), node);
    }
  }
  const json* status = reader.Object(Reader::Field(&object, "status"), "status");
  const json* addresses = reader.Array(Reader::Field(status, "addresses"), "status.addresses");
  for (size_t i = 0; addresses != nullptr && i < addresses->size(); ++i) {
    std::string path = absl::StrCat("status.addresses[", i, "]");
    const json* entry = reader.Object(&(*addresses)[i], path);
    if (reader.String(Reader::Field(entry, "type"), path + ".type") != "InternalIP") continue;
    std::string address = reader.String(Reader::Field(entry, "address"), path + ".address");
    if (!IsIpAddress(address)) {
      reader.Fail(path + ".address", absl::StrCat("\"", address, "\" is not an IP address"));
      continue;
    }
    node.internal_ips.push_back(address);
    if (node.internal_ip.empty() || (IsIpv4Address(address) && !IsIpv4Address(node.internal_ip))) {
      node.internal_ip = address;
    }
  }
  return node;
}

void DecodeContainerPorts(Reader& reader, const json* spec, Pod& pod) {
  const json* containers = reader.Array(Reader::Field(spec, "containers"), "spec.containers");
  for (size_t c = 0; containers != nullptr && c < containers->size(); ++c) {
    std::string container_path = absl::StrCat("spec.containers[", c, "]");
    const json* container = reader.Object(&(*containers)[c], container_path);
    const json* ports = reader.Array(Reader::Field(container, "ports"), container_path + ".ports");
    for (size_t p = 0; ports != nullptr && p < ports->size(); ++p) {
      std::string path = absl::StrCat(container_path, ".ports[", p, "]");
      const json* port = reader.Object(&(*ports)[p], path);
      ContainerPort named;
      named.name = reader.String(Reader::Field(port, "name"), path + ".name");
      int64_t number =
          reader.Integer(Reader::Field(port, "containerPort"), path + ".containerPort");
      if (reader.ok() && (number < 1 || number > 65535)) {
        reader.Fail(path + ".containerPort", absl::StrCat(number, " is not a port (1-65535)"));
      }
      named.container_port = static_cast<int32_t>(number);
      std::string protocol = reader.String(Reader::Field(port, "protocol"), path + ".protocol");
      if (!protocol.empty()) named.protocol = protocol;
      if (named.protocol != "TCP" && named.protocol != "UDP" && named.protocol != "SCTP") {
        reader.Fail(path + ".protocol", absl::StrCat("\"", protocol, "\" is not TCP, UDP or SCTP"));
      }
      if (!named.name.empty()) pod.named_ports.push_back(std::move(named));
    }
  }
}

void AddPodIp(Reader& reader, const json* value, const std::string& path, Pod& pod) {
  std::string ip = reader.String(value, path);
  if (ip.empty()) return;
  if (!IsIpAddress(ip)) {
    reader.Fail(path, absl::StrCat("\"", ip, "\" is not an IP address"));
    return;
  }
  for (const std::string& existing : pod.pod_ips) {
    if (existing == ip) return;
  }
  pod.pod_ips.push_back(ip);
}

Pod DecodePod(Reader& reader, const json& object, ObjectMeta meta) {
  Pod pod{.meta = std::move(meta)};
  const json* spec = reader.Object(Reader::Field(&object, "spec"), "spec");
  pod.node_name = reader.String(Reader::Field(spec, "nodeName"), "spec.nodeName");
  pod.host_network = reader.Bool(Reader::Field(spec, "hostNetwork"), "spec.hostNetwork");
  DecodeContainerPorts(reader, spec, pod);
  const json* status = reader.Object(Reader::Field(&object, "status"), "status");
  pod.phase = reader.String(Reader::Field(status, "phase"), "status.phase");
  AddPodIp(reader, Reader::Field(status, "podIP"), "status.podIP", pod);
  if (const json* ips = reader.Array(Reader::Field(status, "podIPs"), "status.podIPs")) {
    for (size_t i = 0; i < ips->size(); ++i) {
      std::string path = absl::StrCat("status.podIPs[", i, "]");
      const json* entry = reader.Object(&(*ips)[i], path);
      AddPodIp(reader, Reader::Field(entry, "ip"), path + ".ip", pod);
    }
  }
  return pod;
}

}  // namespace

absl::StatusOr<std::optional<ClusterObject>> DecodeObjectAt(const json& object,
                                                            const DecodeContext& context) {
  Reader reader(context);
  if (!object.is_object()) {
    reader.Fail("", "is not a Kubernetes object (a mapping with apiVersion, kind and metadata)");
    return reader.status();
  }
  std::string api_version = reader.String(Reader::Field(&object, "apiVersion"), "apiVersion");
  std::string kind_name = reader.String(Reader::Field(&object, "kind"), "kind");
  if (reader.ok() && kind_name.empty()) reader.Fail("kind", "is missing");
  if (reader.ok() && api_version.empty()) reader.Fail("apiVersion", "is missing");
  if (!reader.ok()) return reader.status();
  std::optional<ObjectKind> kind = ResolveKind(api_version, kind_name);
  if (!kind) {
    spdlog::debug("cluster: {}: ignoring {} {}", context.where, api_version, kind_name);
    return std::nullopt;
  }
  ObjectMeta meta = DecodeMeta(reader, object, *kind);
  ClusterObject result;
  switch (*kind) {
    case ObjectKind::kNode:
      result = DecodeNode(reader, object, std::move(meta));
      break;
    case ObjectKind::kNamespace:
      result = Namespace{.meta = std::move(meta)};
      break;
    case ObjectKind::kPod:
      result = DecodePod(reader, object, std::move(meta));
      break;
    case ObjectKind::kNetworkPolicy:
      result = NetworkPolicy{.meta = std::move(meta), .raw = object};
      break;
    case ObjectKind::kClusterNetworkPolicy:
      result = ClusterNetworkPolicy{.meta = std::move(meta), .raw = object};
      break;
    case ObjectKind::kNetworkAttachmentDefinition: {
      const json* spec = reader.Object(Reader::Field(&object, "spec"), "spec");
      result = NetworkAttachmentDefinition{
          .meta = std::move(meta),
          .config = reader.String(Reader::Field(spec, "config"), "spec.config")};
      break;
    }
  }
  if (!reader.ok()) return reader.status();
  return result;
}

}  // namespace podswitch::agent::cluster::internal
