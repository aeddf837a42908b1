#include "agent/cluster/internal/yaml_json.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/exceptions.h"
#include "yaml-cpp/mark.h"
#include "yaml-cpp/parser.h"

namespace podswitch::agent::cluster::internal {
namespace {

using nlohmann::json;

// Bounds that keep hostile input (deep nesting, alias expansion) from exhausting the agent;
// a document of 200,000 values is still a List of thousands of pods.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxNodes = 200'000;

int LineOf(const YAML::Mark& mark) { return mark.is_null() ? 0 : mark.line + 1; }

// A plain (unquoted) scalar typed the YAML 1.2 core-schema way: null, bool, int, float or
// string. Unlike YAML 1.1, "yes"/"on" stay strings, which is what people mean in labels.
json PlainScalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (std::string_view("0123456789+-.").find(text.front()) == std::string_view::npos) return text;
  static const std::regex kDecimal("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  int base = 0;
  std::string_view digits = text;
  if (std::regex_match(text, kDecimal)) {
    base = 10;
    if (digits.front() == '+') digits.remove_prefix(1);
  } else if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    base = text[1] == 'x' ? 16 : 8;
    digits.remove_prefix(2);
  }
  if (base != 0) {
    int64_t value = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (error == std::errc() && end == digits.data() + digits.size()) return value;
    if (base != 10) return text;
  }
  if (std::regex_match(text, kFloat)) return std::strtod(text.c_str(), nullptr);
  return text;
}

// Builds one document's JSON value and field line table from yaml-cpp's parse events. The
// event API, unlike YAML::LoadAll, lets us bound alias expansion and stop on a parser that
// no longer advances (yaml-cpp 0.7 can loop forever on some malformed input, yaml-cpp#1319).
class JsonBuilder : public YAML::EventHandler {
 public:
  explicit JsonBuilder(JsonDocument& document) : document_(document) {}

  const absl::Status& status() const { return status_; }

  void OnDocumentStart(const YAML::Mark& mark) override { document_.line = LineOf(mark); }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (!status_.ok() || TakeKey(mark, "")) return;
    Emit(mark, anchor, json(nullptr), 1, 1);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (!status_.ok()) return;
    auto found = anchors_.find(anchor);
    if (found == anchors_.end()) return Fail(mark, "unknown alias");
    if (AwaitingKey()) return Fail(mark, "a mapping key must be a plain value");
    // An alias costs as much as the copy it expands to (billion laughs).
    Emit(mark, 0, found->second.first, found->second.second, found->second.second);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (!status_.ok() || TakeKey(mark, value)) return;
    const bool text = tag == "!" || tag == "tag:yaml.org,2002:str";
    Emit(mark, anchor, text ? json(value) : PlainScalar(value), 1, 1);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor, json::array());
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor, json::object());
  }
  void OnMapEnd() override { Close(); }

 private:
  // A sequence or mapping being built; `key` is set between a mapping's key and its value.
  struct Frame {
    json value;
    std::string path;
    YAML::Mark mark;
    YAML::anchor_t anchor = 0;
    size_t values = 1;
    std::optional<std::string> key;
  };

  bool AwaitingKey() const {
    return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().key;
  }

  // Consumes a scalar as a mapping key when one is expected.
  bool TakeKey(const YAML::Mark& mark, const std::string& key) {
    if (!AwaitingKey()) return false;
    Frame& frame = stack_.back();
    if (frame.value.contains(key)) {
      Fail(mark, absl::StrCat("duplicate key \"", key, "\""));
    }
    frame.key = key;
    document_.field_lines.emplace(ChildPath(), LineOf(mark));
    return true;
  }

  std::string ChildPath() const {
    if (stack_.empty()) return "";
    const Frame& parent = stack_.back();
    if (parent.value.is_array()) return absl::StrCat(parent.path, "[", parent.value.size(), "]");
    return parent.path.empty() ? *parent.key : absl::StrCat(parent.path, ".", *parent.key);
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor, json value) {
    if (!status_.ok()) return;
    if (AwaitingKey()) return Fail(mark, "a mapping key must be a plain value");
    if (stack_.size() >= kMaxDepth) {
      return Fail(mark, absl::StrCat("nested deeper than ", kMaxDepth, " levels"));
    }
    std::string path = ChildPath();
    if (!stack_.empty() && stack_.back().value.is_array()) {
      document_.field_lines.emplace(path, LineOf(mark));
    }
    stack_.push_back(Frame{.value = std::move(value),
                           .path = std::move(path),
                           .mark = mark,
                           .anchor = anchor,
                           .values = 1,
                           .key = std::nullopt});
  }

  void Close() {
    if (!status_.ok() || stack_.empty()) return;
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    Emit(frame.mark, frame.anchor, std::move(frame.value), frame.values, 1);
  }

  // Places a finished value (of `values` values in all, `added` of them new to the budget)
  // in its parent or as the root.
  void Emit(const YAML::Mark& mark, YAML::anchor_t anchor, json value, size_t values,
            size_t added) {
    total_values_ += added;
    if (total_values_ > kMaxNodes) {
      return Fail(mark,
                  absl::StrCat("document has more than ", kMaxNodes, " values (alias expansion?)"));
    }
    if (!status_.ok()) return;
    if (anchor != 0) anchors_[anchor] = {value, values};
    if (stack_.empty()) {
      document_.value = std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    parent.values += values;
    if (parent.value.is_array()) {
      if (!value.is_object() && !value.is_array()) {
        document_.field_lines.emplace(ChildPath(), LineOf(mark));
      }
      parent.value.push_back(std::move(value));
    } else {
      parent.value[*parent.key] = std::move(value);
      parent.key.reset();
    }
  }

  void Fail(const YAML::Mark& mark, const std::string& problem) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(absl::StrCat("line ", LineOf(mark), ": ", problem));
    }
  }

  JsonDocument& document_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, std::pair<json, size_t>> anchors_;
  size_t total_values_ = 0;
  absl::Status status_;
};

// The 1-based line of the first byte that is not UTF-8, or 0 when `text` is all UTF-8.
// Checked up front: Kubernetes, JSON and protobuf strings all must be UTF-8.
int FirstInvalidUtf8Line(std::string_view text) {
  int line = 1;
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80           ? 1
                    : (byte >> 5) == 0x6  ? 2
                    : (byte >> 4) == 0xe  ? 3
                    : (byte >> 3) == 0x1e ? 4
                                          : 0;
    if (length == 0 || i + length > text.size() || (length == 2 && byte < 0xc2)) return line;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return line;
    }
    if (byte == '\n') ++line;
    i += length;
  }
  return 0;
}

}  // namespace

absl::StatusOr<std::vector<JsonDocument>> ParseYamlDocuments(std::string_view text) {
  if (int line = FirstInvalidUtf8Line(text); line > 0) {
    return absl::InvalidArgumentError(absl::StrCat("line ", line, ": invalid UTF-8"));
  }
  std::istringstream stream{std::string(text)};
  std::vector<JsonDocument> documents;
  // Every document takes at least one line; more documents than lines means the parser
  // stopped advancing.
  const size_t max_documents = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 2;
  try {
    YAML::Parser parser(stream);
    for (;;) {
      JsonDocument document;
      JsonBuilder builder(document);
      if (!parser.HandleNextDocument(builder)) break;
      if (!builder.status().ok()) return builder.status();
      if (documents.size() >= max_documents) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", document.line, ": invalid YAML: the parser made no progress"));
      }
      documents.push_back(std::move(document));
    }
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(absl::StrCat("line ", error.mark.line + 1, ", column ",
                                                   error.mark.column + 1,
                                                   ": invalid YAML: ", error.msg));
  }
  return documents;
}

int LineOfPath(const JsonDocument& document, std::string_view path) {
  std::string current(path);
  while (!current.empty()) {
    auto found = document.field_lines.find(current);
    if (found != document.field_lines.end()) return found->second;
    const size_t cut = current.find_last_of(".[");
    current.resize(cut == std::string::npos ? 0 : cut);
  }
  return document.line;
}

}  // namespace podswitch::agent::cluster::internal
