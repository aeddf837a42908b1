// Turns YAML documents into JSON values (YAML 1.2 core schema) and remembers the line of
// every field, so errors found later in the JSON can still point into the YAML file.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace podswitch::agent::cluster::internal {

// One document of a file: its value (null for an empty document), the 1-based line where it
// starts, and the 1-based line of each field by path ("spec.podCIDRs[1]").
struct JsonDocument {
  nlohmann::json value;
  int line = 0;
  std::map<std::string, int> field_lines;
};

// Parses every document of a YAML stream; INVALID_ARGUMENT with line and column on a syntax
// error, a duplicate key or a document too deep or too large (alias bombs) to be an object.
absl::StatusOr<std::vector<JsonDocument>> ParseYamlDocuments(std::string_view text);

// The line of `path` in `document`, or of its nearest ancestor that has one; 0 if none.
int LineOfPath(const JsonDocument& document, std::string_view path);

}  // namespace podswitch::agent::cluster::internal
