#include "agent/cluster/standalone_dir_source.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::agent::cluster {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const std::string kTestData = PODSWITCH_CLUSTER_TESTDATA;

std::string NodeYaml(const std::string& name, const std::string& cidr) {
  return "apiVersion: v1\nkind: Node\nmetadata: {name: " + name + "}\nspec: {podCIDR: " + cidr +
         "}\n";
}

// A fresh directory under the test temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = testing::TempDir() + "/cluster-test-XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code error;
    fs::remove_all(path_, error);
  }
  const std::string& path() const { return path_; }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
  }

 private:
  std::string path_;
};

// Collects store events from the watcher thread and waits for them.
class EventLog {
 public:
  explicit EventLog(ClusterStore& store) {
    store.Subscribe([this](const ClusterEvent& event) {
      absl::MutexLock lock(&mu_);
      lines_.push_back(std::string(EventTypeName(event.type)) + " " +
                       KeyOf(event.object).ToString());
      events_.push_back(event);
    });
  }
  // Waits until `count` events arrived (or 5 s) and returns them as lines.
  std::vector<std::string> WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return lines_.size() >= count; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(5));
    return lines_;
  }
  std::vector<std::string> Lines() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }
  ClusterEvent Event(size_t index) {
    absl::MutexLock lock(&mu_);
    return events_.at(index);
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    lines_.clear();
    events_.clear();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  std::vector<ClusterEvent> events_ ABSL_GUARDED_BY(mu_);
};

bool WaitUntil(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

TEST(StandaloneDirSourceTest, LoadsTheTestClusterOnStart) {
  ClusterStore store;
  StandaloneDirSource source(kTestData);
  EXPECT_FALSE(source.Synced());
  ASSERT_TRUE(source.Start(&store).ok());
  EXPECT_TRUE(source.Synced());
  EXPECT_THAT(store.ListNodes(), SizeIs(3));
  EXPECT_THAT(store.ListNamespaces(), SizeIs(3));
  EXPECT_THAT(store.ListPods(), SizeIs(9));
  EXPECT_THAT(store.PodsOnNode("node-3"), SizeIs(3));
  EXPECT_EQ(store.GetNode("node-3")->internal_ip, "10.0.0.3");
  EXPECT_THAT(source.FileErrors(), IsEmpty());
  source.Stop();
}

TEST(StandaloneDirSourceTest, MissingDirectoryFailsStart) {
  ClusterStore store;
  StandaloneDirSource source(testing::TempDir() + "/does-not-exist");
  absl::Status status = source.Start(&store);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("does-not-exist"));
  EXPECT_FALSE(source.Synced());
}

TEST(StandaloneDirSourceTest, AddModifyAndDeleteFilesBecomeEvents) {
  TempDir dir;
  ClusterStore store;
  EventLog log(store);
  StandaloneDirSource source(dir.path());
  ASSERT_TRUE(source.Start(&store).ok());

  dir.Write("nodes.yaml",
            NodeYaml("n1", "10.244.1.0/24") + "---\n" + NodeYaml("n2", "10.244.2.0/24"));
  EXPECT_THAT(log.WaitFor(2), ElementsAre("added Node n1", "added Node n2"));

  dir.Write("nodes.yaml",
            NodeYaml("n1", "10.244.7.0/24") + "---\n" + NodeYaml("n2", "10.244.2.0/24"));
  EXPECT_THAT(log.WaitFor(3), ElementsAre("added Node n1", "added Node n2", "modified Node n1"));
  EXPECT_THAT(std::get<Node>(log.Event(2).object).pod_cidrs, ElementsAre("10.244.7.0/24"));
  EXPECT_THAT(std::get<Node>(*log.Event(2).old_object).pod_cidrs, ElementsAre("10.244.1.0/24"));

  dir.Write("nodes.yaml", NodeYaml("n1", "10.244.7.0/24"));  // n2 removed from its file.
  EXPECT_THAT(log.WaitFor(4).back(), "deleted Node n2");

  dir.Write("ns.json", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}})");
  EXPECT_THAT(log.WaitFor(5).back(), "added Namespace x");

  fs::remove(dir.path() + "/nodes.yaml");
  EXPECT_THAT(log.WaitFor(6).back(), "deleted Node n1");
  EXPECT_THAT(store.ListNodes(), IsEmpty());
  EXPECT_TRUE(store.GetNamespace("x").has_value());
  source.Stop();
}

TEST(StandaloneDirSourceTest, GarbageKeepsThePreviousObjectsAndReportsTheFile) {
  TempDir dir;
  dir.Write("nodes.yaml", NodeYaml("n1", "10.244.1.0/24"));
  ClusterStore store;
  StandaloneDirSource source(dir.path());
  ASSERT_TRUE(source.Start(&store).ok());
  EventLog log(store);
  log.Clear();  // Drop the replay.

  dir.Write("nodes.yaml",
            "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nspec: {podCIDR: "
            "10.244.300.0/24}\n");
  dir.Write("junk.yaml", "}}}{{{ not yaml at all\n\t- [");
  ASSERT_TRUE(WaitUntil([&] { return source.FileErrors().size() == 2; }));
  std::map<std::string, std::string> errors = source.FileErrors();
  EXPECT_THAT(errors["nodes.yaml"],
              HasSubstr("nodes.yaml, document 1 (Node n1): spec.podCIDR \"10.244.300.0/24\" is "
                        "not a CIDR (line 4)"));
  EXPECT_THAT(errors["junk.yaml"], HasSubstr("junk.yaml: line 1"));
  EXPECT_THAT(store.GetNode("n1")->pod_cidrs, ElementsAre("10.244.1.0/24"));
  EXPECT_THAT(source.Resync().message(), HasSubstr("nodes.yaml, document 1"));

  dir.Write("nodes.yaml", NodeYaml("n1", "10.244.3.0/24"));
  EXPECT_THAT(log.WaitFor(1), ElementsAre("modified Node n1"));
  ASSERT_TRUE(WaitUntil([&] { return source.FileErrors().size() == 1; }));
  source.Stop();
}

TEST(StandaloneDirSourceTest, AtomicRenameIsSeenOnce) {
  TempDir dir;
  dir.Write("nodes.yaml", NodeYaml("n1", "10.244.1.0/24"));
  ClusterStore store;
  StandaloneDirSource source(dir.path());
  ASSERT_TRUE(source.Start(&store).ok());
  EventLog log(store);
  log.Clear();
  const uint64_t syncs_before = source.SyncCount();

  // What editors and config tools do: write a temporary file, then rename it over.
  dir.Write(".nodes.yaml.tmp", NodeYaml("n1", "10.244.2.0/24"));
  fs::rename(dir.path() + "/.nodes.yaml.tmp", dir.path() + "/nodes.yaml");
  EXPECT_THAT(log.WaitFor(1), ElementsAre("modified Node n1"));
  absl::SleepFor(absl::Milliseconds(400));  // Any second resync would have happened by now.
  EXPECT_THAT(log.Lines(), SizeIs(1));
  EXPECT_EQ(source.SyncCount(), syncs_before + 1);
  source.Stop();
}

TEST(StandaloneDirSourceTest, LaterFileWinsForAnObjectDefinedTwice) {
  TempDir dir;
  dir.Write("a.yaml", NodeYaml("n1", "10.244.1.0/24"));
  dir.Write("b.yml", NodeYaml("n1", "10.244.2.0/24"));
  dir.Write("notes.txt", "not an object file");
  ClusterStore store;
  StandaloneDirSource source(dir.path());
  ASSERT_TRUE(source.Start(&store).ok());
  EXPECT_THAT(store.GetNode("n1")->pod_cidrs, ElementsAre("10.244.2.0/24"));
  EXPECT_EQ(store.Size(), 1u);
}

TEST(StandaloneDirSourceTest, DirectoryMovedAwayKeepsStateUntilItComesBack) {
  TempDir parent;
  const std::string path = parent.path() + "/cluster";
  fs::create_directory(path);
  std::ofstream(path + "/nodes.yaml") << NodeYaml("n1", "10.244.1.0/24");
  ClusterStore store;
  StandaloneDirSource source(path);
  ASSERT_TRUE(source.Start(&store).ok());

  fs::rename(path, parent.path() + "/old");
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE(store.GetNode("n1").has_value());

  fs::create_directory(path);
  std::ofstream(path + "/nodes.yaml") << NodeYaml("n2", "10.244.2.0/24");
  EXPECT_TRUE(WaitUntil([&] { return store.GetNode("n2").has_value(); }));
  EXPECT_FALSE(store.GetNode("n1").has_value());
  source.Stop();
}

TEST(StandaloneDirSourceTest, StopIsPromptEvenWithAResyncPending) {
  TempDir dir;
  ClusterStore store;
  StandaloneDirSource source(dir.path(), StandaloneDirOptions{.debounce = absl::Seconds(30),
                                                              .max_delay = absl::Seconds(60)});
  ASSERT_TRUE(source.Start(&store).ok());
  dir.Write("nodes.yaml", NodeYaml("n1", "10.244.1.0/24"));
  absl::SleepFor(absl::Milliseconds(50));
  const absl::Time start = absl::Now();
  source.Stop();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(200));
  source.Stop();                                  // Idempotent.
  EXPECT_FALSE(store.GetNode("n1").has_value());  // The debounced resync never ran.
}

}  // namespace
}  // namespace podswitch::agent::cluster
