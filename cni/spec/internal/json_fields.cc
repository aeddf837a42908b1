#include "cni/spec/internal/json_fields.h"

#include "absl/strings/str_cat.h"

namespace podswitch::cni::internal {
namespace {

// A short description of a JSON value for error messages: its type, and the value if small.
std::string Describe(const nlohmann::json& value) {
  std::string type = value.type_name();
  if (value.is_primitive()) {
    std::string text = value.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return absl::StrCat(type, " ", text);
  }
  return type;
}

}  // namespace

std::string FieldPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return absl::StrCat(std::string(parent), ".", std::string(key));
}

std::string IndexPath(std::string_view parent, size_t index) {
  return absl::StrCat(std::string(parent), "[", index, "]");
}

absl::Status FieldError(std::string_view path, std::string_view expected, const nlohmann::json& got,
                        ErrorCode code) {
  return CniStatus(code, absl::StrCat("invalid \"", std::string(path), "\": expected ",
                                      std::string(expected), ", got ", Describe(got)));
}

absl::Status MissingField(std::string_view path, ErrorCode code) {
  return CniStatus(code, absl::StrCat("missing required field \"", std::string(path), "\""));
}

const nlohmann::json* FindField(const nlohmann::json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& object,
                                                          std::string_view key,
                                                          std::string_view parent) {
  const nlohmann::json* field = FindField(object, key);
  if (field == nullptr) return std::optional<std::string>();
  if (!field->is_string()) return FieldError(FieldPath(parent, key), "a string", *field);
  return std::optional<std::string>(field->get<std::string>());
}

absl::StatusOr<std::string> RequiredString(const nlohmann::json& object, std::string_view key,
                                           std::string_view parent) {
  absl::StatusOr<std::optional<std::string>> value = OptionalString(object, key, parent);
  if (!value.ok()) return value.status();
  if (!value->has_value() || (*value)->empty()) return MissingField(FieldPath(parent, key));
  return **value;
}

absl::StatusOr<std::optional<int64_t>> OptionalInt(const nlohmann::json& object,
                                                   std::string_view key, std::string_view parent,
                                                   int64_t min, int64_t max) {
  const nlohmann::json* field = FindField(object, key);
  if (field == nullptr) return std::optional<int64_t>();
  std::string expected = absl::StrCat("an integer in [", min, ", ", max, "]");
  if (!field->is_number_integer()) return FieldError(FieldPath(parent, key), expected, *field);
  int64_t value = field->is_number_unsigned()
                      ? static_cast<int64_t>(std::min<uint64_t>(field->get<uint64_t>(), INT64_MAX))
                      : field->get<int64_t>();
  if (value < min || value > max) return FieldError(FieldPath(parent, key), expected, *field);
  return std::optional<int64_t>(value);
}

absl::StatusOr<std::vector<std::string>> OptionalStringArray(const nlohmann::json& object,
                                                             std::string_view key,
                                                             std::string_view parent) {
  std::vector<std::string> out;
  const nlohmann::json* field = FindField(object, key);
  if (field == nullptr) return out;
  std::string path = FieldPath(parent, key);
  if (!field->is_array()) return FieldError(path, "an array of strings", *field);
  for (size_t i = 0; i < field->size(); ++i) {
    const nlohmann::json& item = (*field)[i];
    if (!item.is_string()) return FieldError(IndexPath(path, i), "a string", item);
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::StatusOr<const nlohmann::json*> OptionalContainer(const nlohmann::json& object,
                                                        std::string_view key,
                                                        std::string_view parent, bool want_array) {
  const nlohmann::json* field = FindField(object, key);
  if (field == nullptr) return field;
  if (want_array ? !field->is_array() : !field->is_object()) {
    return FieldError(FieldPath(parent, key), want_array ? "an array" : "an object", *field);
  }
  return field;
}

}  // namespace podswitch::cni::internal
