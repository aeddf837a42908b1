// ovs-appctl's verbs over the switch API: the MAC learning table and PMD thread counters.
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "ctl/commands.h"

namespace podswitch::ctl {
namespace {

using Stub = switchd::Switch::StubInterface;

void AddFdbVerbs(CLI::App& app, CommandSet& commands) {
  auto show = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("fdb/show", "Print the MAC addresses BR has learned");
  cmd->add_option("BR", *show, "Bridge name")->required();
  commands.Bind(cmd, [show](Session& s) -> absl::Status {
    switchd::DumpFdbRequest request;
    request.set_bridge(*show);
    auto reply = s.Switch().Call(&Stub::DumpFdb, request);
    if (!reply.ok()) return reply.status();
    if (s.json()) {
      s.PrintJson(MessageToJson(*reply)["entries"]);
    } else {
      s.Print(FormatFdbTable(*reply));
    }
    return absl::OkStatus();
  });

  auto flush = std::make_shared<std::string>();
  cmd = app.add_subcommand("fdb/flush", "Forget the MAC addresses BR (or every bridge) learned");
  cmd->add_option("BR", *flush, "Bridge name");
  commands.Bind(cmd, [flush](Session& s) -> absl::Status {
    switchd::FlushFdbRequest request;
    request.set_bridge(*flush);
    request.set_client(SwitchClient::ClientName());
    auto reply = s.Switch().Call(&Stub::FlushFdb, request);
    if (!reply.ok()) return reply.status();
    if (s.json()) {
      s.PrintJson(MessageToJson(*reply));
    } else {
      s.Print("table successfully flushed\n");
    }
    return absl::OkStatus();
  });
}

void AddPmdVerbs(CLI::App& app, CommandSet& commands) {
  CLI::App* cmd = app.add_subcommand("dpif-netdev/pmd-stats-show",
                                     "Print the packet, cache and cycle counters of each PMD");
  cmd->alias("pmd-stats-show");
  commands.Bind(cmd, [](Session& s) -> absl::Status {
    auto reply = s.Switch().Call(&Stub::DumpPmdStats, switchd::DumpPmdStatsRequest());
    if (!reply.ok()) return reply.status();
    if (s.json()) {
      s.PrintJson(MessageToJson(*reply)["pmds"]);
    } else {
      s.Print(FormatPmdStats(*reply));
    }
    return absl::OkStatus();
  });
}

}  // namespace

void AddAppctlCommands(CLI::App& app, CommandSet& commands) {
  AddFdbVerbs(app, commands);
  AddPmdVerbs(app, commands);
}

}  // namespace podswitch::ctl
