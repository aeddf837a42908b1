// ConfigTxn: the operations of one config database transaction (ovs-vsctl's verbs on
// bridges, ports and flows), each validated and recorded for the change log.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/switchd/config/config_model.h"
#include "nlohmann/json.hpp"

namespace podswitch::switchd::config {

namespace internal {
class Connection;
}  // namespace internal

// The view of the database a ConfigDb::Transact body works on: reads see the transaction's
// own writes, and an error returned by any call (or by the body) rolls back all of them.
// Only ConfigDb creates one; it is valid only during the body.
class ConfigTxn {
 public:
  ConfigTxn(const ConfigTxn&) = delete;
  ConfigTxn& operator=(const ConfigTxn&) = delete;

  // Creates a bridge; ALREADY_EXISTS if the name is taken.
  absl::Status AddBridge(const Bridge& bridge);
  // Deletes a bridge with all its ports and flows; NOT_FOUND if absent.
  absl::Status DeleteBridge(std::string_view name);
  // Edits a bridge's other_config in place (the name cannot change); NOT_FOUND if absent.
  absl::Status UpdateBridge(std::string_view name, absl::FunctionRef<void(Bridge&)> edit);

  // Adds a port and returns its ofport (assigned when port.ofport is 0). NOT_FOUND if the
  // bridge is missing, ALREADY_EXISTS if the name (on any bridge) or the ofport is taken,
  // INVALID_ARGUMENT naming the field for a bad type, tag, trunk, vlan_mode or name.
  absl::StatusOr<uint32_t> AddPort(Port port);
  // Deletes a port; NOT_FOUND if absent.
  absl::Status DeletePort(std::string_view name);
  // Edits a port's columns (`set port NAME COLUMN=VALUE`) with the same validation as
  // AddPort; name and bridge cannot change, an ofport set to 0 keeps the current one.
  absl::Status UpdatePort(std::string_view name, absl::FunctionRef<void(Port&)> edit);

  // Adds one flow (canonical ovs-ofctl text) and returns its id; NOT_FOUND for the bridge.
  absl::StatusOr<uint64_t> AddFlow(std::string_view bridge, std::string_view text);
  // Replaces the text of a flow, keeping its id (add-flow over a flow with the same table,
  // priority and match, mod-flows); NOT_FOUND if absent. The same text changes nothing.
  absl::Status UpdateFlow(uint64_t id, std::string_view text);
  // Deletes a flow by id; NOT_FOUND if absent.
  absl::Status DeleteFlow(uint64_t id);

  // Reads; NOT_FOUND for a missing bridge or port.
  absl::StatusOr<Bridge> GetBridge(std::string_view name);
  absl::StatusOr<std::vector<Bridge>> ListBridges();
  absl::StatusOr<Port> GetPort(std::string_view name);
  // Ports of one bridge ordered by ofport, or of every bridge when `bridge` is empty.
  absl::StatusOr<std::vector<Port>> ListPorts(std::string_view bridge = "");
  // Flows of one bridge ordered by id, or of every bridge when `bridge` is empty.
  absl::StatusOr<std::vector<Flow>> ListFlows(std::string_view bridge = "");

 private:
  friend class ConfigDb;
  ConfigTxn(internal::Connection& conn, bool writable) : conn_(conn), writable_(writable) {}

  absl::Status CheckWritable() const;
  absl::Status RequireBridge(std::string_view name);
  absl::StatusOr<bool> BridgeExists(std::string_view name);
  // A vxlan port must not carry the same tunnel (local_ip, dst_port, remote_ip, key) as another
  // port (Open vSwitch refuses it too): both would take the same datagrams. ALREADY_EXISTS
  // names the other port. `old_name`: the port being updated, which may keep its tunnel.
  absl::Status CheckTunnelUnique(const Port& port, std::string_view old_name);
  absl::StatusOr<uint32_t> ResolveOfport(const Port& port, std::string_view previous_owner);
  absl::Status WritePort(const Port& port, std::string_view old_name);
  absl::StatusOr<Flow> GetFlow(uint64_t id);
  void Record(nlohmann::json change) { changes_.push_back(std::move(change)); }

  internal::Connection& conn_;
  bool writable_;
  // What this transaction changed, one JSON object per operation (the change log details).
  nlohmann::json changes_ = nlohmann::json::array();
};

}  // namespace podswitch::switchd::config
