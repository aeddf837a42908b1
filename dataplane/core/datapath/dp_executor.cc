#include "dataplane/core/datapath/dp_executor.h"

#include <cstring>
#include <optional>

#include "dataplane/core/packet/byte_order.h"
#include "dataplane/core/packet/checksum.h"
#include "dataplane/core/packet/packet_parser.h"
#include "dataplane/core/packet/protocols.h"

namespace podswitch::core {
namespace {

// Where the headers that rewrites touch are. Found by parsing on the first rewrite that
// needs them (an output-only action list never parses), then kept current as VLAN tags
// are pushed and popped.
struct Headers {
  uint32_t l3 = kNoHeader;  // a complete IPv4 or IPv6 header
  uint32_t l4 = kNoHeader;  // a TCP or UDP header of an unfragmented or first fragment
  bool ipv4 = false;
  uint8_t l4_proto = 0;  // kIpProtoTcp or kIpProtoUdp when l4 is set
};

Headers LocateHeaders(const PacketBuffer& pkt) {
  Headers h;
  ParsedPacket parsed = ParsePacketHeaders(pkt.bytes(), 0);
  const FlowKey& key = parsed.key;
  if (parsed.l3_offset == kNoHeader) return h;
  if (key.dl_type != kEthTypeIpv4 && key.dl_type != kEthTypeIpv6) return h;  // e.g. ARP
  h.l3 = parsed.l3_offset;
  h.ipv4 = key.dl_type == kEthTypeIpv4;
  if (parsed.l4_offset != kNoHeader && !(key.nw_frag & kFragLater) &&
      (key.nw_proto == kIpProtoTcp || key.nw_proto == kIpProtoUdp)) {
    h.l4 = parsed.l4_offset;
    h.l4_proto = key.nw_proto;
  }
  return h;
}

// The state of one ExecuteDpActions call.
class Executor {
 public:
  Executor(PacketBuffer& pkt, DpSink& sink) : pkt_(pkt), sink_(sink) {}

  // Applies one action; false when the packet is dropped and execution must stop.
  bool Apply(const DpAction& a, bool last);

 private:
  Headers& headers() {
    if (!headers_) headers_ = LocateHeaders(pkt_);
    return *headers_;
  }
  uint8_t* l3() { return pkt_.data + headers().l3; }
  bool HasIp() { return headers().l3 != kNoHeader; }
  bool HasIpv4() { return HasIp() && headers().ipv4; }
  bool HasEthernet() const { return pkt_.size >= kEthHeaderLen; }
  bool HasOuterTag() const {
    if (pkt_.size < kEthHeaderLen + kVlanTagLen) return false;
    uint16_t tpid = ReadBe16(pkt_.data + 12);
    return tpid == kEthTypeVlan || tpid == kEthTypeQinQ;
  }

  void SetEthAddr(size_t offset, const MacAddr& mac);
  void SetIpv4Addr(size_t offset, uint32_t value);
  void SetPort(size_t offset, uint16_t port);
  void FixL4Checksum32(uint32_t old_value, uint32_t new_value);
  void FixL4Checksum16(uint16_t old_value, uint16_t new_value);
  void SetTos(uint8_t dscp_bits);
  void SetTtl(uint8_t ttl);
  bool DecTtl();
  bool PushVlan(uint16_t tci, uint16_t tpid);
  void PopVlan();
  void ShiftHeaders(int32_t delta);

  PacketBuffer& pkt_;
  DpSink& sink_;
  std::optional<Headers> headers_;
  TunnelMetadata tunnel_;
};

void Executor::SetEthAddr(size_t offset, const MacAddr& mac) {
  if (HasEthernet()) std::memcpy(pkt_.data + offset, mac.data(), mac.size());
}

// The L4 checksum field of the located TCP/UDP header, or nullptr when there is none
// or it is a UDP checksum of zero ("no checksum", which must stay zero).
static uint8_t* L4ChecksumField(PacketBuffer& pkt, const Headers& h) {
  if (h.l4 == kNoHeader) return nullptr;
  uint8_t* field = pkt.data + h.l4 + (h.l4_proto == kIpProtoTcp ? 16 : 6);
  if (h.l4_proto == kIpProtoUdp && ReadBe16(field) == 0) return nullptr;
  return field;
}

// A UDP checksum that computes to zero is sent as 0xffff (RFC 768).
static uint16_t L4ChecksumValue(const Headers& h, uint16_t sum) {
  return h.l4_proto == kIpProtoUdp && sum == 0 ? 0xffff : sum;
}

void Executor::FixL4Checksum32(uint32_t old_value, uint32_t new_value) {
  uint8_t* field = L4ChecksumField(pkt_, headers());
  if (!field) return;
  uint16_t sum = ChecksumUpdate32(ReadBe16(field), old_value, new_value);
  WriteBe16(field, L4ChecksumValue(headers(), sum));
}

void Executor::FixL4Checksum16(uint16_t old_value, uint16_t new_value) {
  uint8_t* field = L4ChecksumField(pkt_, headers());
  if (!field) return;
  uint16_t sum = ChecksumUpdate16(ReadBe16(field), old_value, new_value);
  WriteBe16(field, L4ChecksumValue(headers(), sum));
}

void Executor::SetIpv4Addr(size_t offset, uint32_t value) {
  if (!HasIpv4()) return;
  uint8_t* ip = l3();
  uint32_t old_value = ReadBe32(ip + offset);
  if (old_value == value) return;
  WriteBe32(ip + offset, value);
  WriteBe16(ip + 10, ChecksumUpdate32(ReadBe16(ip + 10), old_value, value));
  FixL4Checksum32(old_value, value);  // the address is in the TCP/UDP pseudo-header
}

void Executor::SetPort(size_t offset, uint16_t port) {
  if (headers().l4 == kNoHeader) return;
  uint8_t* field = pkt_.data + headers().l4 + offset;
  uint16_t old_port = ReadBe16(field);
  if (old_port == port) return;
  WriteBe16(field, port);
  FixL4Checksum16(old_port, port);
}

void Executor::SetTos(uint8_t dscp_bits) {
  if (!HasIp()) return;
  uint8_t* ip = l3();
  if (headers().ipv4) {
    uint16_t old_word = ReadBe16(ip);
    ip[1] = static_cast<uint8_t>((ip[1] & 0x03) | (dscp_bits & 0xfc));
    WriteBe16(ip + 10, ChecksumUpdate16(ReadBe16(ip + 10), old_word, ReadBe16(ip)));
  } else {  // the traffic class straddles bytes 0-1: version(4) tc(8) label(20)
    uint32_t word = ReadBe32(ip);
    uint32_t tc = (word >> 20) & 0xff;
    tc = (tc & 0x03) | (dscp_bits & 0xfcu);
    WriteBe32(ip, (word & ~(0xffu << 20)) | tc << 20);
  }
}

void Executor::SetTtl(uint8_t ttl) {
  if (!HasIp()) return;
  uint8_t* ip = l3();
  if (headers().ipv4) {
    uint16_t old_word = ReadBe16(ip + 8);  // TTL and protocol
    ip[8] = ttl;
    WriteBe16(ip + 10, ChecksumUpdate16(ReadBe16(ip + 10), old_word, ReadBe16(ip + 8)));
  } else {
    ip[7] = ttl;
  }
}

bool Executor::DecTtl() {
  if (!HasIp()) return true;  // nothing to decrement: not an IP packet
  uint8_t ttl = l3()[headers().ipv4 ? 8 : 7];
  if (ttl <= 1) return false;
  SetTtl(static_cast<uint8_t>(ttl - 1));
  return true;
}

void Executor::ShiftHeaders(int32_t delta) {
  if (!headers_) return;  // not located yet: a later parse sees the new layout
  if (headers_->l3 != kNoHeader) headers_->l3 += delta;
  if (headers_->l4 != kNoHeader) headers_->l4 += delta;
}

bool Executor::PushVlan(uint16_t tci, uint16_t tpid) {
  if (!HasEthernet()) return true;
  // A third tag would hide the IP header from a later parse: locate it while it is visible.
  if (!headers_ && HasOuterTag() && pkt_.size >= kEthHeaderLen + 2 * kVlanTagLen) {
    uint16_t inner = ReadBe16(pkt_.data + 16);
    if (inner == kEthTypeVlan || inner == kEthTypeQinQ) headers();
  }
  // Without headroom the tag cannot be added, and sending the packet untagged could leak
  // it into the wrong VLAN: drop it.
  if (!pkt_.Prepend(kVlanTagLen)) return false;
  std::memmove(pkt_.data, pkt_.data + kVlanTagLen, 12);
  WriteBe16(pkt_.data + 12, tpid == 0 ? kEthTypeVlan : tpid);
  WriteBe16(pkt_.data + 14, static_cast<uint16_t>(tci & ~kVlanPresent));
  ShiftHeaders(static_cast<int32_t>(kVlanTagLen));
  return true;
}

void Executor::PopVlan() {
  if (!HasOuterTag()) return;
  std::memmove(pkt_.data + kVlanTagLen, pkt_.data, 12);
  pkt_.TrimFront(kVlanTagLen);
  ShiftHeaders(-static_cast<int32_t>(kVlanTagLen));
}

bool Executor::Apply(const DpAction& a, bool last) {
  switch (a.type) {
    case DpActionType::kOutput:
      sink_.Output(a.u32, pkt_, tunnel_, last);
      return true;
    case DpActionType::kSetEthSrc:
      SetEthAddr(6, a.mac);
      return true;
    case DpActionType::kSetEthDst:
      SetEthAddr(0, a.mac);
      return true;
    case DpActionType::kSetIpv4Src:
      SetIpv4Addr(12, a.u32);
      return true;
    case DpActionType::kSetIpv4Dst:
      SetIpv4Addr(16, a.u32);
      return true;
    case DpActionType::kSetTpSrc:
      SetPort(0, a.u16);
      return true;
    case DpActionType::kSetTpDst:
      SetPort(2, a.u16);
      return true;
    case DpActionType::kSetIpTos:
      SetTos(static_cast<uint8_t>(a.u16));
      return true;
    case DpActionType::kSetTtl:
      SetTtl(static_cast<uint8_t>(a.u16));
      return true;
    case DpActionType::kDecTtl:
      return DecTtl();
    case DpActionType::kPushVlan:
      return PushVlan(a.u16, static_cast<uint16_t>(a.u32));
    case DpActionType::kPopVlan:
      PopVlan();
      return true;
    case DpActionType::kSetVlanTci:
      if (HasOuterTag()) WriteBe16(pkt_.data + 14, static_cast<uint16_t>(a.u16 & ~kVlanPresent));
      return true;
    case DpActionType::kSetTunnel:
      tunnel_.tun_id = a.u64;
      tunnel_.tun_dst = a.u32;
      return true;
    case DpActionType::kController:
      sink_.Punt(a.u16, a.u32, pkt_);
      return true;
    case DpActionType::kMeter:
      return sink_.Meter(a.u32, pkt_.size);
    case DpActionType::kLearn:
      sink_.Learn(a);
      return true;
  }
  return true;
}

// True for actions that never read or write the packet bytes, so an output followed only
// by them can hand its buffer to the sink.
bool LeavesPacketAlone(DpActionType type) {
  return type == DpActionType::kSetTunnel || type == DpActionType::kLearn;
}

}  // namespace

void ExecuteDpActions(PacketBuffer& pkt, std::span<const DpAction> actions, DpSink& sink) {
  size_t last_user = actions.size();  // index of the last action that uses the packet
  for (size_t i = actions.size(); i-- > 0;) {
    if (!LeavesPacketAlone(actions[i].type)) {
      last_user = i;
      break;
    }
  }
  Executor executor(pkt, sink);
  for (size_t i = 0; i < actions.size(); ++i) {
    if (!executor.Apply(actions[i], i == last_user)) return;
  }
}

}  // namespace podswitch::core
