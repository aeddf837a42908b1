// Property tests of the flow caches: for random rule sets, random packets and random rule
// and MAC-table changes in between, the cached fast path (EMC + megaflow) gives every packet
// exactly the datapath actions of an uncached walk of the pipeline, and every megaflow mask
// is sound (any key equal under the mask gets the same actions). Seeded and reproducible:
// a failure prints the seed; PODSWITCH_PROPERTY_SEED reruns one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "dataplane/core/fastpath/switch_harness.h"
#include "dataplane/core/pipeline/trace.h"

namespace podswitch::core {
namespace {

class RandomSwitch {
 public:
  explicit RandomSwitch(uint64_t seed) : rng_(seed) {}

  int Pick(int n) { return static_cast<int>(rng_() % n); }
  bool Chance(int percent) { return Pick(100) < percent; }

  std::string Ip() { return absl::StrCat("10.0.", Pick(3), ".", Pick(4)); }
  std::string Mac() { return absl::StrCat("00:00:00:00:00:0", 1 + Pick(4)); }

  // A random match; `ip` tells whether it implies IPv4 (so IP rewrites are allowed).
  std::string RandomMatch(int table, bool* ip) {
    std::string m = absl::StrCat("table=", table, ",priority=", Pick(5) * 10);
    if (Chance(30)) absl::StrAppend(&m, ",in_port=", 1 + Pick(4));
    int proto = Pick(4);
    *ip = proto == 1 || proto == 2;
    if (proto == 1) absl::StrAppend(&m, ",ip");
    if (proto == 2) absl::StrAppend(&m, ",tcp");
    if (proto == 3) absl::StrAppend(&m, ",arp");
    if (proto == 1 || proto == 2) {
      if (Chance(50)) absl::StrAppend(&m, ",nw_src=", Ip(), "/", 22 + Pick(11));
      if (Chance(40)) absl::StrAppend(&m, ",nw_dst=", Ip());
      if (Chance(20)) absl::StrAppend(&m, ",nw_ttl=", 1 + Pick(2));
    }
    if (proto == 2 && Chance(50)) absl::StrAppend(&m, ",tp_dst=", 80 + Pick(2), "/0xfffe");
    if (Chance(20)) {
      absl::StrAppend(&m, ",dl_vlan=", 10 + Pick(2));
    } else if (Chance(15)) {
      absl::StrAppend(&m, ",vlan_tci=0");
    }
    if (Chance(20)) absl::StrAppend(&m, ",reg0=", Pick(3));
    if (Chance(15)) absl::StrAppend(&m, ",dl_dst=", Mac());
    return m;
  }

  std::string RandomAction(int table, bool ip) {
    switch (Pick(12)) {
      case 0:
        return absl::StrCat("output:", 1 + Pick(4));
      case 1:
        return "NORMAL";
      case 2:
        return table < 3 ? absl::StrCat("resubmit(,", table + 1 + Pick(3 - table), ")")
                         : "controller(id=1)";
      case 3:
        return absl::StrCat("load:", Pick(3), "->NXM_NX_REG0[]");
      case 4:
        return ip ? absl::StrCat("mod_nw_dst:", Ip()) : "pop_vlan";
      case 5:
        return absl::StrCat("mod_vlan_vid:", 10 + Pick(2));
      case 6:
        return "strip_vlan";
      case 7:
        return ip ? "dec_ttl" : "output:1";
      case 8:
        return "flood";
      case 9:
        return "move:NXM_OF_IN_PORT[]->NXM_NX_REG0[]";
      case 10:
        return absl::StrCat("mod_dl_src:", Mac());
      default:
        return "in_port";
    }
  }

  std::string RandomFlow() {
    int table = Pick(4);
    bool ip = false;
    std::string match = RandomMatch(table, &ip);
    std::string actions;
    int n = Pick(4);
    for (int i = 0; i < n; ++i) absl::StrAppend(&actions, i ? "," : "", RandomAction(table, ip));
    if (table < 3 && Chance(25)) {
      absl::StrAppend(&actions, actions.empty() ? "" : ",", "goto_table:", table + 1);
    }
    return absl::StrCat(match, ",actions=", actions.empty() ? "drop" : actions);
  }

  std::vector<uint8_t> RandomFrame() {
    PacketBuilder b;
    b.Eth(Mac().c_str(), Chance(20) ? "ff:ff:ff:ff:ff:ff" : Mac().c_str());
    if (Chance(30)) b.Vlan(10 + Pick(2));
    switch (Pick(3)) {
      case 0:
        return b.Arp(1, "00:00:00:00:00:01", Ip(), "00:00:00:00:00:00", Ip()).Build();
      case 1:
        return b.Ipv4(Ip(), Ip(), {.ttl = static_cast<uint8_t>(1 + Pick(3))}).Icmp(8, 0).Build();
      default:
        return b.Ipv4(Ip(), Ip()).Tcp(1000 + Pick(3), 79 + Pick(4), kTcpSyn).Build();
    }
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

void InstallRandomFlow(RandomSwitch& r, Pipeline& pipeline, uint64_t now_ms) {
  std::string text = r.RandomFlow();
  auto spec = ParseFlow(text, FlowTextMode::kAdd);
  ASSERT_TRUE(spec.ok()) << text << ": " << spec.status();
  ASSERT_TRUE(pipeline.AddFlow(*spec, now_ms).ok()) << text;
}

void SetRandomPorts(RandomSwitch& r, Pipeline& pipeline) {
  std::vector<BridgePortInfo> ports;
  for (uint32_t p = 1; p <= 4; ++p) {
    PortVlanConfig vlan;
    if (r.Chance(40)) vlan.tag = static_cast<uint16_t>(10 + r.Pick(2));
    ports.push_back({.port_no = p, .vlan = vlan, .up = r.Chance(90)});
  }
  pipeline.SetPorts(ports);
}

uint64_t Seeds() {
  const char* env = std::getenv("PODSWITCH_PROPERTY_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 0;
}

TEST(FastPathPropertyTest, CachedFastPathAgreesWithThePipelineAcrossChanges) {
  uint64_t fixed = Seeds();
  int cases = 0;
  uint64_t cache_hits = 0;
  for (uint64_t seed = fixed ? fixed : 1; seed <= (fixed ? fixed : 40); ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed, " (rerun: PODSWITCH_PROPERTY_SEED=", seed, ")"));
    RandomSwitch r(seed);
    Pipeline pipeline;
    PacketProcessor cached(&pipeline, {.emc_slots = 64, .megaflow_entries = 64});
    PacketProcessor uncached(&pipeline, {.emc_enabled = false, .megaflow_enabled = false});
    SetRandomPorts(r, pipeline);
    uint64_t now_ms = 1;
    for (int i = 0; i < 25; ++i) InstallRandomFlow(r, pipeline, now_ms);

    for (int round = 0; round < 30; ++round) {
      std::vector<std::vector<uint8_t>> frames(1 + r.Pick(kMaxBatch));
      std::vector<std::unique_ptr<TestPacket>> packets;
      std::vector<PacketBuffer> buffers;
      std::vector<uint32_t> in_ports;
      for (auto& frame : frames) {
        frame = r.RandomFrame();
        packets.push_back(std::make_unique<TestPacket>(frame));
        buffers.push_back(packets.back()->buffer());
        in_ports.push_back(1 + r.Pick(4));
      }
      std::vector<const DpActions*> fast(frames.size()), slow(frames.size());
      cached.ProcessBatch(buffers, in_ports, now_ms, fast);
      uncached.ProcessBatch(buffers, in_ports, now_ms, slow);
      for (size_t i = 0; i < frames.size(); ++i, ++cases) {
        ASSERT_EQ(*fast[i], *slow[i])
            << "round " << round << " packet " << i << ": cached " << FormatDpActions(*fast[i])
            << " vs pipeline " << FormatDpActions(*slow[i]);
      }
      RecordingSink sink;
      cached.ExecuteBatch(buffers, fast, sink, now_ms);  // learning changes the MAC table

      // Change the world between batches: flows, ports, time (MAC aging).
      switch (r.Pick(6)) {
        case 0:
          InstallRandomFlow(r, pipeline, now_ms);
          break;
        case 1: {
          FlowFilter filter;
          filter.table = static_cast<uint8_t>(r.Pick(4));
          pipeline.DeleteFlows(filter);
          break;
        }
        case 2:
          SetRandomPorts(r, pipeline);
          break;
        case 3:
          now_ms += 301'000;
          pipeline.ExpireMacs(now_ms);
          break;
        default:
          break;
      }
      now_ms += 10;
    }
    cache_hits += cached.stats().emc_hits + cached.stats().megaflow_hits;
  }
  EXPECT_GT(cases, 1000);
  EXPECT_GT(cache_hits, static_cast<uint64_t>(cases) / 10) << "the caches were hardly used";
}

TEST(FastPathPropertyTest, MegaflowMasksAreSound) {
  uint64_t fixed = Seeds();
  for (uint64_t seed = fixed ? fixed : 100; seed <= (fixed ? fixed : 140); ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    RandomSwitch r(seed);
    Pipeline pipeline;
    SetRandomPorts(r, pipeline);
    for (int i = 0; i < 30; ++i) InstallRandomFlow(r, pipeline, 0);
    for (int n = 0; n < 50; ++n) {
      FlowKey key = ParsePacket(r.RandomFrame(), 1 + r.Pick(4));
      Translation t = pipeline.Translate(key, 0);
      for (int k = 0; k < 10; ++k) {
        // Another key that agrees with `key` on every bit the walk looked at.
        FlowKey other = ParsePacket(r.RandomFrame(), 1 + r.Pick(4));
        for (size_t w = 0; w < kFlowKeyWords; ++w) {
          uint64_t mask = FlowKeyWord(t.wildcards, w);
          SetFlowKeyWord(other, w, (FlowKeyWord(key, w) & mask) | (FlowKeyWord(other, w) & ~mask));
        }
        ASSERT_EQ(pipeline.Translate(other, 0).actions, t.actions)
            << "megaflow " << FormatMatch({MaskedKey(key, t.wildcards), t.wildcards});
      }
    }
  }
}

}  // namespace
}  // namespace podswitch::core
