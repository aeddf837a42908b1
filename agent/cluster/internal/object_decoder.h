// Decodes one Kubernetes object (as JSON) into the agent's structs, naming the file,
// document, object and field in every error.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "agent/cluster/cluster_model.h"
#include "agent/cluster/internal/yaml_json.h"
#include "nlohmann/json.hpp"

namespace podswitch::agent::cluster::internal {

// Where an object came from: `where` starts every error ("nodes.yaml, document 2"),
// `path_prefix` locates it inside a List ("items[3]."), `document` (may be null) gives lines.
struct DecodeContext {
  std::string where;
  std::string path_prefix;
  const JsonDocument* document = nullptr;
};

// Decodes `object`; nullopt for kinds the agent does not use, INVALID_ARGUMENT for a known
// kind with a missing or malformed field.
absl::StatusOr<std::optional<ClusterObject>> DecodeObjectAt(const nlohmann::json& object,
                                                            const DecodeContext& context);

}  // namespace podswitch::agent::cluster::internal
