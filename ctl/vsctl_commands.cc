// ovs-vsctl's verbs over the switch API: bridges, ports and their columns.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ctl/commands.h"
#include "ctl/port_args.h"

namespace podswitch::ctl {
namespace {

using Stub = switchd::Switch::StubInterface;

// Prints names one per line, or as a JSON array.
void PrintNames(Session& session, std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  if (session.json()) {
    session.PrintJson(names);
  } else {
    session.Print(names.empty() ? "" : absl::StrCat(absl::StrJoin(names, "\n"), "\n"));
  }
}

void AddShow(CLI::App& app, CommandSet& commands) {
  CLI::App* cmd = app.add_subcommand("show", "Print the bridges and their ports");
  commands.Bind(cmd, [](Session& s) -> absl::Status {
    auto bridges = s.Switch().Call(&Stub::ListBridges, switchd::ListBridgesRequest());
    if (!bridges.ok()) return bridges.status();
    // The version line is a nicety: a daemon that cannot report health still shows its bridges.
    auto health = s.Switch().Call(&Stub::Health, switchd::HealthRequest());
    if (!health.ok()) health = switchd::HealthResponse();
    if (s.json()) {
      s.PrintJson({{"podswitchd", MessageToJson(*health)},
                   {"bridges", MessageToJson(*bridges)["bridges"]}});
    } else {
      s.Print(FormatShow(*bridges, *health));
    }
    return absl::OkStatus();
  });
}

void AddBridgeVerbs(CLI::App& app, CommandSet& commands) {
  struct Args {
    std::string bridge;
    bool flag = false;
  };
  auto add = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("add-br", "Create bridge BR");
  cmd->add_option("BR", add->bridge, "Bridge name")->required();
  cmd->add_flag("--may-exist", add->flag, "No error if BR already exists");
  commands.Bind(cmd, [add](Session& s) -> absl::Status {
    switchd::CreateBridgeRequest request;
    request.set_name(add->bridge);
    request.set_may_exist(add->flag || s.options().may_exist);
    request.set_client(SwitchClient::ClientName());
    auto reply = s.Switch().Call(&Stub::CreateBridge, request);
    if (reply.ok()) s.PrintReplyIfJson(*reply);
    return reply.status();
  });

  auto del = std::make_shared<Args>();
  cmd = app.add_subcommand("del-br", "Delete bridge BR with all its ports and flows");
  cmd->add_option("BR", del->bridge, "Bridge name")->required();
  cmd->add_flag("--if-exists", del->flag, "No error if BR does not exist");
  commands.Bind(cmd, [del](Session& s) -> absl::Status {
    switchd::DeleteBridgeRequest request;
    request.set_name(del->bridge);
    request.set_if_exists(del->flag || s.options().if_exists);
    request.set_client(SwitchClient::ClientName());
    auto reply = s.Switch().Call(&Stub::DeleteBridge, request);
    if (reply.ok()) s.PrintReplyIfJson(*reply);
    return reply.status();
  });

  cmd = app.add_subcommand("list-br", "Print the names of all bridges");
  commands.Bind(cmd, [](Session& s) -> absl::Status {
    auto reply = s.Switch().Call(&Stub::ListBridges, switchd::ListBridgesRequest());
    if (!reply.ok()) return reply.status();
    std::vector<std::string> names;
    for (const switchd::Bridge& bridge : reply->bridges()) names.push_back(bridge.name());
    PrintNames(s, std::move(names));
    return absl::OkStatus();
  });

  auto exists = std::make_shared<Args>();
  cmd = app.add_subcommand("br-exists", "Exit 0 if bridge BR exists, 2 if it does not");
  cmd->add_option("BR", exists->bridge, "Bridge name")->required();
  commands.Bind(cmd, [exists](Session& s) -> absl::Status {
    switchd::GetBridgeRequest request;
    request.set_name(exists->bridge);
    auto reply = s.Switch().Call(&Stub::GetBridge, request);
    if (absl::IsNotFound(reply.status())) {
      s.set_exit_code(kExitUsage);
      return absl::OkStatus();
    }
    return reply.status();
  });
}

void AddPortVerbs(CLI::App& app, CommandSet& commands) {
  struct AddArgs {
    std::string bridge;
    std::string port;
    std::vector<std::string> settings;
    bool may_exist = false;
  };
  auto add = std::make_shared<AddArgs>();
  CLI::App* cmd = app.add_subcommand(
      "add-port",
      "Add port PORT to bridge BR; COLUMN=VALUE: type=T tag=N trunks=A,B vlan_mode=M "
      "admin_state=up|down ofport_request=N options:KEY=VALUE");
  cmd->add_option("BR", add->bridge, "Bridge name")->required();
  cmd->add_option("PORT", add->port, "Port name")->required();
  cmd->add_option("COLUMN=VALUE", add->settings, "Port settings");
  cmd->add_flag("--may-exist", add->may_exist, "No error if PORT is already on BR");
  commands.Bind(cmd, [add](Session& s) -> absl::Status {
    auto request = ParseAddPortArgs(add->bridge, add->port, add->settings,
                                    add->may_exist || s.options().may_exist);
    if (!request.ok()) return request.status();
    request->set_client(SwitchClient::ClientName());
    auto reply = s.Switch().Call(&Stub::CreatePort, *request);
    if (reply.ok()) s.PrintReplyIfJson(reply->port());
    return reply.status();
  });

  struct DelArgs {
    std::string bridge;
    std::string port;
    bool if_exists = false;
  };
  auto del = std::make_shared<DelArgs>();
  cmd = app.add_subcommand("del-port", "Delete port PORT (from bridge BR, when given)");
  cmd->add_option("BR", del->bridge, "Bridge name: the port must be on it");
  cmd->add_option("PORT", del->port, "Port name");
  // CLI11 fills positionals left to right: a lone name is the port, as in ovs-vsctl.
  cmd->parse_complete_callback([del] {
    if (!del->port.empty()) return;
    if (del->bridge.empty()) throw CLI::RequiredError("PORT");
    std::swap(del->bridge, del->port);
  });
  cmd->add_flag("--if-exists", del->if_exists, "No error if PORT does not exist");
  commands.Bind(cmd, [del](Session& s) -> absl::Status {
    switchd::DeletePortRequest request;
    request.set_bridge(del->bridge);
    request.set_name(del->port);
    request.set_if_exists(del->if_exists || s.options().if_exists);
    request.set_client(SwitchClient::ClientName());
    auto reply = s.Switch().Call(&Stub::DeletePort, request);
    if (reply.ok()) s.PrintReplyIfJson(*reply);
    return reply.status();
  });

  auto list = std::make_shared<std::string>();
  cmd = app.add_subcommand("list-ports", "Print the names of the ports on bridge BR");
  cmd->add_option("BR", *list, "Bridge name")->required();
  commands.Bind(cmd, [list](Session& s) -> absl::Status {
    switchd::GetBridgeRequest request;
    request.set_name(*list);
    auto reply = s.Switch().Call(&Stub::GetBridge, request);
    if (!reply.ok()) return reply.status();
    std::vector<std::string> names;
    for (const switchd::Port& port : reply->ports()) names.push_back(port.name());
    PrintNames(s, std::move(names));
    return absl::OkStatus();
  });

  auto to_br = std::make_shared<std::string>();
  cmd = app.add_subcommand("port-to-br", "Print the name of the bridge that holds PORT");
  cmd->add_option("PORT", *to_br, "Port name")->required();
  commands.Bind(cmd, [to_br](Session& s) -> absl::Status {
    switchd::GetPortRequest request;
    request.set_name(*to_br);
    auto reply = s.Switch().Call(&Stub::GetPort, request);
    if (!reply.ok()) return reply.status();
    if (s.json()) {
      s.PrintJson(reply->bridge());
    } else {
      s.Print(absl::StrCat(reply->bridge(), "\n"));
    }
    return absl::OkStatus();
  });
}

// The arguments of set, get and clear: TABLE NAME WORD...
struct ColumnArgs {
  std::string table;
  std::string name;
  std::vector<std::string> words;
};

std::shared_ptr<ColumnArgs> AddColumnVerb(CLI::App& app, const char* verb, const char* help,
                                          const char* words) {
  auto args = std::make_shared<ColumnArgs>();
  CLI::App* cmd = app.add_subcommand(verb, help);
  cmd->add_option("TABLE", args->table, "port or interface")->required();
  cmd->add_option("NAME", args->name, "Port name")->required();
  cmd->add_option(words, args->words, "Columns")->required();
  return args;
}

absl::StatusOr<switchd::Port> GetPort(Session& s, const std::string& name) {
  switchd::GetPortRequest request;
  request.set_name(name);
  return s.Switch().Call(&Stub::GetPort, request);
}

absl::Status Update(Session& s, switchd::UpdatePortRequest request) {
  request.set_client(SwitchClient::ClientName());
  auto reply = s.Switch().Call(&Stub::UpdatePort, request);
  if (reply.ok()) s.PrintReplyIfJson(reply->port());
  return reply.status();
}

void AddColumnVerbs(CLI::App& app, CommandSet& commands) {
  auto set = AddColumnVerb(app, "set",
                           "Set columns of a port: tag=N trunks=A,B vlan_mode=M "
                           "admin_state=up|down options:KEY=VALUE ([] clears tag, trunks)",
                           "COLUMN=VALUE");
  commands.Bind(app.get_subcommand("set"), [set](Session& s) -> absl::Status {
    auto table = ParsePortTable(set->table);
    if (!table.ok()) return table.status();
    auto request = ParseSetPortArgs(*table, set->name, set->words);
    if (!request.ok()) return request.status();
    return Update(s, *std::move(request));
  });

  auto get = AddColumnVerb(app, "get",
                           "Print columns of a port: tag trunks vlan_mode type ofport options "
                           "options:KEY admin_state link_state error bridge",
                           "COLUMN");
  commands.Bind(app.get_subcommand("get"), [get](Session& s) -> absl::Status {
    auto table = ParsePortTable(get->table);
    if (!table.ok()) return table.status();
    auto port = GetPort(s, get->name);
    if (!port.ok()) return port.status();
    nlohmann::json values = nlohmann::json::object();
    std::string text;
    for (const std::string& column : get->words) {
      auto value = GetPortColumn(*table, *port, column);
      if (!value.ok()) return value.status();
      absl::StrAppend(&text, FormatColumnValue(*value), "\n");
      values[column] = *std::move(value);
    }
    if (s.json()) {
      s.PrintJson(values);
    } else {
      s.Print(text);
    }
    return absl::OkStatus();
  });

  auto clear = AddColumnVerb(
      app, "clear", "Clear columns of a port: tag trunks vlan_mode options options:KEY", "COLUMN");
  commands.Bind(app.get_subcommand("clear"), [clear](Session& s) -> absl::Status {
    auto table = ParsePortTable(clear->table);
    if (!table.ok()) return table.status();
    auto port = GetPort(s, clear->name);
    if (!port.ok()) return port.status();
    auto request = ParseClearPortArgs(*table, *port, clear->words);
    if (!request.ok()) return request.status();
    return Update(s, *std::move(request));
  });
}

}  // namespace

void AddVsctlCommands(CLI::App& app, CommandSet& commands) {
  AddShow(app, commands);
  AddBridgeVerbs(app, commands);
  AddPortVerbs(app, commands);
  AddColumnVerbs(app, commands);
}

}  // namespace podswitch::ctl
