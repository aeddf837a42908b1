#include "agent/ipam/ipam.h"

#include <stdlib.h>

#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::agent::ipam {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Cidr MustParse(const char* text) { return *Cidr::Parse(text); }
Ipv4Address MustParseIp(const char* text) { return *Ipv4Address::Parse(text); }

class IpamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "ipam_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Ipam> MustOpen(const char* cidr) {
    absl::StatusOr<std::unique_ptr<Ipam>> ipam = Ipam::Open(dir_, MustParse(cidr));
    EXPECT_TRUE(ipam.ok()) << ipam.status();
    return ipam.ok() ? *std::move(ipam) : nullptr;
  }

  static std::string MustAllocate(Ipam& ipam, const std::string& container_id) {
    absl::StatusOr<Allocation> allocation = ipam.Allocate(container_id, "eth0", "default", "p");
    EXPECT_TRUE(allocation.ok()) << allocation.status();
    return allocation.ok() ? allocation->ip.ToString() : "";
  }

  std::string dir_;
};

TEST_F(IpamTest, HandsOutAddressesInOrderSkippingNetworkAndGateway) {
  std::unique_ptr<Ipam> ipam = MustOpen("10.244.1.0/24");
  ASSERT_NE(ipam, nullptr);
  EXPECT_EQ(ipam->gateway().ToString(), "10.244.1.1");
  EXPECT_EQ(ipam->capacity(), 253u);
  EXPECT_EQ(MustAllocate(*ipam, "c1"), "10.244.1.2");
  EXPECT_EQ(MustAllocate(*ipam, "c2"), "10.244.1.3");
  EXPECT_EQ(MustAllocate(*ipam, "c3"), "10.244.1.4");
}

TEST_F(IpamTest, AllocateIsIdempotentPerContainerAndInterface) {
  std::unique_ptr<Ipam> ipam = MustOpen("10.244.1.0/24");
  ASSERT_NE(ipam, nullptr);
  absl::StatusOr<Allocation> first = ipam->Allocate("c1", "eth0", "ns", "pod-a");
  ASSERT_TRUE(first.ok());
  absl::StatusOr<Allocation> again = ipam->Allocate("c1", "eth0", "ns", "pod-a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  absl::StatusOr<Allocation> second_if = ipam->Allocate("c1", "net1", "ns", "pod-a");
  ASSERT_TRUE(second_if.ok());
  EXPECT_NE(second_if->ip, first->ip);
  EXPECT_EQ(ipam->List().size(), 2u);

  std::optional<Allocation> got = ipam->Get("c1", "eth0");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->pod_namespace, "ns");
  EXPECT_EQ(got->pod_name, "pod-a");
  EXPECT_FALSE(ipam->Get("c1", "eth9").has_value());
  EXPECT_EQ(ipam->Allocate("", "eth0", "ns", "p").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(IpamTest, ExhaustionSaysWhichCidrIsFull) {
  std::unique_ptr<Ipam> ipam = MustOpen("10.244.1.0/29");  // .2 to .6 usable
  ASSERT_NE(ipam, nullptr);
  for (int i = 0; i < 5; ++i) MustAllocate(*ipam, absl::StrCat("c", i));
  absl::StatusOr<Allocation> full = ipam->Allocate("c-extra", "eth0", "ns", "late");
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(full.status().message(), HasSubstr("pod CIDR 10.244.1.0/29 is full"));
  EXPECT_THAT(full.status().message(), HasSubstr("all 5 pod addresses of 10.244.1.2-10.244.1.6"));
  EXPECT_THAT(full.status().message(), HasSubstr("c-extra"));
  EXPECT_THAT(full.status().message(), HasSubstr("ns/late"));
  // The broadcast address was never handed out.
  for (const Allocation& allocation : ipam->List()) {
    EXPECT_NE(allocation.ip.ToString(), "10.244.1.7");
  }
}

TEST_F(IpamTest, ReleasedAddressIsNotReusedImmediately) {
  std::unique_ptr<Ipam> ipam = MustOpen("10.244.1.0/29");
  ASSERT_NE(ipam, nullptr);
  EXPECT_EQ(MustAllocate(*ipam, "c1"), "10.244.1.2");
  EXPECT_EQ(MustAllocate(*ipam, "c2"), "10.244.1.3");
  absl::StatusOr<std::optional<Allocation>> released = ipam->Release("c1", "eth0");
  ASSERT_TRUE(released.ok());
  ASSERT_TRUE(released->has_value());
  EXPECT_EQ((*released)->ip.ToString(), "10.244.1.2");
  EXPECT_EQ(MustAllocate(*ipam, "c3"), "10.244.1.4");
  EXPECT_EQ(MustAllocate(*ipam, "c4"), "10.244.1.5");
  EXPECT_EQ(MustAllocate(*ipam, "c5"), "10.244.1.6");
  // Wraps around to the lowest free address.
  EXPECT_EQ(MustAllocate(*ipam, "c6"), "10.244.1.2");

  // Releasing what is not allocated is not an error (CNI DEL runs several times).
  absl::StatusOr<std::optional<Allocation>> nothing = ipam->Release("c1", "eth0");
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->has_value());
}

TEST_F(IpamTest, SurvivesReopen) {
  std::vector<Allocation> before;
  {
    std::unique_ptr<Ipam> ipam = MustOpen("10.244.1.0/24");
    ASSERT_NE(ipam, nullptr);
    MustAllocate(*ipam, "c1");
    MustAllocate(*ipam, "c2");
    MustAllocate(*ipam, "c3");
    ASSERT_TRUE(ipam->Release("c3", "eth0").ok());
    before = ipam->List();
  }
  std::unique_ptr<Ipam> ipam = MustOpen("10.244.1.0/24");
  ASSERT_NE(ipam, nullptr);
  EXPECT_EQ(ipam->List(), before);
  EXPECT_EQ(ipam->Get("c2", "eth0")->ip.ToString(), "10.244.1.3");
  // The round-robin cursor survives too: .4 was released but is not reused first.
  EXPECT_EQ(MustAllocate(*ipam, "c4"), "10.244.1.5");
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir_) / "ipam.db"));
}

TEST_F(IpamTest, SecondOpenOfTheSameStateFails) {
  std::unique_ptr<Ipam> ipam = MustOpen("10.244.1.0/24");
  ASSERT_NE(ipam, nullptr);
  absl::StatusOr<std::unique_ptr<Ipam>> second = Ipam::Open(dir_, MustParse("10.244.1.0/24"));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("locked by another process"));
}

TEST_F(IpamTest, ReconcileReleasesVanishedAttachments) {
  std::unique_ptr<Ipam> ipam = MustOpen("10.244.1.0/24");
  ASSERT_NE(ipam, nullptr);
  MustAllocate(*ipam, "alive");
  MustAllocate(*ipam, "gone1");
  MustAllocate(*ipam, "gone2");
  absl::StatusOr<std::vector<Allocation>> released = ipam->Reconcile(
      [](const Allocation& allocation) { return allocation.container_id == "alive"; });
  ASSERT_TRUE(released.ok()) << released.status();
  std::vector<std::string> ids;
  for (const Allocation& allocation : *released) ids.push_back(allocation.container_id);
  EXPECT_THAT(ids, ElementsAre("gone1", "gone2"));
  ASSERT_EQ(ipam->List().size(), 1u);
  EXPECT_EQ(ipam->List()[0].container_id, "alive");

  // The release is persistent.
  ipam.reset();
  ipam = MustOpen("10.244.1.0/24");
  ASSERT_NE(ipam, nullptr);
  EXPECT_EQ(ipam->List().size(), 1u);
}

TEST_F(IpamTest, ReconcileCallbackMayCallBackIn) {
  std::unique_ptr<Ipam> ipam = MustOpen("10.244.1.0/24");
  ASSERT_NE(ipam, nullptr);
  MustAllocate(*ipam, "c1");
  absl::StatusOr<std::vector<Allocation>> released =
      ipam->Reconcile([&](const Allocation& allocation) {
        // A DEL racing with the reconcile: the allocation is released under our feet.
        EXPECT_TRUE(ipam->Release(allocation.container_id, allocation.ifname).ok());
        return false;
      });
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(released->empty());
}

TEST_F(IpamTest, FiftyConcurrentAllocationsGetDistinctAddresses) {
  std::unique_ptr<Ipam> ipam = MustOpen("10.244.1.0/24");
  ASSERT_NE(ipam, nullptr);
  std::vector<std::string> ips(50);
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<Allocation> allocation =
          ipam->Allocate(absl::StrCat("container-", i), "eth0", "ns", absl::StrCat("pod-", i));
      if (allocation.ok()) ips[i] = allocation->ip.ToString();
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> distinct(ips.begin(), ips.end());
  EXPECT_EQ(distinct.size(), 50u);
  EXPECT_FALSE(distinct.contains(""));
  EXPECT_FALSE(distinct.contains("10.244.1.1"));
  EXPECT_EQ(ipam->List().size(), 50u);
}

TEST_F(IpamTest, ChangedCidrWithAllocationsOutsideIsRefused) {
  {
    std::unique_ptr<Ipam> ipam = MustOpen("10.244.1.0/24");
    ASSERT_NE(ipam, nullptr);
    MustAllocate(*ipam, "c1");
  }
  absl::StatusOr<std::unique_ptr<Ipam>> moved = Ipam::Open(dir_, MustParse("10.244.2.0/24"));
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(moved.status().message(), HasSubstr("from 10.244.1.0/24 to 10.244.2.0/24"));
  EXPECT_THAT(moved.status().message(), HasSubstr("10.244.1.2 (container c1"));

  // Growing the CIDR around the existing allocations is accepted and keeps them.
  std::unique_ptr<Ipam> grown = MustOpen("10.244.0.0/23");
  ASSERT_NE(grown, nullptr);
  EXPECT_EQ(grown->Get("c1", "eth0")->ip.ToString(), "10.244.1.2");
}

TEST_F(IpamTest, TooSmallCidrIsRejected) {
  absl::StatusOr<std::unique_ptr<Ipam>> ipam = Ipam::Open(dir_, MustParse("10.244.1.0/31"));
  EXPECT_EQ(ipam.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ipam.status().message(), HasSubstr("10.244.1.0/31 is too small"));
  // The smallest pool that works has one pod address.
  std::unique_ptr<Ipam> tiny = MustOpen("10.244.1.0/30");
  ASSERT_NE(tiny, nullptr);
  EXPECT_EQ(MustAllocate(*tiny, "c1"), "10.244.1.2");
  EXPECT_EQ(tiny->Allocate("c2", "eth0", "ns", "p").status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(IpamTest, RangeLimitsWhereNewAddressesComeFrom) {
  auto range = AddressRange{MustParseIp("10.244.1.100"), MustParseIp("10.244.1.102")};
  absl::StatusOr<std::unique_ptr<Ipam>> ipam = Ipam::Open(dir_, MustParse("10.244.1.0/24"), range);
  ASSERT_TRUE(ipam.ok()) << ipam.status();
  EXPECT_EQ((*ipam)->capacity(), 3u);
  EXPECT_EQ(MustAllocate(**ipam, "c1"), "10.244.1.100");
  EXPECT_EQ(MustAllocate(**ipam, "c2"), "10.244.1.101");
  EXPECT_EQ(MustAllocate(**ipam, "c3"), "10.244.1.102");
  absl::StatusOr<Allocation> full = (*ipam)->Allocate("c4", "eth0", "ns", "p");
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(full.status().message(), HasSubstr("10.244.1.100-10.244.1.102"));
}

TEST_F(IpamTest, RangeOutsideTheUsableAddressesIsRefused) {
  Cidr cidr = MustParse("10.244.1.0/24");
  for (auto [first, last] : {std::pair{"10.244.1.1", "10.244.1.9"},    // the gateway
                             std::pair{"10.244.1.9", "10.244.1.255"},  // broadcast
                             std::pair{"10.244.1.9", "10.244.1.8"},    // reversed
                             std::pair{"10.244.2.1", "10.244.2.9"}}) {
    absl::StatusOr<std::unique_ptr<Ipam>> ipam =
        Ipam::Open(dir_, cidr, AddressRange{MustParseIp(first), MustParseIp(last)});
    EXPECT_EQ(ipam.status().code(), absl::StatusCode::kInvalidArgument) << first << "-" << last;
    EXPECT_THAT(ipam.status().message(), HasSubstr("10.244.1.2-10.244.1.254"));
  }
}

}  // namespace
}  // namespace podswitch::agent::ipam
