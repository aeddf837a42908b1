#include "dataplane/switchd/switch_metrics.h"

#include "absl/strings/str_cat.h"

namespace podswitch::switchd {
namespace {

// Appends one sample line: name{labels} value.
void Sample(std::string& out, std::string_view name, const std::string& labels, uint64_t value) {
  absl::StrAppend(&out, std::string(name), labels.empty() ? "" : "{" + labels + "}", " ", value,
                  "\n");
}

void Help(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  absl::StrAppend(&out, "# HELP ", std::string(name), " ", std::string(help), "\n# TYPE ",
                  std::string(name), " ", std::string(type), "\n");
}

}  // namespace

std::string RenderSwitchMetrics(SwitchController& controller) {
  std::string out;
  auto bridges = controller.db().ListBridges();
  struct PortCounter {
    const char* name;
    uint64_t dpdk::PortStats::*field;
    const char* help;
  };
  static constexpr PortCounter kPortCounters[] = {
      {"podswitch_port_rx_packets_total", &dpdk::PortStats::rx_packets, "Packets received."},
      {"podswitch_port_rx_bytes_total", &dpdk::PortStats::rx_bytes, "Bytes received."},
      {"podswitch_port_rx_dropped_total", &dpdk::PortStats::rx_dropped, "Receive drops."},
      {"podswitch_port_tx_packets_total", &dpdk::PortStats::tx_packets, "Packets sent."},
      {"podswitch_port_tx_bytes_total", &dpdk::PortStats::tx_bytes, "Bytes sent."},
      {"podswitch_port_tx_dropped_total", &dpdk::PortStats::tx_dropped, "Transmit drops."},
  };
  std::vector<dpdk::AttachedPortStats> ports;
  if (bridges.ok()) {
    for (const config::Bridge& bridge : *bridges) {
      auto stats = controller.datapath().GetPortStats(bridge.name);
      if (stats.ok()) ports.insert(ports.end(), stats->begin(), stats->end());
    }
  }
  for (const PortCounter& counter : kPortCounters) {
    Help(out, counter.name, "counter", counter.help);
    for (const dpdk::AttachedPortStats& port : ports) {
      Sample(out, counter.name,
             absl::StrCat("bridge=\"", port.bridge, "\",port=\"", port.name, "\""),
             port.stats.*(counter.field));
    }
  }

  struct PmdCounter {
    const char* name;
    uint64_t dpdk::PmdStats::*field;
    const char* help;
  };
  static constexpr PmdCounter kPmdCounters[] = {
      {"podswitch_pmd_busy_cycles_total", &dpdk::PmdStats::busy_cycles,
       "TSC cycles spent on packets."},
      {"podswitch_pmd_idle_cycles_total", &dpdk::PmdStats::idle_cycles,
       "TSC cycles of empty polls."},
      {"podswitch_pmd_packets_total", &dpdk::PmdStats::packets, "Packets received by the PMD."},
      {"podswitch_pmd_emc_hits_total", &dpdk::PmdStats::emc_hits, "Exact-match cache hits."},
      {"podswitch_pmd_megaflow_hits_total", &dpdk::PmdStats::megaflow_hits, "Megaflow cache hits."},
      {"podswitch_pmd_misses_total", &dpdk::PmdStats::misses, "Packets that walked the tables."},
  };
  std::vector<dpdk::PmdStats> pmds = controller.datapath().GetPmdStats();
  for (const PmdCounter& counter : kPmdCounters) {
    Help(out, counter.name, "counter", counter.help);
    for (const dpdk::PmdStats& pmd : pmds) {
      Sample(out, counter.name, absl::StrCat("lcore=\"", pmd.lcore, "\""), pmd.*(counter.field));
    }
  }

  Help(out, "podswitch_flows", "gauge", "Flows installed per bridge.");
  if (bridges.ok()) {
    for (const config::Bridge& bridge : *bridges) {
      auto flows = controller.datapath().RunOnBridge(
          bridge.name, [](dpdk::BridgeContext& b) { return b.pipeline().flow_count(); });
      Sample(out, "podswitch_flows", absl::StrCat("bridge=\"", bridge.name, "\""),
             flows.ok() ? *flows : 0);
    }
  }
  return out;
}

}  // namespace podswitch::switchd
