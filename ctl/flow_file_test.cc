// Tests of flow-file reading for add-flows.
#include "ctl/flow_file.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::ctl {
namespace {

using ::testing::ElementsAre;

TEST(ParseFlowLines, SkipsCommentsAndBlankLines) {
  EXPECT_THAT(ParseFlowLines("# spoof guard\n"
                             "\n"
                             "  table=0,priority=100,icmp,actions=drop  # no ping\n"
                             "priority=0,actions=NORMAL\n"
                             "   \n"),
              ElementsAre("table=0,priority=100,icmp,actions=drop", "priority=0,actions=NORMAL"));
}

TEST(ParseFlowLines, BackslashContinuesALine) {
  EXPECT_THAT(ParseFlowLines("priority=10,ip,\\\n  actions=drop\nactions=NORMAL"),
              ElementsAre("priority=10,ip,actions=drop", "actions=NORMAL"));
}

TEST(ParseFlowLines, EmptyFileHasNoFlows) {
  EXPECT_TRUE(ParseFlowLines("").empty());
  EXPECT_TRUE(ParseFlowLines("# only a comment\n").empty());
}

TEST(ReadFlowFile, MissingFileNamesThePath) {
  auto flows = ReadFlowFile("/nonexistent/flows.txt");
  ASSERT_FALSE(flows.ok());
  EXPECT_THAT(flows.status().message(), ::testing::HasSubstr("/nonexistent/flows.txt"));
}

}  // namespace
}  // namespace podswitch::ctl
