// Fuzz target: the parser and the executor must survive any bytes a port can deliver.
// Besides memory safety (the sanitizers), it checks that rewrites keep a valid IPv4 header
// checksum valid.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dataplane/core/datapath/dp_executor.h"
#include "dataplane/core/packet/checksum.h"
#include "dataplane/core/packet/packet_parser.h"
#include "dataplane/core/packet/protocols.h"
#include "dataplane/core/testing/packet_builder.h"

namespace {

using namespace podswitch::core;

// True when `frame` has a complete IPv4 header whose checksum verifies, `if_absent` when
// it has none.
bool Ipv4HeaderValid(std::span<const uint8_t> frame, bool if_absent) {
  ParsedPacket parsed = ParsePacketHeaders(frame, 0);
  if (parsed.key.dl_type != kEthTypeIpv4 || parsed.l3_offset == kNoHeader) return if_absent;
  const uint8_t* ip = frame.data() + parsed.l3_offset;
  return InternetChecksum({ip, size_t{ip[0] & 0x0fu} * 4}) == 0;
}

// Checks every output against the input's checksum validity.
class CheckingSink : public DpSink {
 public:
  explicit CheckingSink(bool ipv4_valid) : ipv4_valid_(ipv4_valid) {}
  void Output(uint32_t, PacketBuffer& pkt, const TunnelMetadata&, bool) override {
    if (ipv4_valid_ && !Ipv4HeaderValid(pkt.bytes(), true)) std::abort();
  }
  bool Meter(uint32_t, uint32_t bytes) override { return bytes % 7 != 0; }

 private:
  bool ipv4_valid_;
};

// Valid frames of every protocol the parser knows. Inputs whose first byte is odd are laid
// over one of them (XOR), so the fuzzer reaches deep headers without guessing whole ones.
const std::vector<std::vector<uint8_t>>& Templates() {
  static const auto* templates = [] {
    const char* a = "00:00:00:00:00:01";
    const char* b = "00:00:00:00:00:02";
    auto inner = PacketBuilder().Eth(a, b).Vlan(3).Arp(1, a, "1.1.1.1", b, "2.2.2.2").Build();
    return new std::vector<std::vector<uint8_t>>{
        PacketBuilder().Eth(a, b).Vlan(1).Ipv4("1.1.1.1", "2.2.2.2").Tcp(1, 2).Payload(4).Build(),
        PacketBuilder()
            .Eth(a, b)
            .Vlan(1, 0, 0x88a8)
            .Vlan(2)
            .Ipv4("1.1.1.1", "2.2.2.2", {.options = {1, 1, 1, 1}})
            .Udp(1, 2)
            .Build(),
        PacketBuilder().Eth(a, b).Ipv4("1.1.1.1", "2.2.2.2").Icmp(8, 0).Build(),
        PacketBuilder()
            .Eth(a, b)
            .Ipv6("::1", "::2")
            .Ipv6HopByHop()
            .Ipv6Routing()
            .Ipv6Fragment(0, true)
            .Ipv6DestOpts()
            .Tcp(1, 2)
            .Build(),
        PacketBuilder().Eth(a, b).Ipv6("::1", "::2").NeighborSolicit("::3", a).Build(),
        PacketBuilder().Eth(a, b).Ipv6("::1", "::2").NeighborAdvert("::3", b).Build(),
        PacketBuilder().Eth(a, b).Ipv4("1.1.1.1", "2.2.2.2").Udp(1, 4789).Vxlan(5, inner).Build(),
    };
  }();
  return *templates;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> overlaid;
  if (size >= 2 && (data[0] & 1)) {
    overlaid = Templates()[data[1] % Templates().size()];
    size_t n = size - 2;
    for (size_t i = 0; i < n && i < overlaid.size(); ++i) overlaid[i] ^= data[2 + i];
    if (data[1] & 0x80) overlaid.resize(std::min(overlaid.size(), n));  // truncated
    data = overlaid.data();
    size = overlaid.size();
  }
  std::span<const uint8_t> input(data, size);
  ParsedPacket parsed = ParsePacketHeaders(input, 1);
  FindVxlan(parsed, input);
  if (auto vxlan = FindVxlan(input)) {
    if (vxlan->inner_offset + vxlan->inner_size > size) std::abort();
    ParsePacket(input.subspan(vxlan->inner_offset, vxlan->inner_size), 2);
  }

  // The first byte picks the rewrite values, so the fuzzer explores them too.
  uint8_t k = size > 0 ? data[0] : 0;
  const DpActions action_lists[] = {
      {{.type = DpActionType::kSetIpv4Src, .u32 = 0x0a000001u * k},
       {.type = DpActionType::kSetTpDst, .u16 = static_cast<uint16_t>(k * 257)},
       {.type = DpActionType::kOutput, .u32 = 1},
       {.type = DpActionType::kDecTtl},
       {.type = DpActionType::kPushVlan, .u16 = 10, .u32 = kEthTypeQinQ},
       {.type = DpActionType::kSetIpTos, .u16 = 0xb8},
       {.type = DpActionType::kMeter, .u32 = 1},
       {.type = DpActionType::kOutput, .u32 = 2}},
      {{.type = DpActionType::kPopVlan},
       {.type = DpActionType::kSetIpv4Dst, .u32 = 0xc0a80001u},
       {.type = DpActionType::kSetTpSrc, .u16 = 4242},
       {.type = DpActionType::kSetTtl, .u16 = 9},
       {.type = DpActionType::kPushVlan, .u16 = 20},
       {.type = DpActionType::kPushVlan, .u16 = 30},
       {.type = DpActionType::kSetVlanTci, .u16 = 0x2005},
       {.type = DpActionType::kOutput, .u32 = 3}},
  };
  bool ipv4_valid = Ipv4HeaderValid(input, false);
  for (const DpActions& actions : action_lists) {
    // Exactly `headroom + size` bytes, so the sanitizers catch any write out of bounds; four
    // bytes of headroom let the first push_vlan succeed and the second fail.
    std::vector<uint8_t> storage(4 + size);
    if (size > 0) std::memcpy(storage.data() + 4, data, size);
    PacketBuffer pkt{storage.data() + 4, static_cast<uint32_t>(size), 4};
    CheckingSink sink(ipv4_valid);
    ExecuteDpActions(pkt, actions, sink);
  }
  return 0;
}
