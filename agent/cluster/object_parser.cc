#include "agent/cluster/object_parser.h"

#include <fstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/cluster/internal/object_decoder.h"
#include "agent/cluster/internal/yaml_json.h"

namespace podswitch::agent::cluster {
namespace {

using internal::DecodeContext;
using internal::JsonDocument;
using nlohmann::json;

constexpr size_t kMaxFileBytes = 16 << 20;

// True for `kind: List` and typed lists (PodList), whose objects are in `items`.
bool IsList(const json& value) {
  if (!value.is_object()) return false;
  auto kind = value.find("kind");
  if (kind == value.end() || !kind->is_string()) return false;
  return absl::EndsWith(kind->get<std::string>(), "List");
}

// Appends the objects of one document (one object, or the items of a list) to `objects`.
absl::Status DecodeDocument(const JsonDocument& document, const std::string& where,
                            std::vector<ClusterObject>& objects) {
  if (document.value.is_null()) return absl::OkStatus();  // Empty document, e.g. after `---`.
  if (!IsList(document.value)) {
    DecodeContext context{.where = where, .path_prefix = "", .document = &document};
    absl::StatusOr<std::optional<ClusterObject>> object =
        internal::DecodeObjectAt(document.value, context);
    if (!object.ok()) return object.status();
    if (object->has_value()) objects.push_back(std::move(**object));
    return absl::OkStatus();
  }
  const std::string list_kind = document.value["kind"].get<std::string>();
  auto items = document.value.find("items");
  if (items == document.value.end() || items->is_null()) return absl::OkStatus();
  if (!items->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(where, " (", list_kind,
                                                   "): items must be a list (line ",
                                                   internal::LineOfPath(document, "items"), ")"));
  }
  // Items of typed lists from the API server carry neither kind nor apiVersion.
  const std::string item_kind = list_kind.substr(0, list_kind.size() - 4);
  for (size_t i = 0; i < items->size(); ++i) {
    json item = (*items)[i];
    if (item.is_object() && list_kind != "List" && !item.contains("kind")) {
      item["kind"] = item_kind;
      item["apiVersion"] = document.value.value("apiVersion", "");
    }
    DecodeContext context{
        .where = where, .path_prefix = absl::StrCat("items[", i, "]."), .document = &document};
    absl::StatusOr<std::optional<ClusterObject>> object = internal::DecodeObjectAt(item, context);
    if (!object.ok()) return object.status();
    if (object->has_value()) objects.push_back(std::move(**object));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<JsonDocument>> ParseJsonDocument(std::string_view text) {
  std::vector<JsonDocument> documents(1);
  try {
    documents[0].value = json::parse(text);
    documents[0].line = 1;
  } catch (const json::exception& error) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", error.what()));
  }
  return documents;
}

}  // namespace

DocumentFormat FormatOfFileName(std::string_view file_name) {
  return absl::EndsWithIgnoreCase(std::string(file_name), ".json") ? DocumentFormat::kJson
                                                                   : DocumentFormat::kYaml;
}

absl::StatusOr<std::vector<ClusterObject>> ParseObjects(std::string_view text,
                                                        std::string_view source_name,
                                                        DocumentFormat format) {
  absl::StatusOr<std::vector<JsonDocument>> documents = format == DocumentFormat::kJson
                                                            ? ParseJsonDocument(text)
                                                            : internal::ParseYamlDocuments(text);
  if (!documents.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(source_name), ": ", documents.status().message()));
  }
  std::vector<ClusterObject> objects;
  for (size_t i = 0; i < documents->size(); ++i) {
    std::string where = absl::StrCat(std::string(source_name), ", document ", i + 1);
    try {
      if (absl::Status status = DecodeDocument((*documents)[i], where, objects); !status.ok()) {
        return status;
      }
    } catch (const json::exception& error) {  // A decoder bug must not take the agent down.
      return absl::InvalidArgumentError(absl::StrCat(where, ": cannot decode: ", error.what()));
    }
  }
  return objects;
}

absl::StatusOr<std::vector<ClusterObject>> ParseObjectsFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open the file"));
  file.seekg(0, std::ios::end);
  const std::streamoff size = file.tellg();
  if (size < 0) return absl::UnavailableError(absl::StrCat(path, ": cannot read the file"));
  if (static_cast<size_t>(size) > kMaxFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxFileBytes >> 20, " MiB"));
  }
  std::string text(static_cast<size_t>(size), '\0');
  file.seekg(0, std::ios::beg);
  file.read(text.data(), size);
  if (file.bad()) return absl::UnavailableError(absl::StrCat(path, ": read failed"));
  text.resize(static_cast<size_t>(file.gcount()));
  return ParseObjects(text, path, FormatOfFileName(path));
}

absl::StatusOr<std::optional<ClusterObject>> DecodeObject(const nlohmann::json& object,
                                                          std::string_view where) {
  try {
    return internal::DecodeObjectAt(object, DecodeContext{.where = std::string(where)});
  } catch (const json::exception& error) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(where), ": cannot decode: ", error.what()));
  }
}

}  // namespace podswitch::agent::cluster
