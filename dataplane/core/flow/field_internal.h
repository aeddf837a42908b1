// Whole-field access for the flow syntax: fields up to 128 bits (IPv6) as one integer, so the
// parser and printer handle registers, MACs and IPv6 addresses the same way. Internal to
// podswitch_core_flow; the pipeline uses ReadFieldBits/WriteFieldBits from field.h.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "dataplane/core/flow/field.h"
#include "dataplane/core/packet/flow_key.h"

namespace podswitch::core::flow_internal {

// Debian's Abseil is built with its own string_view rather than std::string_view; these
// bridge the two where our std::string_view text meets absl::StrCat, StrSplit and friends.
inline absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view AsStd(absl::string_view s) { return {s.data(), s.size()}; }

// absl::StrCat that also takes std::string_view pieces.
inline absl::string_view CatPiece(std::string_view s) { return AsAbsl(s); }
template <typename T>
const T& CatPiece(const T& piece) {
  return piece;
}
template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(CatPiece(args)...);
}

// ASCII case-insensitive equality, for field, action and port names.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// A field's value or mask, right-aligned (bit 0 is the field's lowest bit). MACs and IPv6
// addresses are big-endian numbers: the last octet holds the lowest bits.
using FieldBits = unsigned __int128;

// All-ones over the `n` lowest bits (n <= 128).
inline FieldBits LowBits(unsigned n) { return n >= 128 ? ~FieldBits{0} : (FieldBits{1} << n) - 1; }

// `len` ones followed by `width - len` zeros: a prefix mask over a field `width` bits wide.
inline FieldBits PrefixMask(unsigned len, unsigned width) {
  return len == 0 ? FieldBits{0} : LowBits(len) << (width - len);
}

// The bits of a field that a match or set_field may set: all of them, except nw_tos whose
// two ECN bits belong to nw_ecn (as in OVS).
FieldBits FieldFullMask(FieldId id);

// The whole value of field `id` in `key`, right-aligned.
FieldBits GetFieldValue(const FlowKey& key, FieldId id);

// Replaces the whole value of field `id` in `key` (bits above the field's width are ignored).
void SetFieldValue(FlowKey& key, FieldId id, FieldBits value);

// Every spelling FindField accepts for `id`, canonical name first; for error messages and tests.
struct FieldAlias {
  std::string_view name;
  FieldId id;
};
std::span<const FieldAlias> FieldAliases();

}  // namespace podswitch::core::flow_internal
