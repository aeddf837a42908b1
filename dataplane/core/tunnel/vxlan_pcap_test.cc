// Golden interop: frames our encap builds, written to a classic libpcap file and decoded by
// Wireshark's dissectors (tshark), the closest thing to a Linux VTEP in a unit test.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "dataplane/core/packet/addr.h"
#include "dataplane/core/testing/packet_builder.h"
#include "dataplane/core/tunnel/vxlan.h"

namespace podswitch::core {
namespace {

constexpr char kTshark[] = "/usr/bin/tshark";

void PutLe32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void PutLe16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v));
  out.push_back(static_cast<char>(v >> 8));
}

// The classic libpcap format (little-endian, microsecond timestamps, LINKTYPE_ETHERNET).
std::string PcapFile(const std::vector<std::vector<uint8_t>>& frames) {
  std::string out;
  PutLe32(out, 0xa1b2c3d4);  // magic
  PutLe16(out, 2);           // version 2.4
  PutLe16(out, 4);
  PutLe32(out, 0);      // thiszone
  PutLe32(out, 0);      // sigfigs
  PutLe32(out, 65535);  // snaplen
  PutLe32(out, 1);      // LINKTYPE_ETHERNET
  uint32_t second = 1700000000;
  for (const auto& frame : frames) {
    PutLe32(out, second++);
    PutLe32(out, 0);
    PutLe32(out, static_cast<uint32_t>(frame.size()));  // captured
    PutLe32(out, static_cast<uint32_t>(frame.size()));  // on the wire
    out.append(frame.begin(), frame.end());
  }
  return out;
}

// A temporary directory removed at the end of the test.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string pattern = ::testing::TempDir() + "vxlan_pcap_XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

// Wireshark 4.0 prints booleans as 1/0, later versions as True/False.
bool TsharkTrue(std::string_view field) { return field == "1" || field == "True"; }

TEST(VxlanPcapTest, TsharkDecodesOurEncapsulation) {
  struct Sent {
    uint32_t vni;
    bool dont_fragment;
  };
  const std::vector<Sent> sent = {{1, true}, {42, true}, {0xabcdef, false}, {4096, true}};
  std::vector<std::vector<uint8_t>> frames;
  for (const Sent& s : sent) {
    const auto inner = PacketBuilder()
                           .Eth("0a:58:0a:00:01:05", "0a:58:0a:00:01:01")
                           .Ipv4("10.0.1.5", "10.0.2.7")
                           .Tcp(40000, 80, kTcpAck)
                           .Payload(10)
                           .Build();
    VxlanEndpoint local{.local_ip = *Ipv4FromString("192.168.1.10"),
                        .local_mac = *MacFromString("02:00:00:00:00:0a"),
                        .dont_fragment = s.dont_fragment};
    TestPacket pkt(inner);
    ASSERT_TRUE(EncapVxlan(pkt.buffer(), local,
                           {.remote_ip = *Ipv4FromString("192.168.1.20"),
                            .next_hop_mac = *MacFromString("02:00:00:00:00:14")},
                           s.vni));
    frames.push_back(pkt.Bytes());
  }
  ScopedTempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string file = dir.path() + "/vxlan.pcap";
  const std::string pcap = PcapFile(frames);
  std::ofstream(file, std::ios::binary)
      .write(pcap.data(), static_cast<std::streamsize>(pcap.size()));
  ASSERT_EQ(std::filesystem::file_size(file), 24 + frames.size() * 16 + 4 * frames[0].size());

  if (access(kTshark, X_OK) != 0) GTEST_SKIP() << kTshark << " is not installed";
  const std::string out = RunCommand(
      absl::StrCat(kTshark, " -r ", file,
                   " -T fields -e vxlan.vni -e ip.flags.df -e udp.dstport -e ip.dst 2>/dev/null"));
  const std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), sent.size()) << out;
  for (size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE(lines[i]);
    const std::vector<std::string> fields = absl::StrSplit(lines[i], '\t');
    ASSERT_EQ(fields.size(), 4u);
    EXPECT_EQ(fields[0], absl::StrCat(sent[i].vni));
    // Outer then inner IPv4 header: DF as configured outside, clear inside.
    const std::vector<std::string> df = absl::StrSplit(fields[1], ',');
    ASSERT_EQ(df.size(), 2u);
    EXPECT_EQ(TsharkTrue(df[0]), sent[i].dont_fragment);
    EXPECT_FALSE(TsharkTrue(df[1]));
    EXPECT_EQ(fields[2], "4789");
    EXPECT_EQ(fields[3], "192.168.1.20,10.0.2.7") << "the inner frame decodes too";
  }
}

}  // namespace
}  // namespace podswitch::core
