// Text and JSON layouts of podswitchctl's output.
#include "ctl/output.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"

namespace podswitch::ctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int32_t kDefaultPriority = 32768;  // OpenFlow's OFP_DEFAULT_PRIORITY

// One value of a field: `index` < 0 reads a singular field, else one element of a repeated one.
nlohmann::json FieldValueToJson(const Message& message, const FieldDescriptor* field, int index) {
  const Reflection* r = message.GetReflection();
  bool rep = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(message, field, index) : r->GetInt32(message, field);
    case FieldDescriptor::CPPTYPE_INT64:
      return rep ? r->GetRepeatedInt64(message, field, index) : r->GetInt64(message, field);
    case FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r->GetRepeatedUInt32(message, field, index) : r->GetUInt32(message, field);
    case FieldDescriptor::CPPTYPE_UINT64:
      return rep ? r->GetRepeatedUInt64(message, field, index) : r->GetUInt64(message, field);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r->GetRepeatedDouble(message, field, index) : r->GetDouble(message, field);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return rep ? r->GetRepeatedFloat(message, field, index) : r->GetFloat(message, field);
    case FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field);
    case FieldDescriptor::CPPTYPE_ENUM:
      return (rep ? r->GetRepeatedEnum(message, field, index) : r->GetEnum(message, field))->name();
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value =
          rep ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
      if (field->type() == FieldDescriptor::TYPE_BYTES) return absl::Base64Escape(value);
      return value;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return MessageToJson(rep ? r->GetRepeatedMessage(message, field, index)
                               : r->GetMessage(message, field));
  }
  return nullptr;
}

nlohmann::json MapFieldToJson(const Message& message, const FieldDescriptor* field) {
  nlohmann::json object = nlohmann::json::object();
  const Reflection* r = message.GetReflection();
  const FieldDescriptor* key_field = field->message_type()->map_key();
  const FieldDescriptor* value_field = field->message_type()->map_value();
  for (int i = 0; i < r->FieldSize(message, field); ++i) {
    const Message& entry = r->GetRepeatedMessage(message, field, i);
    nlohmann::json key = FieldValueToJson(entry, key_field, -1);
    std::string key_text = key.is_string() ? key.get<std::string>() : key.dump();
    object[key_text] = FieldValueToJson(entry, value_field, -1);
  }
  return object;
}

// A string as ovs-vsctl prints it: bare when it reads as a word, else quoted and escaped.
std::string QuoteIfNeeded(const std::string& s) {
  bool bare = !s.empty() && (absl::ascii_isalpha(s[0]) || s[0] == '_') && s != "true" &&
              s != "false" && std::all_of(s.begin(), s.end(), [](char c) {
                return absl::ascii_isalnum(c) || c == '_' || c == '-' || c == '.';
              });
  return bare ? s : nlohmann::json(s).dump();
}

std::string FormatOptions(const switchd::Port& port) {
  std::vector<std::pair<std::string, std::string>> sorted(port.options().begin(),
                                                          port.options().end());
  std::sort(sorted.begin(), sorted.end());
  return absl::StrCat("{",
                      absl::StrJoin(sorted, ", ",
                                    [](std::string* out, const auto& kv) {
                                      absl::StrAppend(out, kv.first, "=", QuoteIfNeeded(kv.second));
                                    }),
                      "}");
}

void AppendShowPort(const switchd::Port& port, std::string& out) {
  absl::StrAppend(&out, "        Port ", QuoteIfNeeded(port.name()), "\n");
  if (port.has_tag()) absl::StrAppend(&out, "            tag: ", port.tag(), "\n");
  if (port.trunks_size() > 0) {
    absl::StrAppend(&out, "            trunks: [", absl::StrJoin(port.trunks(), ", "), "]\n");
  }
  if (!port.vlan_mode().empty()) {
    absl::StrAppend(&out, "            vlan_mode: ", port.vlan_mode(), "\n");
  }
  absl::StrAppend(&out, "            Interface ", QuoteIfNeeded(port.name()), "\n");
  if (!port.type().empty()) absl::StrAppend(&out, "                type: ", port.type(), "\n");
  if (port.ofport() != 0) absl::StrAppend(&out, "                ofport: ", port.ofport(), "\n");
  if (port.options_size() > 0) {
    absl::StrAppend(&out, "                options: ", FormatOptions(port), "\n");
  }
  if (!port.admin_up()) absl::StrAppend(&out, "                admin_state: down\n");
  if (!port.link_state().empty()) {
    absl::StrAppend(&out, "                link_state: ", port.link_state(), "\n");
  }
  if (!port.error().empty()) {
    absl::StrAppend(&out, "                error: ", nlohmann::json(port.error()).dump(), "\n");
  }
}

std::string Percent(uint64_t part, uint64_t total) {
  return total == 0 ? "0.00" : absl::StrFormat("%.2f", 100.0 * part / total);
}

}  // namespace

nlohmann::json MessageToJson(const Message& message) {
  nlohmann::json object = nlohmann::json::object();
  const Reflection* r = message.GetReflection();
  const auto* descriptor = message.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->is_map()) {
      object[field->name()] = MapFieldToJson(message, field);
    } else if (field->is_repeated()) {
      nlohmann::json array = nlohmann::json::array();
      for (int j = 0; j < r->FieldSize(message, field); ++j) {
        array.push_back(FieldValueToJson(message, field, j));
      }
      object[field->name()] = std::move(array);
    } else if (field->has_presence() && !r->HasField(message, field)) {
      object[field->name()] = nullptr;
    } else {
      object[field->name()] = FieldValueToJson(message, field, -1);
    }
  }
  return object;
}

nlohmann::json ChangeLogEntryToJson(const switchd::ChangeLogEntry& entry) {
  nlohmann::json json = MessageToJson(entry);
  nlohmann::json details =
      nlohmann::json::parse(entry.details_json(), nullptr, /*allow_exceptions=*/false);
  if (!details.is_discarded()) {
    json["details"] = std::move(details);
    json.erase("details_json");
  }
  return json;
}

std::string FormatFlowLine(const switchd::Flow& flow, bool show_stats) {
  std::string line = " ";
  if (show_stats || flow.cookie() != 0) {
    absl::StrAppend(&line, absl::StrFormat("cookie=0x%x, ", flow.cookie()));
  }
  if (show_stats) absl::StrAppend(&line, absl::StrFormat("duration=%.3fs, ", flow.duration_sec()));
  if (show_stats || flow.table() != 0) absl::StrAppend(&line, "table=", flow.table(), ", ");
  if (show_stats) {
    absl::StrAppend(&line, "n_packets=", flow.n_packets(), ", n_bytes=", flow.n_bytes(), ", ");
  }
  if (flow.idle_timeout() != 0) absl::StrAppend(&line, "idle_timeout=", flow.idle_timeout(), ", ");
  if (flow.hard_timeout() != 0) absl::StrAppend(&line, "hard_timeout=", flow.hard_timeout(), ", ");
  if (show_stats) {
    absl::StrAppend(&line, "idle_age=", static_cast<uint64_t>(flow.idle_age_sec()), ", ");
  }
  std::vector<std::string> match;
  if (flow.priority() != kDefaultPriority)
    match.push_back(absl::StrCat("priority=", flow.priority()));
  if (!flow.match().empty()) match.push_back(flow.match());
  absl::StrAppend(&line, absl::StrJoin(match, ","));
  if (line.back() != ' ') line.push_back(' ');
  absl::StrAppend(&line, "actions=", flow.actions());
  return line;
}

std::string FormatShow(const switchd::ListBridgesResponse& bridges,
                       const switchd::HealthResponse& health) {
  std::string out = health.db_path().empty() ? "podswitchd\n"
                                             : absl::StrCat("podswitchd ", health.db_path(), "\n");
  for (const switchd::Bridge& bridge : bridges.bridges()) {
    absl::StrAppend(&out, "    Bridge ", QuoteIfNeeded(bridge.name()), "\n");
    std::vector<const switchd::Port*> ports;
    for (const switchd::Port& port : bridge.ports()) ports.push_back(&port);
    std::sort(ports.begin(), ports.end(),
              [](const auto* a, const auto* b) { return a->name() < b->name(); });
    for (const switchd::Port* port : ports) AppendShowPort(*port, out);
  }
  if (!health.version().empty()) {
    absl::StrAppend(&out, "    podswitchd_version: ", nlohmann::json(health.version()).dump(),
                    "\n");
  }
  return out;
}

std::string FormatFdbTable(const switchd::DumpFdbResponse& fdb) {
  std::string out = " port  VLAN  MAC                Age\n";
  for (const switchd::FdbEntry& e : fdb.entries()) {
    absl::StrAppend(
        &out, absl::StrFormat("%5u  %4u  %s  %3u\n", e.port(), e.vlan(), e.mac(), e.age_sec()));
  }
  return out;
}

std::string FormatPortStats(const std::string& bridge,
                            const switchd::DumpPortStatsResponse& stats) {
  std::string out = absl::StrCat(bridge, ": ", stats.ports_size(), " ports\n");
  for (const switchd::PortStats& p : stats.ports()) {
    std::string head = absl::StrFormat("  port %2u", p.ofport());
    if (!p.name().empty()) absl::StrAppend(&head, " (", p.name(), ")");
    absl::StrAppend(&head, ": ");
    absl::StrAppend(&out, head,
                    absl::StrFormat("rx pkts=%u, bytes=%u, drop=%u, errs=%u\n", p.rx_packets(),
                                    p.rx_bytes(), p.rx_dropped(), p.rx_errors()));
    absl::StrAppend(&out, std::string(head.size(), ' '),
                    absl::StrFormat("tx pkts=%u, bytes=%u, drop=%u, errs=%u\n", p.tx_packets(),
                                    p.tx_bytes(), p.tx_dropped(), p.tx_errors()));
    if (!p.details().empty()) {
      std::map<std::string, uint64_t> details(p.details().begin(), p.details().end());
      std::vector<std::string> items;
      for (const auto& [name, value] : details) items.push_back(absl::StrCat(name, "=", value));
      absl::StrAppend(&out, std::string(head.size(), ' '), absl::StrJoin(items, ", "), "\n");
    }
  }
  return out;
}

std::string FormatPmdStats(const switchd::DumpPmdStatsResponse& stats) {
  std::string out;
  for (const switchd::PmdStats& pmd : stats.pmds()) {
    uint64_t cycles = pmd.busy_cycles() + pmd.idle_cycles();
    absl::StrAppend(&out, "pmd thread id ", pmd.id(), " lcore ", pmd.lcore());
    if (pmd.bridges_size() > 0)
      absl::StrAppend(&out, " (", absl::StrJoin(pmd.bridges(), ", "), ")");
    absl::StrAppend(&out, ":\n  packets received: ", pmd.packets(), "\n");
    absl::StrAppend(
        &out, "  batches: ", pmd.batches(), " (avg. packets per batch: ",
        pmd.batches() == 0 ? "0.00" : absl::StrFormat("%.2f", 1.0 * pmd.packets() / pmd.batches()),
        ")\n");
    absl::StrAppend(&out, "  emc hits: ", pmd.emc_hits(), "\n");
    absl::StrAppend(&out, "  megaflow hits: ", pmd.megaflow_hits(), "\n");
    absl::StrAppend(&out, "  misses: ", pmd.misses(), "\n");
    absl::StrAppend(&out, "  megaflows: ", pmd.megaflows(), "\n");
    absl::StrAppend(&out, "  idle cycles: ", pmd.idle_cycles(), " (",
                    Percent(pmd.idle_cycles(), cycles), "%)\n");
    absl::StrAppend(&out, "  processing cycles: ", pmd.busy_cycles(), " (",
                    Percent(pmd.busy_cycles(), cycles), "%)\n");
    if (pmd.packets() > 0) {
      absl::StrAppend(&out, "  avg processing cycles per packet: ",
                      absl::StrFormat("%.2f", 1.0 * pmd.busy_cycles() / pmd.packets()), "\n");
    }
  }
  return out;
}

std::string FormatTrace(const switchd::TraceResponse& trace) {
  if (!trace.text().empty()) {
    return trace.text().back() == '\n' ? trace.text() : absl::StrCat(trace.text(), "\n");
  }
  std::string out;
  for (const switchd::TraceStep& step : trace.steps()) {
    std::string indent(4 * std::max(step.depth(), 0), ' ');
    if (step.matched()) {
      absl::StrAppend(
          &out, indent,
          absl::StrFormat("%2u. %s, priority %d", step.table(), step.rule(), step.priority()));
      if (step.cookie() != 0) absl::StrAppend(&out, absl::StrFormat(", cookie %#x", step.cookie()));
      absl::StrAppend(&out, "\n");
    } else {
      absl::StrAppend(&out, indent, absl::StrFormat("%2u. No match.\n", step.table()));
    }
    for (const std::string& note : step.notes()) absl::StrAppend(&out, indent, "    ", note, "\n");
  }
  if (!trace.megaflow().empty()) absl::StrAppend(&out, "\nMegaflow: ", trace.megaflow(), "\n");
  absl::StrAppend(&out, "Datapath actions: ", trace.datapath_actions(), "\n");
  if (!trace.disposition().empty()) absl::StrAppend(&out, trace.disposition(), "\n");
  return out;
}

std::string FormatChangeLogEntry(const switchd::ChangeLogEntry& entry) {
  std::string time = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(entry.time_unix_ms()), absl::UTCTimeZone());
  return absl::StrFormat("%6d  %s  %s  %s", entry.seq(), time,
                         entry.client().empty() ? "-" : entry.client(), entry.summary());
}

std::string FormatColumnValue(const nlohmann::json& value) {
  if (value.is_null()) return "[]";
  if (value.is_string()) return QuoteIfNeeded(value.get<std::string>());
  if (value.is_array()) {
    std::vector<std::string> items;
    for (const nlohmann::json& item : value) items.push_back(FormatColumnValue(item));
    return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
  }
  if (value.is_object()) {
    std::vector<std::string> items;
    for (const auto& [key, item] : value.items()) {
      items.push_back(absl::StrCat(key, "=", FormatColumnValue(item)));
    }
    return absl::StrCat("{", absl::StrJoin(items, ", "), "}");
  }
  return value.dump();
}

}  // namespace podswitch::ctl
