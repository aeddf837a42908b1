#include "agent/cluster/cluster_model.h"

#include <type_traits>

#include "absl/strings/str_cat.h"

namespace podswitch::agent::cluster {

// KindOf relies on the variant's alternatives following ObjectKind's order.
static_assert(std::is_same_v<std::variant_alternative_t<0, ClusterObject>, Node>);
static_assert(std::is_same_v<std::variant_alternative_t<1, ClusterObject>, Namespace>);
static_assert(std::is_same_v<std::variant_alternative_t<2, ClusterObject>, Pod>);
static_assert(std::is_same_v<std::variant_alternative_t<3, ClusterObject>, NetworkPolicy>);
static_assert(std::is_same_v<std::variant_alternative_t<4, ClusterObject>, ClusterNetworkPolicy>);
static_assert(
    std::is_same_v<std::variant_alternative_t<5, ClusterObject>, NetworkAttachmentDefinition>);
static_assert(static_cast<int>(ObjectKind::kNetworkAttachmentDefinition) == 5);

std::string_view KindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kNode:
      return "Node";
    case ObjectKind::kNamespace:
      return "Namespace";
    case ObjectKind::kPod:
      return "Pod";
    case ObjectKind::kNetworkPolicy:
      return "NetworkPolicy";
    case ObjectKind::kClusterNetworkPolicy:
      return "ClusterNetworkPolicy";
    case ObjectKind::kNetworkAttachmentDefinition:
      return "NetworkAttachmentDefinition";
  }
  return "Unknown";
}

bool IsNamespaced(ObjectKind kind) {
  return kind == ObjectKind::kPod || kind == ObjectKind::kNetworkPolicy ||
         kind == ObjectKind::kNetworkAttachmentDefinition;
}

std::string ObjectKey::ToString() const {
  std::string kind_name(KindName(kind));
  if (namespace_.empty()) return absl::StrCat(kind_name, " ", name);
  return absl::StrCat(kind_name, " ", namespace_, "/", name);
}

ObjectKind KindOf(const ClusterObject& object) { return static_cast<ObjectKind>(object.index()); }

const ObjectMeta& MetaOf(const ClusterObject& object) {
  return std::visit([](const auto& typed) -> const ObjectMeta& { return typed.meta; }, object);
}

ObjectKey KeyOf(const ClusterObject& object) {
  const ObjectMeta& meta = MetaOf(object);
  return ObjectKey{KindOf(object), meta.namespace_, meta.name};
}

}  // namespace podswitch::agent::cluster
