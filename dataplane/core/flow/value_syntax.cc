// Text forms of field values: numbers, ports, MACs, IPv4/IPv6 with prefixes or masks, and
// the named values of tcp_flags, ct_state, nw_frag and pkt_err.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dataplane/core/flow/syntax_internal.h"
#include "dataplane/core/packet/addr.h"

namespace podswitch::core::flow_internal {
namespace {

struct NamedValue {
  std::string_view name;
  uint32_t value;
};

constexpr NamedValue kReservedPorts[] = {
    {"IN_PORT", kPortInPort}, {"NORMAL", kPortNormal},         {"FLOOD", kPortFlood},
    {"ALL", kPortAll},        {"CONTROLLER", kPortController}, {"LOCAL", kPortLocal},
    {"NONE", kPortNone},
};

constexpr NamedValue kTcpFlagNames[] = {
    {"fin", kTcpFin}, {"syn", kTcpSyn}, {"rst", kTcpRst}, {"psh", kTcpPsh}, {"ack", kTcpAck},
    {"urg", kTcpUrg}, {"ece", kTcpEce}, {"cwr", kTcpCwr}, {"ns", 0x100},
};

constexpr NamedValue kCtStateNames[] = {
    {"new", kCtNew},   {"est", kCtEstablished}, {"rel", kCtRelated},
    {"rpl", kCtReply}, {"inv", kCtInvalid},     {"trk", kCtTracked},
};

// nw_frag keywords as value/mask pairs (ovs-fields(7)).
struct FragName {
  std::string_view name;
  uint8_t value, mask;
};
constexpr FragName kFragNames[] = {
    {"no", 0, kFragAny},
    {"yes", kFragAny, kFragAny},
    {"first", kFragAny, kFragAny | kFragLater},
    {"later", kFragAny | kFragLater, kFragAny | kFragLater},
    {"not_later", 0, kFragLater},
};

constexpr std::string_view kPktErrNames[] = {"none", "truncated", "malformed"};

std::optional<uint8_t> DigitValue(char c, unsigned base) {
  unsigned d;
  if (c >= '0' && c <= '9') {
    d = static_cast<unsigned>(c - '0');
  } else if (c >= 'a' && c <= 'f') {
    d = static_cast<unsigned>(c - 'a' + 10);
  } else if (c >= 'A' && c <= 'F') {
    d = static_cast<unsigned>(c - 'A' + 10);
  } else {
    return std::nullopt;
  }
  if (d >= base) return std::nullopt;
  return static_cast<uint8_t>(d);
}

// +name-name... over a flag table; both the value and the mask of the named bits.
absl::StatusOr<MaskedBits> ParseFlags(std::string_view text, std::span<const NamedValue> names) {
  MaskedBits out;
  size_t i = 0;
  while (i < text.size()) {
    char sign = text[i];
    if (sign != '+' && sign != '-') return absl::InvalidArgumentError("expected +flag or -flag");
    size_t end = text.find_first_of("+-", i + 1);
    if (end == std::string_view::npos) end = text.size();
    std::string_view name = text.substr(i + 1, end - i - 1);
    const NamedValue* flag = nullptr;
    for (const NamedValue& n : names) {
      if (EqualsIgnoreCase(n.name, name)) flag = &n;
    }
    if (flag == nullptr) return absl::InvalidArgumentError(Cat("unknown flag ", name));
    if (out.mask & flag->value) {
      return absl::InvalidArgumentError(Cat("flag ", name, " given twice"));
    }
    out.mask |= flag->value;
    if (sign == '+') out.value |= flag->value;
    i = end;
  }
  if (out.mask == 0) return absl::InvalidArgumentError("expected +flag or -flag");
  return out;
}

std::string FormatFlags(FieldBits value, FieldBits mask, std::span<const NamedValue> names) {
  std::string out;
  for (const NamedValue& n : names) {
    if (mask & n.value) out += Cat((value & n.value) ? "+" : "-", n.name);
  }
  return out;
}

uint32_t FlagBits(std::span<const NamedValue> names) {
  uint32_t bits = 0;
  for (const NamedValue& n : names) bits |= n.value;
  return bits;
}

// The prefix length when `mask` is `n` ones followed by zeros over `width` bits.
std::optional<unsigned> PrefixLength(FieldBits mask, unsigned width) {
  for (unsigned n = 0; n <= width; ++n) {
    if (mask == PrefixMask(n, width)) return n;
  }
  return std::nullopt;
}

FieldBits FromMac(const MacAddr& mac) {
  FieldBits v = 0;
  for (uint8_t b : mac) v = v << 8 | b;
  return v;
}
FieldBits FromIpv6(const Ipv6Addr& addr) {
  FieldBits v = 0;
  for (uint8_t b : addr) v = v << 8 | b;
  return v;
}
MacAddr ToMac(FieldBits v) {
  MacAddr mac;
  for (size_t i = mac.size(); i-- > 0; v >>= 8) mac[i] = static_cast<uint8_t>(v);
  return mac;
}
Ipv6Addr ToIpv6(FieldBits v) {
  Ipv6Addr addr;
  for (size_t i = addr.size(); i-- > 0; v >>= 8) addr[i] = static_cast<uint8_t>(v);
  return addr;
}

// One address (no mask) in an address format.
std::optional<FieldBits> ParseAddress(FieldFormat format, std::string_view text) {
  if (format == FieldFormat::kMac) {
    auto mac = MacFromString(text);
    return mac ? std::optional<FieldBits>(FromMac(*mac)) : std::nullopt;
  }
  if (format == FieldFormat::kIpv4) {
    auto ip = Ipv4FromString(text);
    return ip ? std::optional<FieldBits>(*ip) : std::nullopt;
  }
  auto ip = Ipv6FromString(text);
  return ip ? std::optional<FieldBits>(FromIpv6(*ip)) : std::nullopt;
}

std::string_view FormatName(FieldFormat format) {
  switch (format) {
    case FieldFormat::kMac:
      return "MAC address";
    case FieldFormat::kIpv4:
      return "IPv4 address";
    case FieldFormat::kIpv6:
      return "IPv6 address";
    default:
      return "number";
  }
}

// VALUE of any format, without a mask.
absl::StatusOr<FieldBits> ParseOneValue(const FieldInfo& f, std::string_view text,
                                        const PortNameResolver& ports) {
  switch (f.format) {
    case FieldFormat::kMac:
    case FieldFormat::kIpv4:
    case FieldFormat::kIpv6: {
      auto v = ParseAddress(f.format, text);
      if (!v) return absl::InvalidArgumentError(Cat("invalid ", FormatName(f.format)));
      return *v;
    }
    case FieldFormat::kPort: {
      auto port = ParsePort(text, ports);
      if (!port.ok()) return port.status();
      if (*port == kPortNone) return absl::InvalidArgumentError("in_port cannot be NONE");
      return FieldBits{*port};
    }
    case FieldFormat::kPktErr:
      for (size_t i = 0; i < std::size(kPktErrNames); ++i) {
        if (EqualsIgnoreCase(text, kPktErrNames[i])) return FieldBits{i};
      }
      break;
    default:
      break;
  }
  auto v = ParseNumber(text);
  if (!v) {
    return absl::InvalidArgumentError(f.format == FieldFormat::kPktErr
                                          ? "expected none, truncated, malformed or a number"
                                          : "invalid number");
  }
  if (*v > LowBits(f.n_bits)) {
    return absl::InvalidArgumentError(Cat("value ", text, " out of range for ", f.name, " (",
                                          f.n_bits, " bits, at most ", FormatHex(LowBits(f.n_bits)),
                                          ")"));
  }
  return *v;
}

// MASK after '/': a prefix length for IP addresses, else a value of the field's format.
absl::StatusOr<FieldBits> ParseMask(const FieldInfo& f, std::string_view text,
                                    const PortNameResolver& ports) {
  if ((f.format == FieldFormat::kIpv4 || f.format == FieldFormat::kIpv6) &&
      text.find_first_of(".:") == std::string_view::npos) {
    auto n = ParseNumber(text);
    if (!n || *n > f.n_bits) {
      return absl::InvalidArgumentError(Cat("invalid prefix length ", text, " (0-", f.n_bits, ")"));
    }
    unsigned len = static_cast<unsigned>(*n);
    return PrefixMask(len, f.n_bits);
  }
  auto mask = ParseOneValue(f, text, ports);
  if (!mask.ok()) return absl::InvalidArgumentError(Cat("mask: ", mask.status().message()));
  return *mask;
}

}  // namespace

absl::Status TextContext::Error(std::string_view token, absl::string_view message) const {
  size_t column = 1;
  if (token.data() >= whole.data() && token.data() <= whole.data() + whole.size()) {
    column = static_cast<size_t>(token.data() - whole.data()) + 1;
  }
  std::string_view shown = whole.substr(0, 200);
  return absl::InvalidArgumentError(absl::StrFormat("%s \"%s%s\": at column %d, \"%s\": %s", kind,
                                                    shown, shown.size() < whole.size() ? "..." : "",
                                                    column, token.substr(0, 200), message));
}

std::vector<std::string_view> SplitTopLevel(std::string_view text) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : ',';
    if (c == '(') ++depth;
    if (c == ')' && depth > 0) --depth;
    bool separator = (c == ',' || absl::ascii_isspace(static_cast<unsigned char>(c)));
    if (separator && (depth == 0 || i == text.size())) {
      if (i > start) out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::vector<std::string_view> SplitAt(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    size_t end = text.find(sep, start);
    out.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::string_view Trim(std::string_view text) {
  return AsStd(absl::StripAsciiWhitespace(AsAbsl(text)));
}

std::string Lower(std::string_view text) { return absl::AsciiStrToLower(AsAbsl(text)); }

std::pair<std::string_view, std::optional<std::string_view>> SplitKeyValue(std::string_view tok) {
  size_t eq = tok.find('=');
  if (eq == std::string_view::npos) return {tok, std::nullopt};
  return {tok.substr(0, eq), tok.substr(eq + 1)};
}

std::optional<FieldBits> ParseNumber(std::string_view text) {
  unsigned base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  FieldBits v = 0;
  const FieldBits limit = ~FieldBits{0};
  for (char c : text) {
    auto d = DigitValue(c, base);
    if (!d) return std::nullopt;
    if (v > (limit - *d) / base) return std::nullopt;
    v = v * base + *d;
  }
  return v;
}

absl::StatusOr<uint64_t> ParseBounded(std::string_view text, uint64_t max, std::string_view what) {
  auto v = ParseNumber(text);
  if (!v) return absl::InvalidArgumentError(Cat("invalid number for ", what));
  if (*v > max) {
    return absl::InvalidArgumentError(Cat(what, " ", text, " out of range (at most ", max, ")"));
  }
  return static_cast<uint64_t>(*v);
}

absl::StatusOr<uint32_t> ParsePort(std::string_view text, const PortNameResolver& ports) {
  for (const NamedValue& n : kReservedPorts) {
    if (EqualsIgnoreCase(text, n.name)) return n.value;
  }
  if (auto v = ParseNumber(text)) {
    if (*v <= kPortMax) return static_cast<uint32_t>(*v);
    for (const NamedValue& n : kReservedPorts) {
      if (*v == n.value) return n.value;
    }
    return absl::InvalidArgumentError(Cat("port number ", text, " out of range"));
  }
  if (ports) {
    if (auto port = ports(text)) return *port;
  }
  return absl::InvalidArgumentError(Cat("unknown port ", text));
}

std::string FormatPort(uint32_t port) {
  for (const NamedValue& n : kReservedPorts) {
    if (port == n.value) return std::string(n.name);
  }
  return Cat(port);
}

std::string FormatHex(FieldBits value) {
  uint64_t hi = static_cast<uint64_t>(value >> 64), lo = static_cast<uint64_t>(value);
  if (hi == 0) return absl::StrFormat("0x%x", lo);
  return absl::StrFormat("0x%x%016x", hi, lo);
}

absl::StatusOr<MaskedBits> ParseFieldValue(const FieldInfo& f, std::string_view text,
                                           const PortNameResolver& ports) {
  if (text.empty()) return absl::InvalidArgumentError(Cat("missing value for ", f.name));
  if (f.format == FieldFormat::kTcpFlags && (text[0] == '+' || text[0] == '-')) {
    return ParseFlags(text, kTcpFlagNames);
  }
  if (f.format == FieldFormat::kCtState && (text[0] == '+' || text[0] == '-')) {
    return ParseFlags(text, kCtStateNames);
  }
  if (f.format == FieldFormat::kFrag) {
    for (const FragName& n : kFragNames) {
      if (EqualsIgnoreCase(text, n.name)) return MaskedBits{n.value, n.mask};
    }
  }
  size_t slash = text.find('/');
  std::string_view value_text = text.substr(0, slash);
  auto value = ParseOneValue(f, value_text, ports);
  if (!value.ok()) return value.status();
  FieldBits full = FieldFullMask(f.id);
  if ((*value & ~full) != 0) {
    return absl::InvalidArgumentError(
        Cat(f.name, " must be a multiple of 4 (the ECN bits are nw_ecn)"));
  }
  if (slash == std::string_view::npos) return MaskedBits{*value, full};
  if (!f.maskable) return absl::InvalidArgumentError(Cat(f.name, " cannot be masked"));
  auto mask = ParseMask(f, text.substr(slash + 1), ports);
  if (!mask.ok()) return mask.status();
  return MaskedBits{*value & *mask, *mask};
}

std::string FormatFieldValue(const FieldInfo& f, FieldBits value, FieldBits mask) {
  FieldBits full = FieldFullMask(f.id);
  bool whole = mask == full;
  switch (f.format) {
    case FieldFormat::kTcpFlags:
    case FieldFormat::kCtState: {
      auto names = f.format == FieldFormat::kTcpFlags ? std::span<const NamedValue>(kTcpFlagNames)
                                                      : std::span<const NamedValue>(kCtStateNames);
      if (mask != 0 && (mask & ~FieldBits{FlagBits(names)}) == 0) {
        return FormatFlags(value, mask, names);
      }
      break;
    }
    case FieldFormat::kFrag:
      for (const FragName& n : kFragNames) {
        if (value == n.value && mask == n.mask) return std::string(n.name);
      }
      break;
    case FieldFormat::kPktErr:
      if (whole && value < std::size(kPktErrNames)) return std::string(kPktErrNames[value]);
      if (whole) return Cat(static_cast<uint64_t>(value));
      break;
    case FieldFormat::kMac:
      if (whole) return MacToString(ToMac(value));
      return Cat(MacToString(ToMac(value)), "/", MacToString(ToMac(mask)));
    case FieldFormat::kIpv4:
    case FieldFormat::kIpv6: {
      auto addr = [&](FieldBits v) {
        return f.format == FieldFormat::kIpv4 ? Ipv4ToString(static_cast<uint32_t>(v))
                                              : Ipv6ToString(ToIpv6(v));
      };
      if (whole) return addr(value);
      if (auto len = PrefixLength(mask, f.n_bits)) return Cat(addr(value), "/", *len);
      return Cat(addr(value), "/", addr(mask));
    }
    case FieldFormat::kPort:
      if (whole) return FormatPort(static_cast<uint32_t>(value));
      break;
    case FieldFormat::kDecimal:
      if (whole) return Cat(static_cast<uint64_t>(value));
      break;
    case FieldFormat::kHex:
      break;
  }
  if (whole) return FormatHex(value);
  return Cat(FormatHex(value), "/", FormatHex(mask));
}

}  // namespace podswitch::core::flow_internal
