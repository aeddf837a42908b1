// ConfigDb and its file: refusing foreign, future and corrupt files without touching them,
// surviving a writer that dies mid-transaction, and two processes sharing one database.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "dataplane/switchd/config/config_db.h"
#include "dataplane/switchd/config/config_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::switchd::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::RawExec;
using testing::ReadBytes;
using testing::TempDir;
using testing::WriteBytes;

constexpr int kPageSize = 4096;  // SQLite's default, which ConfigDb keeps

// Creates a closed, checkpointed database holding br0 with `ports` ports.
void CreateDatabase(const std::string& path, int ports = 1) {
  absl::StatusOr<std::unique_ptr<ConfigDb>> db = ConfigDb::Open(path);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(
      (*db)
          ->Transact("test", "setup",
                     [&](ConfigTxn& txn) {
                       absl::Status status = txn.AddBridge({.name = "br0"});
                       for (int i = 0; status.ok() && i < ports; ++i) {
                         Port port{.bridge = "br0", .name = "p" + std::to_string(i), .type = "tap"};
                         port.options["description"] = std::string(200, 'x');
                         status = txn.AddPort(port).status();
                       }
                       return status;
                     })
          .ok());
}

// Opens `path`, expects a refusal whose message names the path and `problem`, and checks
// that the file's bytes did not change.
void ExpectRefused(const std::string& path, const std::string& problem) {
  std::string before = ReadBytes(path);
  absl::StatusOr<std::unique_ptr<ConfigDb>> db = ConfigDb::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition) << db.status();
  EXPECT_THAT(std::string(db.status().message()), AllOf(HasSubstr(path), HasSubstr(problem)));
  EXPECT_TRUE(ReadBytes(path) == before) << "the refused file was modified";
}

TEST(ConfigDbFileTest, RefusesATextFile) {
  TempDir dir;
  std::string path = dir.File("conf.db");
  WriteBytes(path, std::string("bridges:\n  - br0\n") + std::string(5000, '#'));
  ExpectRefused(path, "file is not a database");
}

TEST(ConfigDbFileTest, RefusesAnotherApplicationsSqliteDatabase) {
  TempDir dir;
  std::string path = dir.File("conf.db");
  RawExec(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);");
  ExpectRefused(path, "not a Podswitch config database (application_id 0x00000000");
  ExpectRefused(path, "tables: customers");
}

TEST(ConfigDbFileTest, RefusesAWrongApplicationId) {
  TempDir dir;
  std::string path = dir.File("conf.db");
  CreateDatabase(path);
  RawExec(path, "PRAGMA application_id = 1234;");
  ExpectRefused(path, "application_id 0x000004d2, expected 0x50535731");
}

TEST(ConfigDbFileTest, RefusesAPodswitchDatabaseWithoutItsTables) {
  TempDir dir;
  std::string path = dir.File("conf.db");
  CreateDatabase(path);
  RawExec(path, "DROP TABLE flow;");
  ExpectRefused(path, "without table(s) flow");
}

TEST(ConfigDbFileTest, RefusesANewerSchemaVersion) {
  TempDir dir;
  std::string path = dir.File("conf.db");
  CreateDatabase(path);
  RawExec(path, "PRAGMA user_version = 99;");
  ExpectRefused(path, "schema version 99 is newer than this podswitchd understands (1)");
}

TEST(ConfigDbFileTest, RefusesOverwrittenPages) {
  TempDir dir;
  std::string path = dir.File("conf.db");
  CreateDatabase(path, 100);
  std::string bytes = ReadBytes(path);
  ASSERT_GT(bytes.size(), 8u * kPageSize);
  for (size_t i = 2 * kPageSize; i < 6 * kPageSize; i += 7) bytes[i] = static_cast<char>(0xa5);
  WriteBytes(path, bytes);
  ExpectRefused(path, "corrupt");
}

TEST(ConfigDbFileTest, RefusesATruncatedFile) {
  TempDir dir;
  std::string path = dir.File("conf.db");
  CreateDatabase(path, 100);
  std::string bytes = ReadBytes(path);
  WriteBytes(path, bytes.substr(0, bytes.size() / 2 + 100));
  ExpectRefused(path, "corrupt");
}

TEST(ConfigDbFileTest, RefusesADirectory) {
  TempDir dir;
  std::filesystem::create_directory(dir.File("conf.db"));
  absl::StatusOr<std::unique_ptr<ConfigDb>> db = ConfigDb::Open(dir.File("conf.db"));
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(db.status().message()), HasSubstr("not a regular file"));
}

// What a reader sees of the database, to compare before and after a crash.
std::string Snapshot(ConfigDb& db) {
  absl::StatusOr<std::string> dump = db.DumpJson();
  absl::StatusOr<std::vector<ChangeLogEntry>> log = db.ChangeLog();
  if (!dump.ok() || !log.ok()) return "error";
  return *dump + " log entries: " + std::to_string(log->size());
}

// Forks a child that opens the database, starts a transaction that writes a lot, reports
// on `ready` and then dies as `die` says, never committing.
pid_t ForkDyingWriter(const std::string& path, int ready_fd, bool exit_instead_of_waiting) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  absl::StatusOr<std::unique_ptr<ConfigDb>> db = ConfigDb::Open(path);
  if (!db.ok()) _exit(10);
  (void)(*db)->Transact("child", "never committed", [&](ConfigTxn& txn) -> absl::Status {
    if (!txn.DeleteBridge("br0").ok()) _exit(11);
    for (int i = 0; i < 500; ++i) {  // more than the page cache holds: pages spill to the WAL
      std::string name = "b" + std::to_string(i);
      if (!txn.AddBridge({.name = name, .other_config = {{"pad", std::string(2000, 'y')}}}).ok()) {
        _exit(12);
      }
    }
    if (write(ready_fd, "x", 1) != 1) _exit(13);
    if (exit_instead_of_waiting) _exit(0);
    pause();  // killed by the parent
    _exit(14);
  });
  _exit(15);
}

void ExpectCrashLeavesDatabaseAsBefore(bool exit_instead_of_waiting) {
  TempDir dir;
  std::string path = dir.File("conf.db");
  absl::StatusOr<std::unique_ptr<ConfigDb>> db = ConfigDb::Open(path);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(
      (*db)
          ->Transact("test", "setup", [](ConfigTxn& txn) { return txn.AddBridge({.name = "br0"}); })
          .ok());
  std::string before = Snapshot(**db);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = ForkDyingWriter(path, fds[1], exit_instead_of_waiting);
  char byte = 0;
  ASSERT_EQ(read(fds[0], &byte, 1), 1) << "the child never got to write";
  if (!exit_instead_of_waiting) ASSERT_EQ(kill(child, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  close(fds[0]);
  close(fds[1]);
  EXPECT_EQ(Snapshot(**db), before);  // the handle that stayed open
  // The write lock died with the child: this handle can commit again.
  EXPECT_TRUE(
      (*db)
          ->Transact("test", "after", [](ConfigTxn& txn) { return txn.AddBridge({.name = "br1"}); })
          .ok());
  std::string after = Snapshot(**db);
  db->reset();
  absl::StatusOr<std::unique_ptr<ConfigDb>> reopened = ConfigDb::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(Snapshot(**reopened), after);
  EXPECT_EQ((*reopened)->ListBridges()->size(), 2u);
}

TEST(ConfigDbFileTest, WriterThatExitsMidTransactionChangesNothing) {
  ExpectCrashLeavesDatabaseAsBefore(/*exit_instead_of_waiting=*/true);
}

TEST(ConfigDbFileTest, WriterKilledMidTransactionChangesNothing) {
  ExpectCrashLeavesDatabaseAsBefore(/*exit_instead_of_waiting=*/false);
}

TEST(ConfigDbFileTest, WriterKilledBeforeAnyCommitLeavesAnOpenableDatabase) {
  TempDir dir;
  std::string path = dir.File("conf.db");
  CreateDatabase(path);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = ForkDyingWriter(path, fds[1], /*exit_instead_of_waiting=*/false);
  char byte = 0;
  ASSERT_EQ(read(fds[0], &byte, 1), 1);
  ASSERT_EQ(kill(child, SIGKILL), 0);  // nobody else had the file open: WAL needs recovery
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  close(fds[0]);
  close(fds[1]);
  absl::StatusOr<std::unique_ptr<ConfigDb>> db = ConfigDb::Open(path);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ((*db)->ListBridges()->size(), 1u);
  EXPECT_EQ((*db)->ListPorts("br0")->size(), 1u);
}

// A second process with its own handle sees the first one's commits and vice versa.
TEST(ConfigDbFileTest, TwoProcessesSeeEachOthersCommits) {
  TempDir dir;
  std::string path = dir.File("conf.db");
  absl::StatusOr<std::unique_ptr<ConfigDb>> db = ConfigDb::Open(path);
  ASSERT_TRUE(db.ok()) << db.status();
  auto add_bridge = [](ConfigDb& handle, const std::string& name) {
    return handle.Transact("test", "add-br " + name,
                           [&](ConfigTxn& txn) { return txn.AddBridge({.name = name}); });
  };
  ASSERT_TRUE(add_bridge(**db, "parent1").ok());
  int to_parent[2], to_child[2];
  ASSERT_EQ(pipe(to_parent), 0);
  ASSERT_EQ(pipe(to_child), 0);
  pid_t child = fork();
  if (child == 0) {
    absl::StatusOr<std::unique_ptr<ConfigDb>> mine = ConfigDb::Open(path);
    if (!mine.ok()) _exit(10);
    if (!(*mine)->GetBridge("parent1").ok()) _exit(11);
    if (!add_bridge(**mine, "child1").ok()) _exit(12);
    char byte = 'c';
    if (write(to_parent[1], &byte, 1) != 1 || read(to_child[0], &byte, 1) != 1) _exit(13);
    if (!(*mine)->GetBridge("parent2").ok()) _exit(14);
    absl::StatusOr<std::vector<ChangeLogEntry>> log = (*mine)->ChangeLog();
    if (!log.ok() || log->size() != 3 || log->back().summary != "add-br parent2") _exit(15);
    _exit(0);
  }
  char byte = 0;
  ASSERT_EQ(read(to_parent[0], &byte, 1), 1);
  EXPECT_TRUE((*db)->GetBridge("child1").ok());
  EXPECT_TRUE(add_bridge(**db, "parent2").ok());
  ASSERT_EQ(write(to_child[1], &byte, 1), 1);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "the child's check number that failed";
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) close(fd);
  EXPECT_EQ((*db)->ListBridges()->size(), 3u);
}

}  // namespace
}  // namespace podswitch::switchd::config
