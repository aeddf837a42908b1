// Parsing of Kubernetes objects from YAML and JSON text (standalone files, and the JSON the
// API server sends) into the agent's cluster model.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/cluster/cluster_model.h"
#include "nlohmann/json.hpp"

namespace podswitch::agent::cluster {

// The syntax of a document source.
enum class DocumentFormat { kYaml, kJson };

// The format a file name implies (".json" is JSON, anything else YAML), so one directory
// can hold both.
DocumentFormat FormatOfFileName(std::string_view file_name);

// Parses every object in `text`: several YAML documents separated by `---`, and `kind: List`
// (or a typed list such as PodList) with `items`. Objects of kinds the agent does not use
// are skipped. Any malformed object fails the whole text with INVALID_ARGUMENT, naming
// `source_name`, the 1-based document index, the object, the field and the line, e.g.
// `nodes.yaml, document 2 (Node node-b): spec.podCIDR "10.244.300.0/24" is not a CIDR
// (line 14)`, so a half-understood file never replaces a good one.
absl::StatusOr<std::vector<ClusterObject>> ParseObjects(std::string_view text,
                                                        std::string_view source_name,
                                                        DocumentFormat format);

// Reads `path` (at most 16 MiB) and parses it as ParseObjects does, errors naming `path`.
absl::StatusOr<std::vector<ClusterObject>> ParseObjectsFile(const std::string& path);

// Decodes one object already in JSON form (an API server watch event); nullopt for a kind
// the agent does not use. `where` starts every error message.
absl::StatusOr<std::optional<ClusterObject>> DecodeObject(const nlohmann::json& object,
                                                          std::string_view where);

}  // namespace podswitch::agent::cluster
