// The configuration database's verbs: the change log, a full dump, and a live stream of
// changes (what ovsdb-tool show-log, ovsdb-client dump and ovsdb-client monitor do for OVS).
#include <iostream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ctl/commands.h"

namespace podswitch::ctl {
namespace {

using Stub = switchd::Switch::StubInterface;

struct ShowLogArgs {
  int64_t since = 0;
  uint32_t limit = 0;
};

void AddDbVerbs(CLI::App& app, CommandSet& commands) {
  CLI::App* db = app.add_subcommand("db", "Read the configuration database");
  db->require_subcommand(1);

  auto log = std::make_shared<ShowLogArgs>();
  CLI::App* cmd = db->add_subcommand("show-log", "Print the change log, oldest first");
  cmd->add_option("--since", log->since, "Only changes after sequence number N")->type_name("N");
  cmd->add_option("--limit", log->limit, "At most N changes (0: all)")->type_name("N");
  commands.Bind(cmd, [log](Session& s) -> absl::Status {
    switchd::ShowLogRequest request;
    request.set_since_seq(log->since);
    request.set_limit(log->limit);
    auto reply = s.Switch().Call(&Stub::ShowLog, request);
    if (!reply.ok()) return reply.status();
    if (s.json()) {
      nlohmann::json entries = nlohmann::json::array();
      for (const auto& entry : reply->entries()) entries.push_back(ChangeLogEntryToJson(entry));
      s.PrintJson(entries);
      return absl::OkStatus();
    }
    std::string text;
    for (const auto& entry : reply->entries()) {
      absl::StrAppend(&text, FormatChangeLogEntry(entry), "\n");
    }
    s.Print(text);
    return absl::OkStatus();
  });

  cmd = db->add_subcommand("dump", "Print the whole configuration database as JSON");
  commands.Bind(cmd, [](Session& s) -> absl::Status {
    auto reply = s.Switch().Call(&Stub::DumpDb, switchd::DumpDbRequest());
    if (!reply.ok()) return reply.status();
    nlohmann::json dump = nlohmann::json::parse(reply->json(), nullptr, /*allow_exceptions=*/false);
    if (dump.is_discarded()) {
      s.Print(absl::StrCat(reply->json(), "\n"));
    } else {
      s.PrintJson(dump);
    }
    return absl::OkStatus();
  });
}

void AddMonitor(CLI::App& app, CommandSet& commands) {
  CLI::App* cmd = app.add_subcommand(
      "monitor", "Print each configuration change as it is committed, until interrupted");
  commands.Bind(cmd, [](Session& s) -> absl::Status {
    bool json = s.json();
    return s.Switch().Monitor([json](const switchd::ChangeLogEntry& entry) {
      // One line per change (JSON Lines with --format json), flushed so pipes see it at once.
      std::cout << (json ? ChangeLogEntryToJson(entry).dump() : FormatChangeLogEntry(entry))
                << std::endl;
    });
  });
}

}  // namespace

void AddDbCommands(CLI::App& app, CommandSet& commands) {
  AddDbVerbs(app, commands);
  AddMonitor(app, commands);
}

}  // namespace podswitch::ctl
