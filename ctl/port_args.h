// Parsing of the COLUMN=VALUE words of `add-port`, `set`, `get` and `clear` into switch API
// messages. ovs-vsctl users type these words; every mistake is caught here with an error that
// names the column and the value, before anything reaches podswitchd.
#ifndef PODSWITCH_CTL_PORT_ARGS_H_
#define PODSWITCH_CTL_PORT_ARGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "podswitch/switchd/v1/switchd.pb.h"

namespace podswitch::ctl {

namespace switchd = ::podswitch::switchd::v1;

// The table a `set`/`get`/`clear` names. ovs-vsctl splits a port into a Port and an Interface
// record; podswitchd keeps one record, so both names reach the same columns.
enum class PortTable { kPort, kInterface };

// Reads the TABLE word of `set`/`get`/`clear`, so `bridge` or a typo fails with a clear message.
absl::StatusOr<PortTable> ParsePortTable(absl::string_view word);

// The table name as ovs-vsctl writes it in messages ("Port", "Interface").
const char* PortTableName(PortTable table);

// Parses a VLAN id for the column `column` (tag or a trunk), so 4096 or "x" fails naming both.
absl::StatusOr<uint32_t> ParseVlanId(absl::string_view column, absl::string_view value);

// Parses `trunks=` values ("10,20", "[10, 20]", "[]") into VLAN ids.
absl::StatusOr<std::vector<uint32_t>> ParseTrunks(absl::string_view value);

// Builds the request of `add-port BRIDGE PORT [COLUMN=VALUE]...`.
absl::StatusOr<switchd::CreatePortRequest> ParseAddPortArgs(
    const std::string& bridge, const std::string& port, const std::vector<std::string>& settings,
    bool may_exist);

// Builds the request of `set port|interface NAME COLUMN=VALUE...`; only named columns change.
absl::StatusOr<switchd::UpdatePortRequest> ParseSetPortArgs(
    PortTable table, const std::string& name, const std::vector<std::string>& settings);

// Builds the request of `clear port|interface NAME COLUMN...`. `current` is the port as it is
// now: clearing `options` removes every key it has.
absl::StatusOr<switchd::UpdatePortRequest> ParseClearPortArgs(
    PortTable table, const switchd::Port& current, const std::vector<std::string>& columns);

// Reads one column (or `options:KEY`) of a port for `get`, as JSON: null for an unset value.
absl::StatusOr<nlohmann::json> GetPortColumn(PortTable table, const switchd::Port& port,
                                             const std::string& column);

}  // namespace podswitch::ctl

#endif  // PODSWITCH_CTL_PORT_ARGS_H_
