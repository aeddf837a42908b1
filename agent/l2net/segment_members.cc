#include "agent/l2net/segment_members.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace podswitch::agent::l2net {
namespace {

constexpr uint32_t kMaxVni = 0xffffff;

// Debian's Abseil keeps its own string_view type.
absl::string_view Absl(std::string_view text) { return {text.data(), text.size()}; }
std::string_view Std(absl::string_view text) { return {text.data(), text.size()}; }

std::optional<uint32_t> VniOf(const nlohmann::json& plugin) {
  if (!plugin.is_object()) return std::nullopt;
  auto vni = plugin.find("vni");
  if (vni == plugin.end() || !vni->is_number_integer()) return std::nullopt;
  int64_t value = vni->get<int64_t>();
  if (value < 1 || value > kMaxVni) return std::nullopt;
  return static_cast<uint32_t>(value);
}

}  // namespace

std::vector<NetworkSelection> ParseNetworksAnnotation(std::string_view value,
                                                      std::string_view pod_namespace) {
  std::vector<NetworkSelection> selections;
  std::string_view text = Std(absl::StripAsciiWhitespace(Absl(value)));
  if (text.empty()) return selections;
  if (text.front() == '[') {
    nlohmann::json list = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!list.is_array()) return selections;
    for (const nlohmann::json& entry : list) {
      if (!entry.is_object()) continue;
      auto name = entry.find("name");
      if (name == entry.end() || !name->is_string() || name->get<std::string>().empty()) continue;
      auto ns = entry.find("namespace");
      selections.push_back({ns != entry.end() && ns->is_string() ? ns->get<std::string>()
                                                                 : std::string(pod_namespace),
                            name->get<std::string>()});
    }
    return selections;
  }
  for (absl::string_view part : absl::StrSplit(Absl(text), ',', absl::SkipWhitespace())) {
    std::string_view item = Std(absl::StripAsciiWhitespace(part));
    item = item.substr(0, item.find('@'));  // "name@ifname"
    NetworkSelection selection{std::string(pod_namespace), std::string(item)};
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      selection = {std::string(item.substr(0, slash)), std::string(item.substr(slash + 1))};
    }
    if (!selection.name.empty() && !selection.namespace_.empty()) selections.push_back(selection);
  }
  return selections;
}

std::optional<uint32_t> VniOfConfig(std::string_view config) {
  nlohmann::json json = nlohmann::json::parse(config, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  auto plugins = json.find("plugins");
  if (plugins == json.end()) return VniOf(json);
  if (!plugins->is_array()) return std::nullopt;
  for (const nlohmann::json& plugin : *plugins) {
    auto type = plugin.is_object() ? plugin.find("type") : plugin.end();
    if (type != plugin.end() && *type == "podswitch") return VniOf(plugin);
  }
  return std::nullopt;
}

std::optional<std::set<std::string>> SegmentMembership::NodesOf(uint32_t vni) const {
  if (!defined.contains(vni)) return std::nullopt;
  auto found = members.find(vni);
  return found == members.end() ? std::set<std::string>{} : found->second;
}

SegmentMembership ComputeSegmentMembership(
    const std::vector<cluster::Pod>& pods,
    const std::vector<cluster::NetworkAttachmentDefinition>& definitions) {
  SegmentMembership membership;
  std::map<std::pair<std::string, std::string>, uint32_t> vni_of;  // (namespace, name) -> VNI
  for (const cluster::NetworkAttachmentDefinition& definition : definitions) {
    std::optional<uint32_t> vni = VniOfConfig(definition.config);
    if (!vni) continue;
    vni_of[{definition.meta.namespace_, definition.meta.name}] = *vni;
    membership.defined.insert(*vni);
  }
  if (vni_of.empty()) return membership;
  for (const cluster::Pod& pod : pods) {
    if (pod.node_name.empty() || pod.phase == "Succeeded" || pod.phase == "Failed") continue;
    auto annotation = pod.meta.annotations.find(cluster::kNetworksAnnotation);
    if (annotation == pod.meta.annotations.end()) continue;
    for (const NetworkSelection& selection :
         ParseNetworksAnnotation(annotation->second, pod.meta.namespace_)) {
      auto vni = vni_of.find({selection.namespace_, selection.name});
      if (vni != vni_of.end()) membership.members[vni->second].insert(pod.node_name);
    }
  }
  return membership;
}

}  // namespace podswitch::agent::l2net
