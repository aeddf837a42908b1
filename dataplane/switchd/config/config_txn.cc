#include "dataplane/switchd/config/config_txn.h"

#include <map>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/core/packet/addr.h"
#include "dataplane/core/tunnel/vxlan_options.h"
#include "dataplane/switchd/config/config_json.h"
#include "dataplane/switchd/config/internal/schema_sql.h"
#include "dataplane/switchd/config/internal/sqlite.h"
#include "dataplane/switchd/config/port_validation.h"

namespace podswitch::switchd::config {
namespace {

using internal::Statement;
using internal::StatementRef;

absl::Status Corrupt(std::string_view what, std::string_view column) {
  return absl::DataLossError(absl::StrCat("config database: ", std::string(what), ": column ",
                                          std::string(column),
                                          " does not hold the JSON it should"));
}

absl::StatusOr<std::map<std::string, std::string>> DecodeStringMap(const std::string& text,
                                                                   std::string_view what,
                                                                   std::string_view column) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return Corrupt(what, column);
  std::map<std::string, std::string> map;
  for (const auto& [key, value] : json.items()) {
    if (!value.is_string()) return Corrupt(what, column);
    map.emplace(key, value.get<std::string>());
  }
  return map;
}

absl::StatusOr<std::vector<uint16_t>> DecodeVlans(const std::string& text, std::string_view what) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_array()) return Corrupt(what, "trunks");
  std::vector<uint16_t> vlans;
  for (const nlohmann::json& value : json) {
    if (!value.is_number_unsigned() || value.get<uint64_t>() > kMaxVlan) {
      return Corrupt(what, "trunks");
    }
    vlans.push_back(value.get<uint16_t>());
  }
  return vlans;
}

std::string EncodeMap(const std::map<std::string, std::string>& map) {
  return nlohmann::json(map).dump();
}

absl::StatusOr<Bridge> ReadBridge(const StatementRef& stmt) {
  Bridge bridge{.name = stmt->ColumnText(0)};
  PODSWITCH_ASSIGN_OR_RETURN(
      bridge.other_config,
      DecodeStringMap(stmt->ColumnText(1), "bridge " + bridge.name, "other_config"));
  return bridge;
}

absl::StatusOr<Port> ReadPort(const StatementRef& stmt) {
  Port port{.bridge = stmt->ColumnText(0),
            .name = stmt->ColumnText(1),
            .type = stmt->ColumnText(2),
            .ofport = static_cast<uint32_t>(stmt->ColumnInt(3))};
  std::string what = "port " + port.name;
  PODSWITCH_ASSIGN_OR_RETURN(port.options, DecodeStringMap(stmt->ColumnText(4), what, "options"));
  if (!stmt->ColumnIsNull(5)) port.tag = static_cast<uint16_t>(stmt->ColumnInt(5));
  PODSWITCH_ASSIGN_OR_RETURN(port.trunks, DecodeVlans(stmt->ColumnText(6), what));
  port.vlan_mode = stmt->ColumnText(7);
  port.admin_up = stmt->ColumnInt(8) != 0;
  return port;
}

Flow ReadFlow(const StatementRef& stmt) {
  return Flow{.bridge = stmt->ColumnText(0),
              .text = stmt->ColumnText(1),
              .id = static_cast<uint64_t>(stmt->ColumnInt(2))};
}

// Runs a prepared query and decodes every row with `read`.
template <typename T, typename ReadFn>
absl::StatusOr<std::vector<T>> CollectRows(const StatementRef& stmt, ReadFn read) {
  std::vector<T> rows;
  while (true) {
    PODSWITCH_ASSIGN_OR_RETURN(bool has_row, stmt->Step());
    if (!has_row) return rows;
    if constexpr (std::is_same_v<decltype(read(stmt)), T>) {
      rows.push_back(read(stmt));
    } else {
      PODSWITCH_ASSIGN_OR_RETURN(T row, read(stmt));
      rows.push_back(std::move(row));
    }
  }
}

}  // namespace

absl::Status ConfigTxn::CheckWritable() const {
  if (writable_) return absl::OkStatus();
  return absl::FailedPreconditionError("config database: write outside ConfigDb::Transact");
}

absl::StatusOr<bool> ConfigTxn::BridgeExists(std::string_view name) {
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kSelectBridge));
  stmt->Bind(1, name);
  return stmt->Step();
}

absl::Status ConfigTxn::RequireBridge(std::string_view name) {
  PODSWITCH_ASSIGN_OR_RETURN(bool exists, BridgeExists(name));
  if (!exists)
    return absl::NotFoundError(absl::StrCat("bridge: no bridge named ", std::string(name)));
  return absl::OkStatus();
}

absl::Status ConfigTxn::AddBridge(const Bridge& bridge) {
  PODSWITCH_RETURN_IF_ERROR(CheckWritable());
  PODSWITCH_RETURN_IF_ERROR(ValidateBridge(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(bool exists, BridgeExists(bridge.name));
  if (exists) {
    return absl::AlreadyExistsError(absl::StrCat("name: bridge ", bridge.name, " already exists"));
  }
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kInsertBridge));
  stmt->Bind(1, bridge.name);
  stmt->Bind(2, EncodeMap(bridge.other_config));
  PODSWITCH_RETURN_IF_ERROR(stmt->Run());
  Record({{"op", "add-br"}, {"bridge", ToJson(bridge)}});
  return absl::OkStatus();
}

absl::Status ConfigTxn::DeleteBridge(std::string_view name) {
  PODSWITCH_RETURN_IF_ERROR(CheckWritable());
  PODSWITCH_ASSIGN_OR_RETURN(Bridge bridge, GetBridge(name));
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<Port> ports, ListPorts(name));
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<Flow> flows, ListFlows(name));
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kDeleteBridge));
  stmt->Bind(1, name);
  PODSWITCH_RETURN_IF_ERROR(stmt->Run());  // ports and flows go by ON DELETE CASCADE
  nlohmann::json port_names = nlohmann::json::array();
  for (const Port& port : ports) port_names.push_back(port.name);
  Record({{"op", "del-br"},
          {"bridge", ToJson(bridge)},
          {"ports", port_names},
          {"flows", flows.size()}});
  return absl::OkStatus();
}

absl::Status ConfigTxn::UpdateBridge(std::string_view name, absl::FunctionRef<void(Bridge&)> edit) {
  PODSWITCH_RETURN_IF_ERROR(CheckWritable());
  PODSWITCH_ASSIGN_OR_RETURN(Bridge old_bridge, GetBridge(name));
  Bridge bridge = old_bridge;
  edit(bridge);
  if (bridge.name != old_bridge.name) {
    return absl::InvalidArgumentError(
        absl::StrCat("name: bridge ", old_bridge.name, " cannot be renamed"));
  }
  PODSWITCH_RETURN_IF_ERROR(ValidateBridge(bridge));
  if (bridge == old_bridge) return absl::OkStatus();
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kUpdateBridge));
  stmt->Bind(1, EncodeMap(bridge.other_config));
  stmt->Bind(2, name);
  PODSWITCH_RETURN_IF_ERROR(stmt->Run());
  Record({{"op", "set-br"}, {"old", ToJson(old_bridge)}, {"new", ToJson(bridge)}});
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> ConfigTxn::ResolveOfport(const Port& port,
                                                  std::string_view previous_owner) {
  if (port.ofport == 0) {
    PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kSmallestFreeOfport));
    stmt->Bind(1, port.bridge);
    PODSWITCH_RETURN_IF_ERROR(stmt->Step().status());
    int64_t ofport = stmt->ColumnInt(0);
    if (ofport < 1 || ofport > kMaxOfport) {
      return absl::ResourceExhaustedError(
          absl::StrCat("ofport: bridge ", port.bridge, " has no free OpenFlow port number"));
    }
    return static_cast<uint32_t>(ofport);
  }
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kSelectPortByOfport));
  stmt->Bind(1, port.bridge);
  stmt->Bind(2, static_cast<int64_t>(port.ofport));
  PODSWITCH_ASSIGN_OR_RETURN(bool taken, stmt->Step());
  if (taken && stmt->ColumnText(0) != previous_owner) {
    return absl::AlreadyExistsError(absl::StrCat("ofport: ", port.ofport, " on bridge ",
                                                 port.bridge, " is used by port ",
                                                 stmt->ColumnText(0)));
  }
  return port.ofport;
}

absl::Status ConfigTxn::CheckTunnelUnique(const Port& port, std::string_view old_name) {
  if (port.type != "vxlan") return absl::OkStatus();
  absl::StatusOr<core::VxlanPortOptions> mine =
      core::ParseVxlanPortOptions(port.name, port.options);
  if (!mine.ok()) return mine.status();  // ValidateAndCanonicalizePort said so already
  PODSWITCH_ASSIGN_OR_RETURN(std::vector<Port> ports, ListPorts());
  for (const Port& other : ports) {
    if (other.type != "vxlan" || other.name == port.name || other.name == old_name) continue;
    absl::StatusOr<core::VxlanPortOptions> theirs =
        core::ParseVxlanPortOptions(other.name, other.options);
    if (!theirs.ok() || theirs->local_ip != mine->local_ip || theirs->dst_port != mine->dst_port ||
        theirs->remote_ip != mine->remote_ip || theirs->key != mine->key) {
      continue;
    }
    return absl::AlreadyExistsError(
        absl::StrCat("options: port ", other.name, " on bridge ", other.bridge,
                     " already carries this tunnel (local_ip ", core::Ipv4ToString(mine->local_ip),
                     ":", mine->dst_port, ", remote_ip ",
                     mine->remote_ip ? core::Ipv4ToString(*mine->remote_ip) : std::string("flow"),
                     ", key ", mine->key ? absl::StrCat(*mine->key) : std::string("flow"),
                     "): both would take the same datagrams"));
  }
  return absl::OkStatus();
}

absl::Status ConfigTxn::WritePort(const Port& port, std::string_view old_name) {
  const char* sql = old_name.empty() ? internal::kInsertPort : internal::kUpdatePort;
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(sql));
  stmt->Bind(1, port.bridge);
  stmt->Bind(2, port.name);
  stmt->Bind(3, port.type);
  stmt->Bind(4, static_cast<int64_t>(port.ofport));
  stmt->Bind(5, EncodeMap(port.options));
  if (port.tag.has_value()) {
    stmt->Bind(6, static_cast<int64_t>(*port.tag));
  } else {
    stmt->BindNull(6);
  }
  stmt->Bind(7, nlohmann::json(port.trunks).dump());
  stmt->Bind(8, port.vlan_mode);
  stmt->Bind(9, static_cast<int64_t>(port.admin_up ? 1 : 0));
  if (!old_name.empty()) stmt->Bind(10, old_name);
  return stmt->Run();
}

absl::StatusOr<uint32_t> ConfigTxn::AddPort(Port port) {
  PODSWITCH_RETURN_IF_ERROR(CheckWritable());
  PODSWITCH_RETURN_IF_ERROR(ValidateAndCanonicalizePort(port));
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(port.bridge));
  if (absl::StatusOr<Port> existing = GetPort(port.name); existing.ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat("name: port ", port.name, " already exists on bridge ", existing->bridge));
  } else if (!absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  PODSWITCH_RETURN_IF_ERROR(CheckTunnelUnique(port, ""));
  PODSWITCH_ASSIGN_OR_RETURN(port.ofport, ResolveOfport(port, ""));
  PODSWITCH_RETURN_IF_ERROR(WritePort(port, ""));
  Record({{"op", "add-port"}, {"port", ToJson(port)}});
  return port.ofport;
}

absl::Status ConfigTxn::DeletePort(std::string_view name) {
  PODSWITCH_RETURN_IF_ERROR(CheckWritable());
  PODSWITCH_ASSIGN_OR_RETURN(Port port, GetPort(name));
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kDeletePort));
  stmt->Bind(1, name);
  PODSWITCH_RETURN_IF_ERROR(stmt->Run());
  Record({{"op", "del-port"}, {"port", ToJson(port)}});
  return absl::OkStatus();
}

absl::Status ConfigTxn::UpdatePort(std::string_view name, absl::FunctionRef<void(Port&)> edit) {
  PODSWITCH_RETURN_IF_ERROR(CheckWritable());
  PODSWITCH_ASSIGN_OR_RETURN(Port old_port, GetPort(name));
  Port port = old_port;
  edit(port);
  if (port.name != old_port.name) {
    return absl::InvalidArgumentError(absl::StrCat(
        "name: port ", old_port.name, " cannot be renamed (delete it and add it again)"));
  }
  if (port.bridge != old_port.bridge) {
    return absl::InvalidArgumentError(absl::StrCat("bridge: port ", old_port.name,
                                                   " cannot move from bridge ", old_port.bridge,
                                                   " (delete it and add it again)"));
  }
  if (port.ofport == 0) port.ofport = old_port.ofport;
  PODSWITCH_RETURN_IF_ERROR(ValidateAndCanonicalizePort(port));
  if (port == old_port) return absl::OkStatus();
  PODSWITCH_RETURN_IF_ERROR(CheckTunnelUnique(port, old_port.name));
  PODSWITCH_ASSIGN_OR_RETURN(port.ofport, ResolveOfport(port, old_port.name));
  PODSWITCH_RETURN_IF_ERROR(WritePort(port, old_port.name));
  Record({{"op", "set-port"}, {"old", ToJson(old_port)}, {"new", ToJson(port)}});
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ConfigTxn::AddFlow(std::string_view bridge, std::string_view text) {
  PODSWITCH_RETURN_IF_ERROR(CheckWritable());
  if (text.empty()) return absl::InvalidArgumentError("text: a flow must not be empty");
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kInsertFlow));
  stmt->Bind(1, bridge);
  stmt->Bind(2, text);
  PODSWITCH_RETURN_IF_ERROR(stmt->Run());
  Flow flow{.bridge = std::string(bridge),
            .text = std::string(text),
            .id = static_cast<uint64_t>(conn_.LastInsertRowid())};
  Record({{"op", "add-flow"}, {"flow", ToJson(flow)}});
  return flow.id;
}

absl::StatusOr<Flow> ConfigTxn::GetFlow(uint64_t id) {
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kSelectFlow));
  stmt->Bind(1, static_cast<int64_t>(id));
  PODSWITCH_ASSIGN_OR_RETURN(bool found, stmt->Step());
  if (!found) return absl::NotFoundError(absl::StrCat("id: no flow with id ", id));
  return ReadFlow(stmt);
}

absl::Status ConfigTxn::UpdateFlow(uint64_t id, std::string_view text) {
  PODSWITCH_RETURN_IF_ERROR(CheckWritable());
  if (text.empty()) return absl::InvalidArgumentError("text: a flow must not be empty");
  PODSWITCH_ASSIGN_OR_RETURN(Flow old_flow, GetFlow(id));
  if (old_flow.text == text) return absl::OkStatus();
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kUpdateFlow));
  stmt->Bind(1, text);
  stmt->Bind(2, static_cast<int64_t>(id));
  PODSWITCH_RETURN_IF_ERROR(stmt->Run());
  Flow flow = old_flow;
  flow.text = std::string(text);
  Record({{"op", "set-flow"}, {"old", ToJson(old_flow)}, {"new", ToJson(flow)}});
  return absl::OkStatus();
}

absl::Status ConfigTxn::DeleteFlow(uint64_t id) {
  PODSWITCH_RETURN_IF_ERROR(CheckWritable());
  PODSWITCH_ASSIGN_OR_RETURN(Flow flow, GetFlow(id));
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kDeleteFlow));
  stmt->Bind(1, static_cast<int64_t>(id));
  PODSWITCH_RETURN_IF_ERROR(stmt->Run());
  Record({{"op", "del-flow"}, {"flow", ToJson(flow)}});
  return absl::OkStatus();
}

absl::StatusOr<Bridge> ConfigTxn::GetBridge(std::string_view name) {
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kSelectBridge));
  stmt->Bind(1, name);
  PODSWITCH_ASSIGN_OR_RETURN(bool found, stmt->Step());
  if (!found)
    return absl::NotFoundError(absl::StrCat("bridge: no bridge named ", std::string(name)));
  return ReadBridge(stmt);
}

absl::StatusOr<std::vector<Bridge>> ConfigTxn::ListBridges() {
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kSelectBridges));
  return CollectRows<Bridge>(stmt, ReadBridge);
}

absl::StatusOr<Port> ConfigTxn::GetPort(std::string_view name) {
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kSelectPort));
  stmt->Bind(1, name);
  PODSWITCH_ASSIGN_OR_RETURN(bool found, stmt->Step());
  if (!found) return absl::NotFoundError(absl::StrCat("port: no port named ", std::string(name)));
  return ReadPort(stmt);
}

absl::StatusOr<std::vector<Port>> ConfigTxn::ListPorts(std::string_view bridge) {
  if (bridge.empty()) {
    PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kSelectAllPorts));
    return CollectRows<Port>(stmt, ReadPort);
  }
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kSelectPortsOfBridge));
  stmt->Bind(1, bridge);
  return CollectRows<Port>(stmt, ReadPort);
}

absl::StatusOr<std::vector<Flow>> ConfigTxn::ListFlows(std::string_view bridge) {
  if (bridge.empty()) {
    PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kSelectAllFlows));
    return CollectRows<Flow>(stmt, ReadFlow);
  }
  PODSWITCH_RETURN_IF_ERROR(RequireBridge(bridge));
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_.Prepare(internal::kSelectFlowsOfBridge));
  stmt->Bind(1, bridge);
  return CollectRows<Flow>(stmt, ReadFlow);
}

}  // namespace podswitch::switchd::config
