#include "dataplane/core/packet/checksum.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "dataplane/core/packet/byte_order.h"

namespace podswitch::core {
namespace {

TEST(ChecksumTest, Rfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
  std::vector<uint8_t> data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ChecksumAdd(data), 0x2ddf0u);
  EXPECT_EQ(InternetChecksum(data), static_cast<uint16_t>(~0xddf2));
}

TEST(ChecksumTest, OddLengthPadsWithZero) {
  std::vector<uint8_t> odd = {0x12, 0x34, 0x56};
  std::vector<uint8_t> even = {0x12, 0x34, 0x56, 0x00};
  EXPECT_EQ(InternetChecksum(odd), InternetChecksum(even));
}

TEST(ChecksumTest, DataWithItsChecksumSumsToZero) {
  std::vector<uint8_t> data = {0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01,
                               0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02};
  WriteBe16(&data[10], InternetChecksum(data));
  EXPECT_EQ(InternetChecksum(data), 0);
}

// True when every word but the checksum (word 0) is zero: the one case in which RFC 1624's
// eqn. 3 yields 0x0000 where a sender would put 0xffff. IP and TCP/UDP headers (versions,
// protocols in the pseudo-header) never have it.
bool AllZeroButChecksum(const std::vector<uint8_t>& data) {
  return std::all_of(data.begin() + 2, data.end(), [](uint8_t b) { return b == 0; });
}

// The incremental updates must give a checksum that verifies, for any data and change.
TEST(ChecksumTest, IncrementalUpdateMatchesRecomputation) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> data(4 + 2 * (rng() % 20));
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    if (round % 10 == 0) std::fill(data.begin(), data.end() - 1, 0);  // mostly zeros
    WriteBe16(&data[0], 0);
    WriteBe16(&data[0], InternetChecksum(data));
    ASSERT_EQ(InternetChecksum(data), 0);

    size_t word = 1 + rng() % (data.size() / 2 - 1);
    uint16_t old16 = ReadBe16(&data[word * 2]);
    uint16_t new16 = round % 3 == 0 ? 0 : static_cast<uint16_t>(rng());
    WriteBe16(&data[word * 2], new16);
    WriteBe16(&data[0], ChecksumUpdate16(ReadBe16(&data[0]), old16, new16));
    if (AllZeroButChecksum(data)) continue;
    ASSERT_EQ(InternetChecksum(data), 0) << "round " << round;

    if (data.size() >= 6) {
      size_t at = 2 + 2 * (rng() % ((data.size() - 4) / 2));
      uint32_t old32 = ReadBe32(&data[at]);
      uint32_t new32 = round % 5 == 0 ? 0xffffffffu : static_cast<uint32_t>(rng());
      WriteBe32(&data[at], new32);
      WriteBe16(&data[0], ChecksumUpdate32(ReadBe16(&data[0]), old32, new32));
      if (AllZeroButChecksum(data)) continue;
      ASSERT_EQ(InternetChecksum(data), 0) << "round " << round;
    }
  }
}

TEST(ChecksumTest, PseudoHeaderSumsMatchBytes) {
  std::vector<uint8_t> v4 = {10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 40};
  EXPECT_EQ(ChecksumFinish(Ipv4PseudoHeaderSum(0x0a000001, 0x0a000002, 6, 40)),
            InternetChecksum(v4));
  Ipv6Addr src{}, dst{};
  src[0] = 0xfe;
  src[15] = 1;
  dst[0] = 0xfe;
  dst[15] = 2;
  std::vector<uint8_t> v6(src.begin(), src.end());
  v6.insert(v6.end(), dst.begin(), dst.end());
  v6.insert(v6.end(), {0, 1, 0, 2, 0, 0, 0, 58});  // length 0x10002, next header 58
  EXPECT_EQ(ChecksumFinish(Ipv6PseudoHeaderSum(src, dst, 58, 0x10002)), InternetChecksum(v6));
}

}  // namespace
}  // namespace podswitch::core
