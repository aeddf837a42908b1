// FlowRows and FlowRowChanges: a flow operation writes exactly the rows of the flows it adds,
// replaces or removes, keeps the row id of a replaced flow, and leaves the others untouched.
#include "dataplane/switchd/flow_rows.h"

#include "dataplane/core/flow/flow_syntax.h"
#include "dataplane/switchd/config/config_db.h"
#include "dataplane/switchd/config/config_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace podswitch::switchd {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

core::FlowSpec Spec(const std::string& text) {
  absl::StatusOr<core::FlowSpec> spec = core::ParseFlow(text, core::FlowTextMode::kAdd);
  EXPECT_TRUE(spec.ok()) << text << ": " << spec.status();
  return spec.ok() ? *spec : core::FlowSpec{};
}

class FlowRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = config::ConfigDb::Open(dir_.File("conf.db"));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db_->Transact("test", "add-br br0",
                              [](config::ConfigTxn& txn) { return txn.AddBridge({.name = "br0"}); })
                    .ok());
  }

  // Runs one operation: `plan` says what changes, then it is committed and applied.
  absl::Status Commit(absl::FunctionRef<void(FlowRowChanges&)> plan) {
    FlowRowChanges changes(rows_, "br0");
    plan(changes);
    absl::Status status =
        db_->Transact("test", "flows", [&](config::ConfigTxn& txn) { return changes.Write(txn); });
    if (status.ok()) changes.Apply(rows_);
    return status;
  }
  std::vector<std::string> Texts() {
    std::vector<std::string> texts;
    absl::StatusOr<std::vector<config::Flow>> flows = db_->ListFlows("br0");
    EXPECT_TRUE(flows.ok()) << flows.status();
    for (const config::Flow& flow : flows.value_or(std::vector<config::Flow>{})) {
      texts.push_back(flow.text);
    }
    return texts;
  }

  config::testing::TempDir dir_;
  std::unique_ptr<config::ConfigDb> db_;
  FlowRows rows_;
};

TEST(FlowIdentityTest, IsTableAndPriorityAndNormalizedMatch) {
  FlowIdentity a = FlowIdentity::Of(Spec("table=1,priority=5,ip,nw_src=10.0.0.1,actions=drop"));
  FlowIdentity same =
      FlowIdentity::Of(Spec("table=1,priority=5,nw_src=10.0.0.1,ip,actions=NORMAL"));
  EXPECT_EQ(a, same);  // actions and field order are not part of it
  EXPECT_EQ(absl::HashOf(a), absl::HashOf(same));
  EXPECT_NE(a, FlowIdentity::Of(Spec("table=1,priority=6,ip,nw_src=10.0.0.1,actions=drop")));
  EXPECT_NE(a, FlowIdentity::Of(Spec("table=2,priority=5,ip,nw_src=10.0.0.1,actions=drop")));
  EXPECT_NE(a, FlowIdentity::Of(Spec("table=1,priority=5,ip,nw_src=10.0.0.2,actions=drop")));
}

TEST_F(FlowRowsTest, AddReplaceAndDeleteTouchOnlyTheirRows) {
  core::FlowSpec drop = Spec("priority=10,ip,actions=drop");
  core::FlowSpec arp = Spec("priority=10,arp,actions=NORMAL");
  ASSERT_TRUE(Commit([&](FlowRowChanges& c) {
                c.Set(FlowIdentity::Of(drop), "priority=10,ip,actions=drop");
                c.Set(FlowIdentity::Of(arp), "priority=10,arp,actions=NORMAL");
              }).ok());
  EXPECT_THAT(rows_.Find("br0", FlowIdentity::Of(drop)), Optional(1u));
  EXPECT_THAT(rows_.Find("br0", FlowIdentity::Of(arp)), Optional(2u));

  // add-flow over the same table, priority and match: the row keeps its id, the text changes.
  ASSERT_TRUE(Commit([&](FlowRowChanges& c) {
                c.Set(FlowIdentity::Of(drop), "priority=10,ip,actions=NORMAL");
              }).ok());
  EXPECT_THAT(*db_->ListFlows("br0"),
              ElementsAre(config::Flow{"br0", "priority=10,ip,actions=NORMAL", 1},
                          config::Flow{"br0", "priority=10,arp,actions=NORMAL", 2}));
  nlohmann::json details = nlohmann::json::parse(db_->ChangeLog()->back().details_json);
  ASSERT_EQ(details.size(), 1u);
  EXPECT_EQ(details[0]["op"], "set-flow");

  ASSERT_TRUE(Commit([&](FlowRowChanges& c) { c.Set(FlowIdentity::Of(arp), std::nullopt); }).ok());
  EXPECT_THAT(Texts(), ElementsAre("priority=10,ip,actions=NORMAL"));
  EXPECT_EQ(rows_.Find("br0", FlowIdentity::Of(arp)), std::nullopt);
}

TEST_F(FlowRowsTest, LaterChangeOfOneFlowInABatchWins) {
  core::FlowSpec flow = Spec("priority=10,ip,actions=drop");
  ASSERT_TRUE(Commit([&](FlowRowChanges& c) {
                c.Set(FlowIdentity::Of(flow), "first");
                c.Set(FlowIdentity::Of(flow), "second");
              }).ok());
  EXPECT_THAT(Texts(), ElementsAre("second"));
  // A flow with timeouts replacing a stored one: its row goes.
  ASSERT_TRUE(Commit([&](FlowRowChanges& c) {
                c.Set(FlowIdentity::Of(flow), "third");
                c.Set(FlowIdentity::Of(flow), std::nullopt);
              }).ok());
  EXPECT_TRUE(Texts().empty());
  EXPECT_EQ(rows_.Find("br0", FlowIdentity::Of(flow)), std::nullopt);
}

TEST_F(FlowRowsTest, FailedTransactionLeavesRowsAsTheyWere) {
  core::FlowSpec flow = Spec("priority=10,ip,actions=drop");
  ASSERT_TRUE(Commit([&](FlowRowChanges& c) { c.Set(FlowIdentity::Of(flow), "kept"); }).ok());
  core::FlowSpec other = Spec("priority=20,ip,actions=drop");
  // The empty text is refused by the database after the first change was written.
  EXPECT_FALSE(Commit([&](FlowRowChanges& c) {
                 c.Set(FlowIdentity::Of(other), "new");
                 c.Set(FlowIdentity::Of(flow), "");
               }).ok());
  EXPECT_THAT(Texts(), ElementsAre("kept"));
  EXPECT_EQ(rows_.Find("br0", FlowIdentity::Of(other)), std::nullopt);
  EXPECT_THAT(rows_.Find("br0", FlowIdentity::Of(flow)), Optional(1u));
}

TEST(FlowRowsIndexTest, SetReturnsTheReplacedRowAndBridgesAreSeparate) {
  FlowRows rows;
  FlowIdentity id = FlowIdentity::Of(Spec("priority=1,actions=drop"));
  EXPECT_EQ(rows.Set("br0", id, 1), std::nullopt);
  EXPECT_THAT(rows.Set("br0", id, 4), Optional(1u));
  EXPECT_EQ(rows.Set("br1", id, 7), std::nullopt);
  rows.ForgetBridge("br0");
  EXPECT_EQ(rows.Find("br0", id), std::nullopt);
  EXPECT_THAT(rows.Find("br1", id), Optional(7u));
}

}  // namespace
}  // namespace podswitch::switchd
