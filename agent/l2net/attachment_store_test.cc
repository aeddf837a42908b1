#include "agent/l2net/attachment_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace podswitch::agent::l2net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AttachmentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "l2_store_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<AttachmentStore> MustOpen() {
    auto store = AttachmentStore::Open(dir_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  std::string dir_;
};

L2Attachment Attachment(std::string container, std::string network, std::optional<uint32_t> vni) {
  return {.container_id = std::move(container),
          .ifname = "net1",
          .network = std::move(network),
          .bridge = "br-data",
          .vni = vni,
          .subnet = vni ? "10.232.0.0/24" : "",
          .range_start = vni ? "10.232.0.10" : "",
          .range_end = vni ? "10.232.0.19" : "",
          .pod_namespace = "ns",
          .pod_name = "p"};
}

TEST_F(AttachmentStoreTest, SurvivesReopenAndForgetsWhatWasRemoved) {
  {
    std::unique_ptr<AttachmentStore> store = MustOpen();
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(store->List().empty());
    ASSERT_TRUE(store->Put(Attachment("c2", "vx", 100)).ok());
    ASSERT_TRUE(store->Put(Attachment("c1", "vx", 100)).ok());
    ASSERT_TRUE(store->Put(Attachment("c3", "vlan", std::nullopt)).ok());
    auto removed = store->Remove("c2", "net1");
    ASSERT_TRUE(removed.ok());
    EXPECT_EQ(removed->value().container_id, "c2");
    auto again = store->Remove("c2", "net1");
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->has_value());
  }
  std::unique_ptr<AttachmentStore> reopened = MustOpen();
  ASSERT_NE(reopened, nullptr);
  EXPECT_THAT(reopened->List(),
              ElementsAre(Attachment("c3", "vlan", std::nullopt), Attachment("c1", "vx", 100)));
  EXPECT_EQ(reopened->Get("c1", "net1"), Attachment("c1", "vx", 100));
  EXPECT_FALSE(reopened->Get("c1", "net2").has_value());
}

TEST_F(AttachmentStoreTest, SameKeyOnAnotherNetworkReplacesTheRecord) {
  std::unique_ptr<AttachmentStore> store = MustOpen();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(Attachment("c1", "a", 1)).ok());
  ASSERT_TRUE(store->Put(Attachment("c1", "b", 2)).ok());
  EXPECT_THAT(store->List(), ElementsAre(Attachment("c1", "b", 2)));
}

TEST_F(AttachmentStoreTest, GarbageFileIsDataLossNamingTheFile) {
  std::ofstream(std::filesystem::path(dir_) / "l2-attachments.json") << "{\"attachments\": [1]}";
  auto store = AttachmentStore::Open(dir_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("l2-attachments.json"));
  std::ofstream(std::filesystem::path(dir_) / "l2-attachments.json") << "not json";
  EXPECT_EQ(AttachmentStore::Open(dir_).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace podswitch::agent::l2net
