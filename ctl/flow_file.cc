// Flow files for add-flows.
#include "ctl/flow_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace podswitch::ctl {

std::vector<std::string> ParseFlowLines(std::string_view text) {
  std::vector<std::string> flows;
  std::string pending;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    size_t hash = line.find('#');
    if (hash != absl::string_view::npos) line = line.substr(0, hash);
    line = absl::StripAsciiWhitespace(line);
    bool continued = absl::ConsumeSuffix(&line, "\\");
    absl::StrAppend(&pending, absl::StripAsciiWhitespace(line));
    if (continued) continue;
    if (!pending.empty()) flows.push_back(std::move(pending));
    pending.clear();
  }
  if (!pending.empty()) flows.push_back(std::move(pending));
  return flows;
}

absl::StatusOr<std::vector<std::string>> ReadFlowFile(const std::string& path) {
  if (path == "-") {
    std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    return ParseFlowLines(text);
  }
  std::ifstream file(path);
  if (!file) {
    return absl::NotFoundError(absl::StrCat(path, ": open failed (", std::strerror(errno), ")"));
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return ParseFlowLines(text.str());
}

}  // namespace podswitch::ctl
