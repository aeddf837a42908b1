#include "dataplane/switchd/config/config_db.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/switchd/config/config_json.h"
#include "dataplane/switchd/config/internal/database_file.h"
#include "dataplane/switchd/config/internal/schema_sql.h"
#include "dataplane/switchd/config/internal/sqlite.h"
#include "spdlog/spdlog.h"

namespace podswitch::switchd::config {

using internal::StatementRef;

absl::StatusOr<std::unique_ptr<ConfigDb>> ConfigDb::Open(const std::string& path,
                                                         ConfigDbOptions options) {
  if (options.change_log_limit == 0) {
    return absl::InvalidArgumentError("change_log_limit: must keep at least one entry");
  }
  PODSWITCH_ASSIGN_OR_RETURN(std::unique_ptr<internal::Connection> conn,
                             internal::OpenDatabaseFile(path, options.busy_timeout));
  spdlog::info("config database {} opened", path);
  return std::unique_ptr<ConfigDb>(new ConfigDb(path, options, std::move(conn)));
}

ConfigDb::ConfigDb(std::string path, ConfigDbOptions options,
                   std::unique_ptr<internal::Connection> conn)
    : path_(std::move(path)), options_(options), conn_(std::move(conn)) {}

ConfigDb::~ConfigDb() = default;

absl::Status ConfigDb::Transact(std::string_view client, std::string_view summary,
                                absl::FunctionRef<absl::Status(ConfigTxn&)> body) {
  absl::StatusOr<std::optional<ChangeLogEntry>> committed;
  uint64_t ticket = 0;
  {
    absl::MutexLock lock(&mu_);
    committed = TransactLocked(client, summary, body);
    if (!committed.ok() || !committed->has_value()) return committed.status();
    ticket = next_commit_ticket_++;
  }
  absl::MutexLock lock(&listeners_mu_);
  auto my_turn = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(listeners_mu_) {
    return next_notify_ticket_ == ticket;
  };
  listeners_mu_.Await(absl::Condition(&my_turn));
  for (const auto& [id, listener] : listeners_) listener(**committed);
  ++next_notify_ticket_;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ChangeLogEntry>> ConfigDb::TransactLocked(
    std::string_view client, std::string_view summary,
    absl::FunctionRef<absl::Status(ConfigTxn&)> body) {
  absl::Status begun = conn_->Exec(internal::kBeginWrite);
  if (!begun.ok()) {
    return absl::Status(begun.code(),
                        absl::StrCat("config database ", path_, ": ", begun.message()));
  }
  ConfigTxn txn(*conn_, /*writable=*/true);
  absl::Status status = body(txn);
  std::optional<ChangeLogEntry> entry;
  if (status.ok() && !txn.changes_.empty()) {
    absl::StatusOr<ChangeLogEntry> appended =
        AppendChangeLocked(client, summary, txn.changes_.dump());
    if (appended.ok()) {
      entry = *std::move(appended);
    } else {
      status = appended.status();
    }
  }
  if (status.ok()) status = conn_->Exec(internal::kCommit);
  if (!status.ok()) {
    // After some errors (a full disk, an I/O error) SQLite has already rolled back; a
    // failing ROLLBACK then changes nothing.
    conn_->Exec(internal::kRollback).IgnoreError();
    return status;
  }
  return entry;
}

absl::StatusOr<ChangeLogEntry> ConfigDb::AppendChangeLocked(std::string_view client,
                                                            std::string_view summary,
                                                            std::string details_json) {
  ChangeLogEntry entry{.time = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())),
                       .client = std::string(client),
                       .summary = std::string(summary),
                       .details_json = std::move(details_json)};
  {
    PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_->Prepare(internal::kInsertChange));
    stmt->Bind(1, absl::ToUnixMicros(entry.time));
    stmt->Bind(2, entry.client);
    stmt->Bind(3, entry.summary);
    stmt->Bind(4, entry.details_json);
    PODSWITCH_RETURN_IF_ERROR(stmt->Run());
    entry.seq = conn_->LastInsertRowid();
  }
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef trim, conn_->Prepare(internal::kTrimChangeLog));
  trim->Bind(1, static_cast<int64_t>(options_.change_log_limit));
  PODSWITCH_RETURN_IF_ERROR(trim->Run());
  return entry;
}

absl::StatusOr<Bridge> ConfigDb::GetBridge(std::string_view name) {
  absl::MutexLock lock(&mu_);
  return ConfigTxn(*conn_, /*writable=*/false).GetBridge(name);
}

absl::StatusOr<std::vector<Bridge>> ConfigDb::ListBridges() {
  absl::MutexLock lock(&mu_);
  return ConfigTxn(*conn_, /*writable=*/false).ListBridges();
}

absl::StatusOr<Port> ConfigDb::GetPort(std::string_view name) {
  absl::MutexLock lock(&mu_);
  return ConfigTxn(*conn_, /*writable=*/false).GetPort(name);
}

absl::StatusOr<std::vector<Port>> ConfigDb::ListPorts(std::string_view bridge) {
  absl::MutexLock lock(&mu_);
  return ConfigTxn(*conn_, /*writable=*/false).ListPorts(bridge);
}

absl::StatusOr<std::vector<Flow>> ConfigDb::ListFlows(std::string_view bridge) {
  absl::MutexLock lock(&mu_);
  return ConfigTxn(*conn_, /*writable=*/false).ListFlows(bridge);
}

absl::StatusOr<std::vector<ChangeLogEntry>> ConfigDb::ChangeLog(int64_t since_seq, size_t limit) {
  absl::MutexLock lock(&mu_);
  PODSWITCH_ASSIGN_OR_RETURN(StatementRef stmt, conn_->Prepare(internal::kSelectChanges));
  stmt->Bind(1, since_seq);
  stmt->Bind(2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  std::vector<ChangeLogEntry> entries;
  while (true) {
    PODSWITCH_ASSIGN_OR_RETURN(bool has_row, stmt->Step());
    if (!has_row) return entries;
    entries.push_back(ChangeLogEntry{.seq = stmt->ColumnInt(0),
                                     .time = absl::FromUnixMicros(stmt->ColumnInt(1)),
                                     .client = stmt->ColumnText(2),
                                     .summary = stmt->ColumnText(3),
                                     .details_json = stmt->ColumnText(4)});
  }
}

uint64_t ConfigDb::Subscribe(std::function<void(const ChangeLogEntry&)> listener) {
  absl::MutexLock lock(&listeners_mu_);
  uint64_t id = next_listener_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void ConfigDb::Unsubscribe(uint64_t id) {
  absl::MutexLock lock(&listeners_mu_);
  listeners_.erase(id);
}

absl::StatusOr<std::string> ConfigDb::DumpJson() {
  absl::MutexLock lock(&mu_);
  // One read transaction, so the dump is a single consistent snapshot.
  PODSWITCH_RETURN_IF_ERROR(conn_->Exec(internal::kBeginRead));
  ConfigTxn reader(*conn_, /*writable=*/false);
  nlohmann::json dump = {{"path", path_}, {"bridges", nlohmann::json::array()}};
  absl::StatusOr<std::vector<Bridge>> bridges = reader.ListBridges();
  absl::Status status = bridges.status();
  for (size_t i = 0; status.ok() && i < bridges->size(); ++i) {
    const Bridge& bridge = (*bridges)[i];
    nlohmann::json json = ToJson(bridge);
    json["ports"] = nlohmann::json::array();
    json["flows"] = nlohmann::json::array();
    absl::StatusOr<std::vector<Port>> ports = reader.ListPorts(bridge.name);
    absl::StatusOr<std::vector<Flow>> flows = reader.ListFlows(bridge.name);
    status = !ports.ok() ? ports.status() : flows.status();
    if (!status.ok()) break;
    for (const Port& port : *ports) json["ports"].push_back(ToJson(port));
    for (const Flow& flow : *flows) json["flows"].push_back(ToJson(flow));
    dump["bridges"].push_back(std::move(json));
  }
  conn_->Exec(internal::kCommit).IgnoreError();
  if (!status.ok()) return status;
  return dump.dump(2);
}

}  // namespace podswitch::switchd::config
