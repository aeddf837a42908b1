// ovs-ofctl's verbs over the switch API: flows, port counters and trace. Flow text goes to
// podswitchd as typed; the one flow parser lives in the daemon.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ctl/commands.h"
#include "ctl/flow_file.h"

namespace podswitch::ctl {
namespace {

using Stub = switchd::Switch::StubInterface;

// The arguments most flow verbs share: BR, then a flow or a filter, and --strict.
struct FlowArgs {
  std::string bridge;
  std::string flow;
  bool flag = false;
};

absl::Status AddFlows(Session& s, const std::string& bridge,
                      const std::vector<std::string>& flows) {
  switchd::AddFlowsRequest request;
  request.set_bridge(bridge);
  for (const std::string& flow : flows) request.add_flows(flow);
  request.set_client(SwitchClient::ClientName());
  auto reply = s.Switch().Call(&Stub::AddFlows, request);
  if (reply.ok()) s.PrintReplyIfJson(*reply);
  return reply.status();
}

void AddFlowVerbs(CLI::App& app, CommandSet& commands) {
  auto add = std::make_shared<FlowArgs>();
  CLI::App* cmd = app.add_subcommand("add-flow", "Add FLOW to bridge BR (ovs-ofctl syntax)");
  cmd->add_option("BR", add->bridge, "Bridge name")->required();
  cmd->add_option("FLOW", add->flow, "e.g. table=0,priority=100,icmp,actions=drop")->required();
  commands.Bind(cmd, [add](Session& s) { return AddFlows(s, add->bridge, {add->flow}); });

  auto file = std::make_shared<FlowArgs>();
  cmd = app.add_subcommand("add-flows",
                           "Add the flows in FILE to bridge BR, all or none: one per line, "
                           "# comments, - for stdin");
  cmd->add_option("BR", file->bridge, "Bridge name")->required();
  cmd->add_option("FILE", file->flow, "Flow file, or - for stdin")->required();
  commands.Bind(cmd, [file](Session& s) -> absl::Status {
    auto flows = ReadFlowFile(file->flow);
    if (!flows.ok()) return flows.status();
    if (flows->empty()) return absl::OkStatus();
    return AddFlows(s, file->bridge, *flows);
  });

  auto mod = std::make_shared<FlowArgs>();
  cmd = app.add_subcommand("mod-flows", "Set the actions of the flows on BR that FLOW matches");
  cmd->add_option("BR", mod->bridge, "Bridge name")->required();
  cmd->add_option("FLOW", mod->flow, "Match and actions=...")->required();
  cmd->add_flag("--strict", mod->flag, "Match priority and wildcards exactly");
  commands.Bind(cmd, [mod](Session& s) -> absl::Status {
    switchd::ModifyFlowsRequest request;
    request.set_bridge(mod->bridge);
    request.set_flow(mod->flow);
    request.set_strict(mod->flag || s.options().strict);
    request.set_client(SwitchClient::ClientName());
    auto reply = s.Switch().Call(&Stub::ModifyFlows, request);
    if (reply.ok()) s.PrintReplyIfJson(*reply);
    return reply.status();
  });

  auto del = std::make_shared<FlowArgs>();
  cmd = app.add_subcommand("del-flows", "Delete the flows on BR that FLOW matches (all if none)");
  cmd->add_option("BR", del->bridge, "Bridge name")->required();
  cmd->add_option("FLOW", del->flow, "Match (table=, cookie=V/M, out_port= too)");
  cmd->add_flag("--strict", del->flag, "Match priority and wildcards exactly");
  commands.Bind(cmd, [del](Session& s) -> absl::Status {
    switchd::DeleteFlowsRequest request;
    request.set_bridge(del->bridge);
    request.set_filter(del->flow);
    request.set_strict(del->flag || s.options().strict);
    request.set_client(SwitchClient::ClientName());
    auto reply = s.Switch().Call(&Stub::DeleteFlows, request);
    if (reply.ok()) s.PrintReplyIfJson(*reply);
    return reply.status();
  });
}

void AddDumpVerbs(CLI::App& app, CommandSet& commands) {
  auto dump = std::make_shared<FlowArgs>();
  CLI::App* cmd = app.add_subcommand("dump-flows", "Print the flows on BR that FILTER matches");
  cmd->add_option("BR", dump->bridge, "Bridge name")->required();
  cmd->add_option("FILTER", dump->flow, "Match, e.g. table=1 or icmp");
  cmd->add_flag("--no-stats", dump->flag, "Leave out cookie, duration, counters and ages");
  commands.Bind(cmd, [dump](Session& s) -> absl::Status {
    switchd::DumpFlowsRequest request;
    request.set_bridge(dump->bridge);
    request.set_filter(dump->flow);
    auto reply = s.Switch().Call(&Stub::DumpFlows, request);
    if (!reply.ok()) return reply.status();
    if (s.json()) {
      s.PrintJson(MessageToJson(*reply)["flows"]);
      return absl::OkStatus();
    }
    std::string text;
    bool stats = !(dump->flag || s.options().no_stats);
    for (const switchd::Flow& flow : reply->flows()) {
      absl::StrAppend(&text, FormatFlowLine(flow, stats), "\n");
    }
    s.Print(text);
    return absl::OkStatus();
  });

  auto ports = std::make_shared<FlowArgs>();
  cmd = app.add_subcommand("dump-ports", "Print the counters of the ports on BR (or of PORT)");
  cmd->add_option("BR", ports->bridge, "Bridge name")->required();
  cmd->add_option("PORT", ports->flow, "Port name or number");
  commands.Bind(cmd, [ports](Session& s) -> absl::Status {
    switchd::DumpPortStatsRequest request;
    request.set_bridge(ports->bridge);
    request.set_port(ports->flow);
    auto reply = s.Switch().Call(&Stub::DumpPortStats, request);
    if (!reply.ok()) return reply.status();
    if (s.json()) {
      s.PrintJson(MessageToJson(*reply)["ports"]);
    } else {
      s.Print(FormatPortStats(ports->bridge, *reply));
    }
    return absl::OkStatus();
  });

  auto trace = std::make_shared<FlowArgs>();
  cmd = app.add_subcommand("trace", "Show how BR's pipeline treats a packet described as FLOW");
  cmd->alias("ofproto/trace");
  cmd->add_option("BR", trace->bridge, "Bridge name")->required();
  cmd->add_option("FLOW", trace->flow, "e.g. in_port=1,icmp,nw_src=10.0.0.1,nw_dst=10.0.0.2")
      ->required();
  commands.Bind(cmd, [trace](Session& s) -> absl::Status {
    switchd::TraceRequest request;
    request.set_bridge(trace->bridge);
    request.set_flow(trace->flow);
    auto reply = s.Switch().Call(&Stub::Trace, request);
    if (!reply.ok()) return reply.status();
    if (s.json()) {
      s.PrintJson(MessageToJson(*reply));
    } else {
      s.Print(FormatTrace(*reply));
    }
    return absl::OkStatus();
  });
}

}  // namespace

void AddOfctlCommands(CLI::App& app, CommandSet& commands) {
  AddFlowVerbs(app, commands);
  AddDumpVerbs(app, commands);
}

}  // namespace podswitch::ctl
