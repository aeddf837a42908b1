// Transactions, validation, ofport assignment, the change log and listeners of ConfigDb.
#include "dataplane/switchd/config/config_db.h"

#include <sys/stat.h>

#include <thread>

#include "dataplane/switchd/config/config_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace podswitch::switchd::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TempDir;

Port MakePort(std::string bridge, std::string name, std::string type = "afxdp") {
  return Port{.bridge = std::move(bridge), .name = std::move(name), .type = std::move(type)};
}

class ConfigDbTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen(ConfigDbOptions options = {}) {
    db_.reset();
    absl::StatusOr<std::unique_ptr<ConfigDb>> db = ConfigDb::Open(path_, options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  // Runs one transaction and returns its status.
  absl::Status Do(absl::FunctionRef<absl::Status(ConfigTxn&)> body) {
    return db_->Transact("test", "test change", body);
  }
  absl::StatusOr<uint32_t> AddPort(Port port) {
    absl::StatusOr<uint32_t> ofport;
    absl::Status status = Do([&](ConfigTxn& txn) {
      ofport = txn.AddPort(port);
      return ofport.status();
    });
    if (!status.ok()) return status;
    return ofport;
  }
  absl::Status AddBridge(const std::string& name) {
    return Do([&](ConfigTxn& txn) { return txn.AddBridge({.name = name}); });
  }

  TempDir dir_;
  std::string path_ = dir_.File("var/lib/podswitch/conf.db");
  std::unique_ptr<ConfigDb> db_;
};

TEST_F(ConfigDbTest, CreatesPrivateDirectoryAndFile) {
  struct stat st;
  ASSERT_EQ(stat(dir_.File("var/lib/podswitch").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ConfigDbTest, ReopenRestoresEverything) {
  Port port{.bridge = "br0",
            .name = "p1",
            .type = "vhostuser",
            .options = {{"socket", "/run/p1.sock"}},
            .tag = 10,
            .trunks = {30, 20, 20},
            .vlan_mode = "native-untagged",
            .admin_up = false};
  ASSERT_TRUE(Do([&](ConfigTxn& txn) {
                absl::Status status = txn.AddBridge({.name = "br0", .other_config = {{"k", "v"}}});
                if (status.ok()) status = txn.AddPort(port).status();
                if (status.ok()) status = txn.AddPort(MakePort("br0", "p2", "tap")).status();
                if (status.ok()) status = txn.AddFlow("br0", "priority=10,actions=NORMAL").status();
                return status;
              }).ok());
  Reopen();
  absl::StatusOr<std::vector<Bridge>> bridges = db_->ListBridges();
  ASSERT_TRUE(bridges.ok()) << bridges.status();
  EXPECT_THAT(*bridges, ElementsAre(Bridge{.name = "br0", .other_config = {{"k", "v"}}}));
  port.ofport = 1;
  port.trunks = {20, 30};  // canonical: sorted, no duplicates
  Port p2 = MakePort("br0", "p2", "tap");
  p2.ofport = 2;
  EXPECT_THAT(*db_->ListPorts("br0"), ElementsAre(port, p2));
  EXPECT_EQ(*db_->GetPort("p1"), port);
  EXPECT_THAT(*db_->ListFlows("br0"),
              ElementsAre(Flow{.bridge = "br0", .text = "priority=10,actions=NORMAL", .id = 1}));
  absl::StatusOr<std::vector<ChangeLogEntry>> log = db_->ChangeLog();
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].client, "test");
  EXPECT_EQ((*log)[0].summary, "test change");
}

TEST_F(ConfigDbTest, FailingBodyRollsBackEverythingAndLogsNothing) {
  ASSERT_TRUE(AddBridge("br0").ok());
  absl::Status status = Do([](ConfigTxn& txn) {
    EXPECT_TRUE(txn.AddBridge({.name = "br1"}).ok());
    EXPECT_TRUE(txn.AddPort(MakePort("br0", "p1")).ok());
    EXPECT_TRUE(txn.AddFlow("br0", "actions=drop").ok());
    EXPECT_TRUE(txn.GetPort("p1").ok());                 // reads see the transaction's own writes
    return txn.AddPort(MakePort("br1", "p1")).status();  // duplicate name: the body fails
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_THAT(*db_->ListBridges(), ElementsAre(Bridge{.name = "br0"}));
  EXPECT_TRUE(db_->ListPorts()->empty());
  EXPECT_TRUE(db_->ListFlows()->empty());
  EXPECT_EQ(db_->ChangeLog()->size(), 1u);
  // A body's own error is returned as it is.
  status = Do([](ConfigTxn& txn) {
    EXPECT_TRUE(txn.DeleteBridge("br0").ok());
    return absl::AbortedError("changed my mind");
  });
  EXPECT_EQ(status, absl::AbortedError("changed my mind"));
  EXPECT_TRUE(db_->GetBridge("br0").ok());
}

TEST_F(ConfigDbTest, OfportIsTheSmallestFreeNumberPerBridge) {
  ASSERT_TRUE(AddBridge("br0").ok());
  ASSERT_TRUE(AddBridge("br1").ok());
  EXPECT_EQ(*AddPort(MakePort("br0", "p1")), 1u);
  EXPECT_EQ(*AddPort(MakePort("br0", "p2")), 2u);
  EXPECT_EQ(*AddPort(MakePort("br0", "p3")), 3u);
  EXPECT_EQ(*AddPort(MakePort("br1", "q1")), 1u);
  ASSERT_TRUE(Do([](ConfigTxn& txn) { return txn.DeletePort("p2"); }).ok());
  EXPECT_EQ(*AddPort(MakePort("br0", "p4")), 2u);
  Port fixed = MakePort("br0", "p10");
  fixed.ofport = 10;
  EXPECT_EQ(*AddPort(fixed), 10u);
  EXPECT_EQ(*AddPort(MakePort("br0", "p5")), 4u);
  ASSERT_TRUE(Do([](ConfigTxn& txn) { return txn.DeletePort("p1"); }).ok());
  EXPECT_EQ(*AddPort(MakePort("br0", "p6")), 1u);
  fixed.name = "p11";
  absl::StatusOr<uint32_t> taken = AddPort(fixed);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(taken.status().message()), HasSubstr("used by port p10"));
}

TEST_F(ConfigDbTest, InvalidPortsAreRefusedNamingTheField) {
  ASSERT_TRUE(AddBridge("br0").ok());
  struct Case {
    std::function<void(Port&)> edit;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](Port& p) { p.type = "ethernet"; }, "type:"},
      {[](Port& p) { p.tag = 4096; }, "tag:"},
      {[](Port& p) {
         p.trunks = {10, 4096};
       },
       "trunks:"},
      {[](Port& p) { p.vlan_mode = "hybrid"; }, "vlan_mode:"},
      {[](Port& p) { p.vlan_mode = "native-tagged"; }, "tag:"},
      {[](Port& p) { p.name = "a-very-long-name"; }, "name:"},
      {[](Port& p) { p.name = "a/b"; }, "name:"},
      {[](Port& p) { p.ofport = 0xff01; }, "ofport:"},
  };
  for (const Case& c : cases) {
    Port port = MakePort("br0", "p1");
    c.edit(port);
    absl::StatusOr<uint32_t> result = AddPort(port);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(std::string(result.status().message()), StartsWith(c.field)) << result.status();
  }
  EXPECT_EQ(AddPort(MakePort("br9", "p1")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(db_->ListPorts()->empty());
  EXPECT_EQ(db_->ChangeLog()->size(), 1u);
}

TEST_F(ConfigDbTest, ASecondPortForTheSameTunnelIsRefused) {
  ASSERT_TRUE(AddBridge("br0").ok());
  ASSERT_TRUE(AddBridge("br1").ok());
  auto tunnel = [](std::string bridge, std::string name, std::string remote, std::string key) {
    Port port = MakePort(std::move(bridge), std::move(name), "vxlan");
    port.options = {{"local_ip", "192.0.2.1"}, {"remote_ip", remote}, {"key", key}};
    return port;
  };
  ASSERT_TRUE(AddPort(tunnel("br0", "tun0", "flow", "flow")).ok());
  ASSERT_TRUE(AddPort(tunnel("br0", "vx1", "192.0.2.2", "100")).ok());
  ASSERT_TRUE(AddPort(tunnel("br1", "vx2", "192.0.2.2", "200")).ok()) << "another key";
  ASSERT_TRUE(AddPort(tunnel("br1", "vx3", "192.0.2.3", "100")).ok()) << "another remote";
  absl::StatusOr<uint32_t> again = AddPort(tunnel("br1", "vx4", "192.0.2.2", "100"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("port vx1 on bridge br0"));
  EXPECT_EQ(AddPort(tunnel("br1", "tun1", "flow", "flow")).status().code(),
            absl::StatusCode::kAlreadyExists);
  // Another UDP port is another tunnel; a port may keep its own tunnel when updated.
  Port other_port = tunnel("br1", "vx5", "192.0.2.2", "100");
  other_port.options["dst_port"] = "4790";
  EXPECT_TRUE(AddPort(other_port).ok());
  EXPECT_TRUE(
      Do([](ConfigTxn& txn) { return txn.UpdatePort("vx1", [](Port& p) { p.tag = 5; }); }).ok());
  EXPECT_EQ(Do([](ConfigTxn& txn) {
              return txn.UpdatePort("vx2", [](Port& p) { p.options["key"] = "100"; });
            }).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(ConfigDbTest, UpdatePortValidatesAndRecordsOldAndNew) {
  ASSERT_TRUE(AddBridge("br0").ok());
  ASSERT_TRUE(AddPort(MakePort("br0", "p1")).ok());
  absl::Status bad =
      Do([](ConfigTxn& txn) { return txn.UpdatePort("p1", [](Port& p) { p.tag = 5000; }); });
  EXPECT_THAT(std::string(bad.message()), StartsWith("tag:"));
  EXPECT_EQ(Do([](ConfigTxn& txn) {
              return txn.UpdatePort("p1", [](Port& p) { p.bridge = "br1"; });
            }).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(Do([](ConfigTxn& txn) {
                return txn.UpdatePort("p1", [](Port& p) {
                  p.tag = 20;
                  p.options["rx-queues"] = "2";
                });
              }).ok());
  Port port = *db_->GetPort("p1");
  EXPECT_EQ(port.tag, 20);
  EXPECT_EQ(port.ofport, 1u);
  EXPECT_EQ(port.options.at("rx-queues"), "2");
  nlohmann::json details = nlohmann::json::parse(db_->ChangeLog()->back().details_json);
  EXPECT_EQ(details[0]["op"], "set-port");
  EXPECT_EQ(details[0]["old"]["tag"], nullptr);
  EXPECT_EQ(details[0]["new"]["tag"], 20);
}

TEST_F(ConfigDbTest, DeleteBridgeTakesItsPortsAndFlows) {
  ASSERT_TRUE(AddBridge("br0").ok());
  ASSERT_TRUE(AddBridge("br1").ok());
  ASSERT_TRUE(AddPort(MakePort("br0", "p1")).ok());
  ASSERT_TRUE(AddPort(MakePort("br1", "q1")).ok());
  ASSERT_TRUE(Do([](ConfigTxn& txn) { return txn.AddFlow("br0", "actions=drop").status(); }).ok());
  ASSERT_TRUE(Do([](ConfigTxn& txn) { return txn.DeleteBridge("br0"); }).ok());
  EXPECT_EQ(db_->GetBridge("br0").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(db_->GetPort("p1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(db_->ListFlows()->empty());
  EXPECT_EQ(db_->ListPorts()->size(), 1u);
  EXPECT_EQ(Do([](ConfigTxn& txn) { return txn.DeleteBridge("br0"); }).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(AddBridge("br1").code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(ConfigDbTest, FlowRowsChangeOneByOneAndKeepTheirIds) {
  ASSERT_TRUE(AddBridge("br0").ok());
  ASSERT_TRUE(Do([](ConfigTxn& txn) {
                for (const char* text : {"a", "b", "c"}) {
                  if (absl::Status s = txn.AddFlow("br0", text).status(); !s.ok()) return s;
                }
                return absl::OkStatus();
              }).ok());
  ASSERT_TRUE(Do([](ConfigTxn& txn) { return txn.UpdateFlow(2, "b2"); }).ok());
  EXPECT_THAT(*db_->ListFlows("br0"),
              ElementsAre(Flow{"br0", "a", 1}, Flow{"br0", "b2", 2}, Flow{"br0", "c", 3}));
  nlohmann::json details = nlohmann::json::parse(db_->ChangeLog()->back().details_json);
  ASSERT_EQ(details.size(), 1u);
  EXPECT_EQ(details[0]["op"], "set-flow");
  EXPECT_EQ(details[0]["old"]["text"], "b");
  EXPECT_EQ(details[0]["new"]["text"], "b2");
  EXPECT_EQ(details[0]["new"]["id"], 2);

  size_t entries = db_->ChangeLog()->size();
  ASSERT_TRUE(Do([](ConfigTxn& txn) { return txn.UpdateFlow(2, "b2"); }).ok());
  EXPECT_EQ(db_->ChangeLog()->size(), entries);  // nothing changed, nothing logged
  EXPECT_EQ(Do([](ConfigTxn& txn) { return txn.UpdateFlow(9, "x"); }).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Do([](ConfigTxn& txn) { return txn.UpdateFlow(1, ""); }).code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(Do([](ConfigTxn& txn) { return txn.DeleteFlow(3); }).ok());
  ASSERT_TRUE(Do([](ConfigTxn& txn) { return txn.AddFlow("br0", "e").status(); }).ok());
  EXPECT_EQ(db_->ListFlows("br0")->back().id, 4u);  // ids are never reused
  EXPECT_EQ(Do([](ConfigTxn& txn) { return txn.DeleteFlow(3); }).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ConfigDbTest, ChangeLogIsOrderedAndTrimmedAtItsBound) {
  Reopen({.change_log_limit = 5});
  for (int i = 0; i < 8; ++i) {
    std::string name = "br" + std::to_string(i);
    ASSERT_TRUE(db_->Transact("ctl", "add-br " + name,
                              [&](ConfigTxn& txn) { return txn.AddBridge({.name = name}); })
                    .ok());
  }
  absl::StatusOr<std::vector<ChangeLogEntry>> log = db_->ChangeLog();
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ((*log)[i].seq, i + 4);
    EXPECT_EQ((*log)[i].summary, "add-br br" + std::to_string(i + 3));
    EXPECT_EQ((*log)[i].client, "ctl");
    EXPECT_LE(absl::Now() - (*log)[i].time, absl::Minutes(1));
    nlohmann::json details = nlohmann::json::parse((*log)[i].details_json);
    EXPECT_EQ(details[0]["op"], "add-br");
  }
  EXPECT_EQ(db_->ChangeLog(6)->size(), 2u);
  EXPECT_EQ(db_->ChangeLog(0, 2)->back().seq, 5);
}

TEST_F(ConfigDbTest, ListenersSeeEachCommitOnceInOrder) {
  std::vector<int64_t> seen;
  absl::Mutex mu;
  uint64_t id = db_->Subscribe([&](const ChangeLogEntry& entry) {
    EXPECT_TRUE(db_->ListBridges().ok());  // listeners may read
    absl::MutexLock lock(&mu);
    seen.push_back(entry.seq);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::string name = "br-t" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(AddBridge(name).ok());
        EXPECT_FALSE(AddBridge(name).ok());  // failures notify nobody
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  db_->Unsubscribe(id);
  ASSERT_TRUE(AddBridge("after").ok());
  absl::MutexLock lock(&mu);
  ASSERT_EQ(seen.size(), 40u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<int64_t>(i + 1));
}

TEST_F(ConfigDbTest, DumpJsonHoldsTheWholeConfig) {
  ASSERT_TRUE(AddBridge("br0").ok());
  ASSERT_TRUE(AddPort(MakePort("br0", "p1")).ok());
  ASSERT_TRUE(
      Do([](ConfigTxn& txn) { return txn.AddFlow("br0", "actions=NORMAL").status(); }).ok());
  absl::StatusOr<std::string> dump = db_->DumpJson();
  ASSERT_TRUE(dump.ok()) << dump.status();
  nlohmann::json json = nlohmann::json::parse(*dump);
  EXPECT_EQ(json["bridges"][0]["name"], "br0");
  EXPECT_EQ(json["bridges"][0]["ports"][0]["name"], "p1");
  EXPECT_EQ(json["bridges"][0]["ports"][0]["ofport"], 1);
  EXPECT_EQ(json["bridges"][0]["flows"][0]["text"], "actions=NORMAL");
}

}  // namespace
}  // namespace podswitch::switchd::config
