// Every SQL statement of the config database, in one place, so the schema and the queries
// that depend on it change together. Bump kSchemaVersion with any schema change.
#pragma once

#include <cstdint>

namespace podswitch::switchd::config::internal {

// PRAGMA application_id of a Podswitch config database: "PSW1" in ASCII.
inline constexpr int64_t kApplicationId = 0x50535731;
// PRAGMA user_version: the schema this code reads and writes.
inline constexpr int64_t kSchemaVersion = 1;

// Tables a valid database must have (checked on open).
inline constexpr const char* kRequiredTables[] = {"bridge", "port", "flow", "change_log"};

// Creates schema version 1; run inside the transaction that stamps kApplicationId and
// kSchemaVersion.
// JSON columns hold a canonical JSON object (maps) or array (trunks).
inline constexpr const char kCreateSchema[] = R"sql(
CREATE TABLE bridge (
  name TEXT PRIMARY KEY,
  other_config TEXT NOT NULL
) STRICT;
CREATE TABLE port (
  name TEXT PRIMARY KEY,
  bridge TEXT NOT NULL REFERENCES bridge(name) ON DELETE CASCADE,
  type TEXT NOT NULL,
  ofport INTEGER NOT NULL CHECK (ofport >= 1),
  options TEXT NOT NULL,
  tag INTEGER CHECK (tag BETWEEN 0 AND 4095),
  trunks TEXT NOT NULL,
  vlan_mode TEXT NOT NULL,
  admin_up INTEGER NOT NULL,
  UNIQUE (bridge, ofport)
) STRICT;
CREATE TABLE flow (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bridge TEXT NOT NULL REFERENCES bridge(name) ON DELETE CASCADE,
  text TEXT NOT NULL
) STRICT;
CREATE INDEX flow_by_bridge ON flow (bridge, id);
CREATE TABLE change_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time_us INTEGER NOT NULL,
  client TEXT NOT NULL,
  summary TEXT NOT NULL,
  details TEXT NOT NULL
) STRICT;
)sql";

// Connection settings applied on every open of a valid database. synchronous=NORMAL in WAL
// mode: a commit is in the WAL file (the OS page cache) when it returns, so it survives a
// crash or kill -9 of podswitchd. Only a power loss or a kernel crash can take the newest
// commits, and never leaves a torn database (the WAL is fsync'ed before each checkpoint
// copies it into the file). FULL would fsync the WAL on every commit, and every pod's CNI
// ADD and DEL commit (its port and flows), one disk flush each on the pod start-up path.
// What a power loss can take is the last fraction of a second of changes: pods' ports and
// flows, which go with the pods anyway (the agent sets up the node again and the runtime
// re-runs ADD), or an operator's change acknowledged just before, which has to be repeated.
inline constexpr const char kConnectionPragmas[] =
    "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

// A write transaction takes the write lock at once, so it never fails half-way on a lock.
inline constexpr const char kBeginWrite[] = "BEGIN IMMEDIATE";
inline constexpr const char kBeginRead[] = "BEGIN";
inline constexpr const char kCommit[] = "COMMIT";
inline constexpr const char kRollback[] = "ROLLBACK";

inline constexpr const char kCountSchemaObjects[] = "SELECT count(*) FROM sqlite_schema";
inline constexpr const char kListTables[] =
    "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name";
inline constexpr const char kQuickCheck[] = "PRAGMA quick_check(3)";
inline constexpr const char kJournalModeWal[] = "PRAGMA journal_mode = WAL";
inline constexpr const char kApplicationIdPragma[] = "PRAGMA application_id";
inline constexpr const char kUserVersionPragma[] = "PRAGMA user_version";

inline constexpr const char kInsertBridge[] =
    "INSERT INTO bridge (name, other_config) VALUES (?, ?)";
inline constexpr const char kUpdateBridge[] = "UPDATE bridge SET other_config = ? WHERE name = ?";
inline constexpr const char kDeleteBridge[] = "DELETE FROM bridge WHERE name = ?";
inline constexpr const char kSelectBridge[] =
    "SELECT name, other_config FROM bridge WHERE name = ?";
inline constexpr const char kSelectBridges[] =
    "SELECT name, other_config FROM bridge ORDER BY name";

#define PODSWITCH_PORT_COLUMNS \
  "bridge, name, type, ofport, options, tag, trunks, vlan_mode, admin_up"
inline constexpr const char kInsertPort[] =
    "INSERT INTO port (" PODSWITCH_PORT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
inline constexpr const char kUpdatePort[] =
    "UPDATE port SET bridge = ?, name = ?, type = ?, ofport = ?, options = ?, tag = ?, "
    "trunks = ?, vlan_mode = ?, admin_up = ? WHERE name = ?";
inline constexpr const char kDeletePort[] = "DELETE FROM port WHERE name = ?";
inline constexpr const char kSelectPort[] =
    "SELECT " PODSWITCH_PORT_COLUMNS " FROM port WHERE name = ?";
inline constexpr const char kSelectPortsOfBridge[] =
    "SELECT " PODSWITCH_PORT_COLUMNS " FROM port WHERE bridge = ? ORDER BY ofport";
inline constexpr const char kSelectAllPorts[] =
    "SELECT " PODSWITCH_PORT_COLUMNS " FROM port ORDER BY bridge, ofport";
inline constexpr const char kSelectPortByOfport[] =
    "SELECT name FROM port WHERE bridge = ? AND ofport = ?";
// The smallest ofport >= 1 not used on bridge ?1: 1 if free, else the first used number
// whose successor is free.
inline constexpr const char kSmallestFreeOfport[] =
    "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM port WHERE bridge = ?1 AND ofport = 1) THEN 1 "
    "ELSE (SELECT min(p.ofport) + 1 FROM port p WHERE p.bridge = ?1 AND NOT EXISTS "
    "(SELECT 1 FROM port q WHERE q.bridge = ?1 AND q.ofport = p.ofport + 1)) END";
#undef PODSWITCH_PORT_COLUMNS

inline constexpr const char kInsertFlow[] = "INSERT INTO flow (bridge, text) VALUES (?, ?)";
inline constexpr const char kUpdateFlow[] = "UPDATE flow SET text = ? WHERE id = ?";
inline constexpr const char kDeleteFlow[] = "DELETE FROM flow WHERE id = ?";
inline constexpr const char kSelectFlow[] = "SELECT bridge, text, id FROM flow WHERE id = ?";
inline constexpr const char kSelectAllFlows[] =
    "SELECT bridge, text, id FROM flow ORDER BY bridge, id";
inline constexpr const char kSelectFlowsOfBridge[] =
    "SELECT bridge, text, id FROM flow WHERE bridge = ? ORDER BY id";

inline constexpr const char kInsertChange[] =
    "INSERT INTO change_log (time_us, client, summary, details) VALUES (?, ?, ?, ?)";
inline constexpr const char kTrimChangeLog[] =
    "DELETE FROM change_log WHERE seq <= (SELECT max(seq) FROM change_log) - ?";
inline constexpr const char kSelectChanges[] =
    "SELECT seq, time_us, client, summary, details FROM change_log WHERE seq > ? "
    "ORDER BY seq LIMIT ?";

}  // namespace podswitch::switchd::config::internal
