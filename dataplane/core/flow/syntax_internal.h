// Pieces shared by the match, action and flow parsers and printers: tokens with positions,
// errors that point at them, and the text form of every field format. Internal to
// podswitch_core_flow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/core/flow/action.h"
#include "dataplane/core/flow/field.h"
#include "dataplane/core/flow/field_internal.h"
#include "dataplane/core/flow/flow_syntax.h"
#include "dataplane/core/flow/match.h"

namespace podswitch::core::flow_internal {

// The text a public parser was given, so an error can say which token and at what column.
// Every token is a string_view into `whole`.
struct TextContext {
  std::string_view kind;  // "flow", "match" or "actions"
  std::string_view whole;

  // `kind "whole": at column N, "token": message`.
  absl::Status Error(std::string_view token, absl::string_view message) const;
};

// Splits at commas and blanks outside parentheses, dropping empty pieces.
std::vector<std::string_view> SplitTopLevel(std::string_view text);

// Splits at every `sep` (keeping empty pieces): "a,,b" is {"a", "", "b"}.
std::vector<std::string_view> SplitAt(std::string_view text, char sep);

// `text` without leading and trailing ASCII blanks.
std::string_view Trim(std::string_view text);

// ASCII lower case, for case-insensitive keywords.
std::string Lower(std::string_view text);

// Splits "name=value" at the first '='; the value is nullopt when there is no '='.
std::pair<std::string_view, std::optional<std::string_view>> SplitKeyValue(std::string_view tok);

// A decimal or 0x-hex number of up to 128 bits, nothing else (no sign, no blanks).
std::optional<FieldBits> ParseNumber(std::string_view text);

// A number no larger than `max`, with a message naming `what` on failure.
absl::StatusOr<uint64_t> ParseBounded(std::string_view text, uint64_t max, std::string_view what);

// A port number, a reserved name (LOCAL, NORMAL, IN_PORT, ...) or a name `ports` knows.
absl::StatusOr<uint32_t> ParsePort(std::string_view text, const PortNameResolver& ports);

// The name of a reserved port ("LOCAL") or the number.
std::string FormatPort(uint32_t port);

// A field's value and mask as parsed (value already masked), right-aligned.
struct MaskedBits {
  FieldBits value = 0;
  FieldBits mask = 0;
};

// Parses VALUE or VALUE/MASK in the format of `field`; the error message says what is wrong
// (the caller adds the token and column). Without /MASK the mask is FieldFullMask.
absl::StatusOr<MaskedBits> ParseFieldValue(const FieldInfo& field, std::string_view text,
                                           const PortNameResolver& ports);

// Prints a value (and /mask when the mask is not the whole field) in the field's format.
std::string FormatFieldValue(const FieldInfo& field, FieldBits value, FieldBits mask);

// Prints a number as 0x-hex (0x0 for zero).
std::string FormatHex(FieldBits value);

// Parses the match part of a flow token by token and enforces what the syntax promises:
// no field twice, ranges, and prerequisites once all tokens are in.
class MatchBuilder {
 public:
  MatchBuilder(const TextContext& ctx, const PortNameResolver& ports) : ctx_(ctx), ports_(ports) {}

  // Adds one "name" (protocol shorthand) or "name=value" token.
  absl::Status Add(std::string_view token);

  // Checks every field's prerequisites against the whole match and returns it.
  absl::StatusOr<Match> Finish();

 private:
  absl::Status Claim(std::string_view token, const FlowKey& bits);
  absl::Status AddShorthand(std::string_view token, uint16_t dl_type, std::optional<uint8_t> proto);

  const TextContext& ctx_;
  const PortNameResolver& ports_;
  Match match_;
  std::vector<std::pair<FlowKey, std::string_view>> claimed_;  // bits set by each token
  std::vector<std::pair<FieldId, std::string_view>> fields_;   // for the prerequisite checks
};

// One parsed action and the token it came from (for prerequisite errors in ParseFlow).
struct ParsedAction {
  Action action;
  std::string_view token;
};

// Parses an action list; `text` must point into ctx.whole.
absl::StatusOr<std::vector<ParsedAction>> ParseActionTokens(const TextContext& ctx,
                                                            std::string_view text,
                                                            const PortNameResolver& ports);

}  // namespace podswitch::core::flow_internal
