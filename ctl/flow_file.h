// Reading the flow files of `add-flows BR FILE`, with ovs-ofctl's conventions: one flow per
// line, `#` starts a comment, blank lines are skipped, a trailing `\` joins the
// next line to this one.
#ifndef PODSWITCH_CTL_FLOW_FILE_H_
#define PODSWITCH_CTL_FLOW_FILE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace podswitch::ctl {

// Splits flow-file text into flows, so the whole file can go to podswitchd in one request.
std::vector<std::string> ParseFlowLines(std::string_view text);

// Reads and splits a flow file; `-` reads stdin, as ovs-ofctl does.
absl::StatusOr<std::vector<std::string>> ReadFlowFile(const std::string& path);

}  // namespace podswitch::ctl

#endif  // PODSWITCH_CTL_FLOW_FILE_H_
