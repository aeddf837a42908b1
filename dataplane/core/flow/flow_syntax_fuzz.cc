// Feeds arbitrary text to the flow parser in every mode; whatever parses must print back to
// text that parses to the same value (the printer/parser contract), or the fuzzer aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dataplane/core/flow/flow_syntax.h"

namespace {

using podswitch::core::FlowTextMode;

[[noreturn]] void Mismatch(std::string_view input, const std::string& printed, const char* what) {
  std::fprintf(stderr, "flow syntax round trip broke (%s)\n input:   %.*s\n printed: %s\n", what,
               static_cast<int>(input.size()), input.data(), printed.c_str());
  std::abort();
}

void CheckFlow(std::string_view text, FlowTextMode mode) {
  auto flow = podswitch::core::ParseFlow(text, mode);
  if (!flow.ok()) return;
  if (mode == FlowTextMode::kMatchOnly) {
    std::string printed = podswitch::core::FormatMatch(flow->match);
    auto match = podswitch::core::ParseMatch(printed);
    if (!match.ok() || !(*match == flow->match)) Mismatch(text, printed, "match");
    return;
  }
  std::string printed = podswitch::core::FormatFlow(*flow);
  auto again = podswitch::core::ParseFlow(printed, mode);
  if (!again.ok() || !(*again == *flow)) Mismatch(text, printed, "flow");
  if (podswitch::core::FormatFlow(*again) != printed) Mismatch(text, printed, "reprint");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckFlow(text, FlowTextMode::kAdd);
  CheckFlow(text, FlowTextMode::kModify);
  CheckFlow(text, FlowTextMode::kMatchOnly);
  auto actions = podswitch::core::ParseActions(text);
  if (actions.ok()) {
    std::string printed = podswitch::core::FormatActions(*actions);
    auto again = podswitch::core::ParseActions(printed);
    if (!again.ok() || !(*again == *actions)) Mismatch(text, printed, "actions");
  }
  return 0;
}
