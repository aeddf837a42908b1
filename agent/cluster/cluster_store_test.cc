#include "agent/cluster/cluster_store.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::agent::cluster {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

Node MakeNode(const std::string& name, const std::string& cidr) {
  return Node{.meta = {.name = name}, .pod_cidrs = {cidr}, .internal_ip = "10.0.0.1"};
}

Pod MakePod(const std::string& ns, const std::string& name, const std::string& node) {
  return Pod{.meta = {.name = name, .namespace_ = ns, .labels = {{"pod", name}}},
             .node_name = node};
}

// Records events as "added Node n1" strings, the easiest thing to compare.
struct Recorder {
  std::vector<std::string> lines;
  std::vector<ClusterEvent> events;
  void operator()(const ClusterEvent& event) {
    lines.push_back(std::string(EventTypeName(event.type)) + " " + KeyOf(event.object).ToString());
    events.push_back(event);
  }
};

TEST(ClusterStoreTest, ApplyAndDeleteNotifyWithTheObjects) {
  ClusterStore store;
  Recorder recorder;
  store.Subscribe([&](const ClusterEvent& event) { recorder(event); });

  store.Apply("test", MakeNode("n1", "10.244.1.0/24"));
  store.Apply("test", MakeNode("n1", "10.244.1.0/24"));  // Unchanged: no event.
  store.Apply("test", MakeNode("n1", "10.244.9.0/24"));
  store.Delete(ObjectKey{ObjectKind::kNode, "", "n1"});
  store.Delete(ObjectKey{ObjectKind::kNode, "", "n1"});  // Already gone: no event.

  EXPECT_THAT(recorder.lines, ElementsAre("added Node n1", "modified Node n1", "deleted Node n1"));
  const ClusterEvent& modified = recorder.events[1];
  EXPECT_EQ(modified.kind, ObjectKind::kNode);
  EXPECT_THAT(std::get<Node>(modified.object).pod_cidrs, ElementsAre("10.244.9.0/24"));
  ASSERT_TRUE(modified.old_object.has_value());
  EXPECT_THAT(std::get<Node>(*modified.old_object).pod_cidrs, ElementsAre("10.244.1.0/24"));
  EXPECT_THAT(std::get<Node>(recorder.events[2].object).pod_cidrs, ElementsAre("10.244.9.0/24"));
  EXPECT_EQ(store.Size(), 0u);
}

TEST(ClusterStoreTest, ReplaceDeletesOnlyWhatTheSourceNoLongerLists) {
  ClusterStore store;
  store.Apply("other", Namespace{.meta = {.name = "kept"}});
  store.Replace("dir", {MakeNode("n1", "10.244.1.0/24"), MakeNode("n2", "10.244.2.0/24"),
                        MakePod("x", "a", "n1")});
  Recorder recorder;
  store.Subscribe([&](const ClusterEvent& event) { recorder(event); });
  // Replay of the current state first, in kind order.
  EXPECT_THAT(recorder.lines, ElementsAre("added Node n1", "added Node n2", "added Namespace kept",
                                          "added Pod x/a"));
  recorder.lines.clear();

  store.Replace("dir", {MakeNode("n1", "10.244.1.0/24"), MakePod("x", "a", "n2")});
  EXPECT_THAT(recorder.lines, ElementsAre("modified Pod x/a", "deleted Node n2"));
  EXPECT_TRUE(store.GetNamespace("kept").has_value());
  EXPECT_THAT(store.ListNodes(), SizeIs(1));
}

TEST(ClusterStoreTest, FallbackShowsOnlyWhileNoSourceDefinesTheKey) {
  ClusterStore store;
  Recorder recorder;
  store.Subscribe([&](const ClusterEvent& event) { recorder(event); });
  store.SetFallback(MakeNode("local", "10.244.1.0/24"));
  store.Replace("dir", {MakeNode("local", "10.244.5.0/24")});
  EXPECT_THAT(store.GetNode("local")->pod_cidrs, ElementsAre("10.244.5.0/24"));
  store.Replace("dir", {});
  EXPECT_THAT(store.GetNode("local")->pod_cidrs, ElementsAre("10.244.1.0/24"));
  EXPECT_THAT(recorder.lines,
              ElementsAre("added Node local", "modified Node local", "modified Node local"));
}

TEST(ClusterStoreTest, Queries) {
  ClusterStore store;
  store.Replace("dir", {MakeNode("n1", "10.244.1.0/24"), Namespace{.meta = {.name = "x"}},
                        MakePod("y", "b", "n2"), MakePod("x", "b", "n1"), MakePod("x", "a", "n2"),
                        NetworkPolicy{.meta = {.name = "p", .namespace_ = "x"}},
                        ClusterNetworkPolicy{.meta = {.name = "cp"}}});
  EXPECT_EQ(store.Size(), 7u);
  EXPECT_EQ(store.GetNode("n1")->internal_ip, "10.0.0.1");
  EXPECT_FALSE(store.GetNode("n2").has_value());
  EXPECT_TRUE(store.GetNamespace("x").has_value());
  EXPECT_EQ(store.GetPod("x", "a")->node_name, "n2");
  EXPECT_FALSE(store.GetPod("z", "a").has_value());
  auto names = [](const std::vector<Pod>& pods) {
    std::vector<std::string> result;
    for (const Pod& pod : pods) result.push_back(pod.meta.namespace_ + "/" + pod.meta.name);
    return result;
  };
  EXPECT_THAT(names(store.ListPods()), ElementsAre("x/a", "x/b", "y/b"));
  EXPECT_THAT(names(store.ListPods("x")), ElementsAre("x/a", "x/b"));
  EXPECT_THAT(names(store.ListPods("w")), IsEmpty());
  EXPECT_THAT(names(store.PodsOnNode("n2")), ElementsAre("x/a", "y/b"));
  EXPECT_THAT(store.ListNetworkPolicies("x"), SizeIs(1));
  EXPECT_THAT(store.ListNetworkPolicies("y"), IsEmpty());
  EXPECT_THAT(store.ListClusterNetworkPolicies(), SizeIs(1));
  EXPECT_THAT(store.ListNamespaces(), SizeIs(1));
  EXPECT_TRUE(store.Get(ObjectKey{ObjectKind::kClusterNetworkPolicy, "", "cp"}).has_value());
}

TEST(ClusterStoreTest, ListenersMayReadTheStoreAndStopAfterUnsubscribe) {
  ClusterStore store;
  size_t seen_size = 0;
  int calls = 0;
  uint64_t id = store.Subscribe([&](const ClusterEvent&) {
    seen_size = store.Size();  // Reading from a listener must not deadlock.
    ++calls;
  });
  store.Apply("t", MakeNode("n1", "10.244.1.0/24"));
  EXPECT_EQ(seen_size, 1u);
  store.Unsubscribe(id);
  store.Apply("t", MakeNode("n2", "10.244.2.0/24"));
  EXPECT_EQ(calls, 1);
}

TEST(ClusterStoreTest, ConcurrentWritersDeliverEveryEventInOrderPerKey) {
  ClusterStore store;
  std::vector<std::string> lines;
  store.Subscribe([&](const ClusterEvent& event) {
    lines.push_back(std::string(EventTypeName(event.type)) + " " + MetaOf(event.object).name);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 100; ++i) {
        std::string name = "p" + std::to_string(t) + "-" + std::to_string(i);
        store.Apply("t", MakePod("x", name, "n1"));
        store.Delete(ObjectKey{ObjectKind::kPod, "x", name});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_THAT(lines, SizeIs(800));
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].starts_with("deleted")) {
      auto added = std::find(lines.begin(), lines.begin() + i, "added" + lines[i].substr(7));
      EXPECT_NE(added, lines.begin() + i) << lines[i] << " before its add";
    }
  }
  EXPECT_EQ(store.Size(), 0u);
}

}  // namespace
}  // namespace podswitch::agent::cluster
