// What podswitchctl prints: text in the layout ovs-vsctl, ovs-ofctl and ovs-appctl users know,
// or JSON for scripts (`--format json`). Pure functions from API messages to strings, so every
// layout is unit-tested without a daemon.
#ifndef PODSWITCH_CTL_OUTPUT_H_
#define PODSWITCH_CTL_OUTPUT_H_

#include <string>

#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"
#include "podswitch/switchd/v1/switchd.pb.h"

namespace podswitch::ctl {

namespace switchd = ::podswitch::switchd::v1;

// How a command prints its result: chosen once by `--format`.
enum class OutputFormat { kText, kJson };

// Converts any API message to JSON with the proto field names, numbers as JSON numbers (even
// 64-bit counters, which protobuf's own mapping writes as strings), maps as objects and unset
// optional fields as null, so scripts see every key every time.
nlohmann::json MessageToJson(const google::protobuf::Message& message);

// A change-log entry as JSON, with `details_json` decoded into a `details` object.
nlohmann::json ChangeLogEntryToJson(const switchd::ChangeLogEntry& entry);

// Formats one flow as an `ovs-ofctl dump-flows` line (with its leading space, no newline).
std::string FormatFlowLine(const switchd::Flow& flow, bool show_stats);

// Formats the bridges and ports as `ovs-vsctl show` does, ending with the daemon version.
std::string FormatShow(const switchd::ListBridgesResponse& bridges,
                       const switchd::HealthResponse& health);

// Formats the MAC table as `ovs-appctl fdb/show` does.
std::string FormatFdbTable(const switchd::DumpFdbResponse& fdb);

// Formats port counters as `ovs-ofctl dump-ports` does.
std::string FormatPortStats(const std::string& bridge, const switchd::DumpPortStatsResponse& stats);

// Formats PMD thread counters as `ovs-appctl dpif-netdev/pmd-stats-show` does.
std::string FormatPmdStats(const switchd::DumpPmdStatsResponse& stats);

// Formats a trace: the server's text when it sent one, else a summary of its steps.
std::string FormatTrace(const switchd::TraceResponse& trace);

// Formats one change-log entry as a line: sequence, UTC time, client, summary.
std::string FormatChangeLogEntry(const switchd::ChangeLogEntry& entry);

// Formats a column value as `ovs-vsctl get` prints it: 10, [10, 20], {k=v}, [] for unset.
std::string FormatColumnValue(const nlohmann::json& value);

}  // namespace podswitch::ctl

#endif  // PODSWITCH_CTL_OUTPUT_H_
