// Parsing of port columns for add-port, set, get and clear.
#include "ctl/port_args.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace podswitch::ctl {
namespace {

constexpr uint32_t kMaxVlanId = 4095;
constexpr char kOptionsPrefix[] = "options:";

// What the COLUMN=VALUE words of one command ask for, before it becomes a request message.
struct PortEdits {
  std::optional<std::string> type;
  std::optional<uint32_t> ofport_request;
  std::optional<uint32_t> tag;
  bool clear_tag = false;
  std::optional<std::vector<uint32_t>> trunks;
  std::optional<std::string> vlan_mode;
  std::optional<bool> admin_up;
  std::map<std::string, std::string> options;
};

bool IsEmptySet(absl::string_view value) { return value == "[]"; }

absl::Status NoSuchColumn(PortTable table, absl::string_view column) {
  return absl::InvalidArgumentError(absl::StrCat(
      PortTableName(table), " does not contain a column whose name matches \"", column, "\""));
}

absl::Status ReadOnlyColumn(PortTable table, absl::string_view column) {
  return absl::InvalidArgumentError(
      absl::StrCat("cannot modify read-only column ", column, " in table ", PortTableName(table)));
}

bool IsReadOnlyColumn(absl::string_view column) {
  return column == "name" || column == "bridge" || column == "ofport" || column == "link_state" ||
         column == "error";
}

absl::Status ParseOption(absl::string_view word, PortEdits& edits) {
  absl::string_view rest = word.substr(sizeof(kOptionsPrefix) - 1);
  size_t eq = rest.find('=');
  if (eq == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("\"", word, "\": expected options:KEY=VALUE"));
  }
  absl::string_view key = rest.substr(0, eq);
  if (key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", word, "\": option key is empty"));
  }
  edits.options[std::string(key)] = std::string(rest.substr(eq + 1));
  return absl::OkStatus();
}

absl::Status ParseVlanMode(absl::string_view value, PortEdits& edits) {
  if (IsEmptySet(value)) {
    edits.vlan_mode = "";
    return absl::OkStatus();
  }
  if (value != "access" && value != "trunk" && value != "native-tagged" &&
      value != "native-untagged") {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid vlan_mode=", value, ": expected access, trunk, native-tagged or native-untagged"));
  }
  edits.vlan_mode = std::string(value);
  return absl::OkStatus();
}

// Applies one COLUMN=VALUE word to `edits`.
absl::Status ParseSetting(PortTable table, absl::string_view word, PortEdits& edits) {
  if (absl::StartsWith(word, kOptionsPrefix)) return ParseOption(word, edits);
  size_t eq = word.find('=');
  if (eq == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("\"", word, "\": expected COLUMN=VALUE"));
  }
  absl::string_view column = word.substr(0, eq);
  absl::string_view value = word.substr(eq + 1);
  if (column == "type") {
    if (value.empty()) return absl::InvalidArgumentError("invalid type=: the type is empty");
    edits.type = std::string(value);
  } else if (column == "ofport_request") {
    uint32_t ofport = 0;
    if (!absl::SimpleAtoi(value, &ofport) || ofport == 0 || ofport >= 0xff00) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ofport_request=", value, ": expected 1 to 65279"));
    }
    edits.ofport_request = ofport;
  } else if (column == "tag") {
    if (IsEmptySet(value)) {
      edits.clear_tag = true;
      edits.tag.reset();
      return absl::OkStatus();
    }
    absl::StatusOr<uint32_t> tag = ParseVlanId("tag", value);
    if (!tag.ok()) return tag.status();
    edits.tag = *tag;
    edits.clear_tag = false;
  } else if (column == "trunks") {
    absl::StatusOr<std::vector<uint32_t>> trunks = ParseTrunks(value);
    if (!trunks.ok()) return trunks.status();
    edits.trunks = *std::move(trunks);
  } else if (column == "vlan_mode") {
    return ParseVlanMode(value, edits);
  } else if (column == "admin_state") {
    if (value != "up" && value != "down") {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid admin_state=", value, ": expected up or down"));
    }
    edits.admin_up = value == "up";
  } else if (column == "options") {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", word, "\": set options one key at a time, as options:KEY=VALUE"));
  } else if (IsReadOnlyColumn(column)) {
    return ReadOnlyColumn(table, column);
  } else {
    return NoSuchColumn(table, column);
  }
  return absl::OkStatus();
}

absl::StatusOr<PortEdits> ParseSettings(PortTable table, const std::vector<std::string>& words) {
  PortEdits edits;
  for (const std::string& word : words) {
    if (absl::Status status = ParseSetting(table, word, edits); !status.ok()) return status;
  }
  return edits;
}

nlohmann::json OptionsToJson(const switchd::Port& port) {
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [key, value] : port.options()) options[key] = value;
  return options;
}

nlohmann::json StringOrNull(const std::string& value) {
  return value.empty() ? nlohmann::json(nullptr) : nlohmann::json(value);
}

}  // namespace

absl::StatusOr<PortTable> ParsePortTable(absl::string_view word) {
  std::string lower = absl::AsciiStrToLower(word);
  if (lower == "port") return PortTable::kPort;
  if (lower == "interface") return PortTable::kInterface;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown table \"", word, "\": podswitchctl sets and gets columns of port or interface"));
}

const char* PortTableName(PortTable table) {
  return table == PortTable::kPort ? "Port" : "Interface";
}

absl::StatusOr<uint32_t> ParseVlanId(absl::string_view column, absl::string_view value) {
  uint32_t id = 0;
  bool digits = !value.empty() && value.size() <= 10 &&
                std::all_of(value.begin(), value.end(), absl::ascii_isdigit);
  if (!digits || !absl::SimpleAtoi(value, &id) || id > kMaxVlanId) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", column, "=", value, ": a VLAN id is a number from 0 to 4095"));
  }
  return id;
}

absl::StatusOr<std::vector<uint32_t>> ParseTrunks(absl::string_view value) {
  absl::string_view list = absl::StripAsciiWhitespace(value);
  if (absl::ConsumePrefix(&list, "[") && !absl::ConsumeSuffix(&list, "]")) {
    return absl::InvalidArgumentError(absl::StrCat("invalid trunks=", value, ": missing ']'"));
  }
  std::vector<uint32_t> trunks;
  if (absl::StripAsciiWhitespace(list).empty()) return trunks;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    absl::StatusOr<uint32_t> id = ParseVlanId("trunks", absl::StripAsciiWhitespace(item));
    if (!id.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid trunks=", value, ": \"", absl::StripAsciiWhitespace(item),
                       "\" is not a VLAN id (a number from 0 to 4095)"));
    }
    trunks.push_back(*id);
  }
  return trunks;
}

absl::StatusOr<switchd::CreatePortRequest> ParseAddPortArgs(
    const std::string& bridge, const std::string& port, const std::vector<std::string>& settings,
    bool may_exist) {
  absl::StatusOr<PortEdits> edits = ParseSettings(PortTable::kPort, settings);
  if (!edits.ok()) return edits.status();
  switchd::CreatePortRequest request;
  request.set_may_exist(may_exist);
  switchd::Port* p = request.mutable_port();
  p->set_bridge(bridge);
  p->set_name(port);
  p->set_type(edits->type.value_or(""));
  p->set_ofport(edits->ofport_request.value_or(0));
  if (edits->tag) p->set_tag(*edits->tag);
  if (edits->trunks) p->mutable_trunks()->Assign(edits->trunks->begin(), edits->trunks->end());
  p->set_vlan_mode(edits->vlan_mode.value_or(""));
  p->set_admin_up(edits->admin_up.value_or(true));
  for (const auto& [key, value] : edits->options) (*p->mutable_options())[key] = value;
  return request;
}

absl::StatusOr<switchd::UpdatePortRequest> ParseSetPortArgs(
    PortTable table, const std::string& name, const std::vector<std::string>& settings) {
  if (settings.empty()) {
    return absl::InvalidArgumentError("set: expected at least one COLUMN=VALUE");
  }
  absl::StatusOr<PortEdits> edits = ParseSettings(table, settings);
  if (!edits.ok()) return edits.status();
  if (edits->type || edits->ofport_request) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot change ", edits->type ? "type" : "ofport_request", " of ",
                     PortTableName(table), " ", name, " in place: del-port and add-port it again"));
  }
  switchd::UpdatePortRequest request;
  request.set_name(name);
  if (edits->tag) request.set_tag(*edits->tag);
  request.set_remove_tag(edits->clear_tag);
  if (edits->trunks) {
    request.set_set_trunks(true);
    request.mutable_trunks()->Assign(edits->trunks->begin(), edits->trunks->end());
  }
  if (edits->vlan_mode) request.set_vlan_mode(*edits->vlan_mode);
  if (edits->admin_up) request.set_admin_up(*edits->admin_up);
  for (const auto& [key, value] : edits->options) (*request.mutable_set_options())[key] = value;
  return request;
}

absl::StatusOr<switchd::UpdatePortRequest> ParseClearPortArgs(
    PortTable table, const switchd::Port& current, const std::vector<std::string>& columns) {
  if (columns.empty()) return absl::InvalidArgumentError("clear: expected at least one COLUMN");
  switchd::UpdatePortRequest request;
  request.set_name(current.name());
  for (const std::string& column : columns) {
    if (column == "tag") {
      request.set_remove_tag(true);
    } else if (column == "trunks") {
      request.set_set_trunks(true);
      request.clear_trunks();
    } else if (column == "vlan_mode") {
      request.set_vlan_mode("");
    } else if (column == "options") {
      for (const auto& [key, value] : current.options()) request.add_remove_options(key);
    } else if (absl::StartsWith(column, kOptionsPrefix)) {
      request.add_remove_options(column.substr(sizeof(kOptionsPrefix) - 1));
    } else if (IsReadOnlyColumn(column) || column == "type" || column == "admin_state") {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot clear column ", column, " in table ", PortTableName(table)));
    } else {
      return NoSuchColumn(table, column);
    }
  }
  return request;
}

absl::StatusOr<nlohmann::json> GetPortColumn(PortTable table, const switchd::Port& port,
                                             const std::string& column) {
  if (column == "name") return port.name();
  if (column == "bridge") return port.bridge();
  if (column == "type") return port.type();
  if (column == "ofport") return port.ofport();
  if (column == "tag") return port.has_tag() ? nlohmann::json(port.tag()) : nullptr;
  if (column == "trunks") return nlohmann::json(port.trunks());
  if (column == "vlan_mode") return StringOrNull(port.vlan_mode());
  if (column == "admin_state") return port.admin_up() ? "up" : "down";
  if (column == "link_state") return StringOrNull(port.link_state());
  if (column == "error") return StringOrNull(port.error());
  if (column == "options") return OptionsToJson(port);
  if (absl::StartsWith(column, kOptionsPrefix)) {
    std::string key = column.substr(sizeof(kOptionsPrefix) - 1);
    auto it = port.options().find(key);
    if (it == port.options().end()) {
      return absl::NotFoundError(absl::StrCat("no key \"", key, "\" in ", PortTableName(table),
                                              " record \"", port.name(), "\" column options"));
    }
    return it->second;
  }
  return NoSuchColumn(table, column);
}

}  // namespace podswitch::ctl
