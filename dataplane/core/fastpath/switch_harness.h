// SwitchHarness (tests only): a bridge's pipeline and fast path with a sink that records
// what leaves which port, so a test reads like an operator's session: add flows, send a
// frame, look at what came out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/core/fastpath/packet_processor.h"
#include "dataplane/core/flow/flow_syntax.h"
#include "dataplane/core/packet/packet_parser.h"
#include "dataplane/core/testing/packet_builder.h"
#include "gtest/gtest.h"

namespace podswitch::core {

// One frame that left the switch.
struct SentFrame {
  uint32_t port;
  std::vector<uint8_t> bytes;
  TunnelMetadata tunnel{};
  FlowKey key() const { return ParsePacket(bytes, port); }
};

class RecordingSink : public DpSink {
 public:
  void Output(uint32_t port, PacketBuffer& pkt, const TunnelMetadata& tunnel, bool) override {
    sent.push_back({port, {pkt.data, pkt.data + pkt.size}, tunnel});
  }
  void Punt(uint16_t, uint32_t id, const PacketBuffer&) override { punted.push_back(id); }
  std::vector<SentFrame> sent;
  std::vector<uint32_t> punted;
};

class SwitchHarness {
 public:
  explicit SwitchHarness(FastPathOptions options = {}) : processor_(&pipeline_, options) {}

  Pipeline& pipeline() { return pipeline_; }
  PacketProcessor& processor() { return processor_; }
  uint64_t now_ms = 1000;

  // add-flow with ovs-ofctl syntax; fails the test on a parse or install error.
  void AddFlow(std::string_view text) {
    auto spec = ParseFlow(text, FlowTextMode::kAdd);
    ASSERT_TRUE(spec.ok()) << spec.status();
    absl::Status status = pipeline_.AddFlow(*spec, now_ms);
    ASSERT_TRUE(status.ok()) << status;
  }

  // Access ports (tag) or trunks, as add-port would set them.
  void AddPort(uint32_t port_no, PortVlanConfig vlan = {}) {
    ports_.push_back({.port_no = port_no, .vlan = std::move(vlan)});
    pipeline_.SetPorts(ports_);
  }

  // Sends one frame in on `in_port` through the fast path; returns what came out.
  std::vector<SentFrame> Send(uint32_t in_port, const std::vector<uint8_t>& frame) {
    return SendFromTunnel(in_port, frame, {});
  }

  // Send for a frame a tunnel port decapsulated, with its tunnel metadata (empty: none).
  std::vector<SentFrame> SendFromTunnel(uint32_t in_port, const std::vector<uint8_t>& frame,
                                        std::span<const TunnelIngress> tunnel) {
    TestPacket packet(frame);
    PacketBuffer buffers[1] = {packet.buffer()};
    uint32_t in_ports[1] = {in_port};
    const DpActions* actions[1];
    processor_.ProcessBatch(buffers, in_ports, now_ms, actions, tunnel);
    RecordingSink sink;
    processor_.ExecuteBatch(buffers, actions, sink, now_ms);
    punted.insert(punted.end(), sink.punted.begin(), sink.punted.end());
    return sink.sent;
  }

  // The ports a frame came out of, in order.
  static std::vector<uint32_t> Ports(const std::vector<SentFrame>& sent) {
    std::vector<uint32_t> ports;
    for (const SentFrame& frame : sent) ports.push_back(frame.port);
    return ports;
  }

  std::vector<uint32_t> punted;

 private:
  Pipeline pipeline_;
  PacketProcessor processor_;
  std::vector<BridgePortInfo> ports_;
};

}  // namespace podswitch::core
