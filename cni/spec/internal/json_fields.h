// Typed reads of JSON object fields with errors that name the field's full path
// ("runtimeConfig.portMappings[1].hostPort") and what was expected. Every failure is a CNI
// "invalid config" error (code 7) unless a caller chooses another code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cni/spec/error.h"
#include "nlohmann/json.hpp"

namespace podswitch::cni::internal {

// The path of `key` inside the object at `parent` ("" for the top level).
std::string FieldPath(std::string_view parent, std::string_view key);

// The path of element `index` of the array at `parent`.
std::string IndexPath(std::string_view parent, size_t index);

// A wrong-type or wrong-value error: "<path>: expected <expected>, got <what value is>".
absl::Status FieldError(std::string_view path, std::string_view expected, const nlohmann::json& got,
                        ErrorCode code = ErrorCode::kInvalidConfig);

// A required field that is absent or null.
absl::Status MissingField(std::string_view path, ErrorCode code = ErrorCode::kInvalidConfig);

// The field `key` of `object`, or nullptr when it is absent or null.
const nlohmann::json* FindField(const nlohmann::json& object, std::string_view key);

// A string field; nothing when absent.
absl::StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& object,
                                                          std::string_view key,
                                                          std::string_view parent);

// A string field that must be present and non-empty.
absl::StatusOr<std::string> RequiredString(const nlohmann::json& object, std::string_view key,
                                           std::string_view parent);

// An integer field within [min, max]; nothing when absent.
absl::StatusOr<std::optional<int64_t>> OptionalInt(const nlohmann::json& object,
                                                   std::string_view key, std::string_view parent,
                                                   int64_t min, int64_t max);

// An array of strings; empty when absent.
absl::StatusOr<std::vector<std::string>> OptionalStringArray(const nlohmann::json& object,
                                                             std::string_view key,
                                                             std::string_view parent);

// A field that must be an object (or array, with `want_array`) when present; nullptr if absent.
absl::StatusOr<const nlohmann::json*> OptionalContainer(const nlohmann::json& object,
                                                        std::string_view key,
                                                        std::string_view parent, bool want_array);

}  // namespace podswitch::cni::internal
