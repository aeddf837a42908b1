// Feeds arbitrary bytes to the cluster object parser as YAML and as JSON: it must never
// crash, hang or throw, and every failure must be INVALID_ARGUMENT (a message for the file's
// author), since standalone files and API server responses are untrusted input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "agent/cluster/object_parser.h"

namespace {

void Check(std::string_view text, podswitch::agent::cluster::DocumentFormat format) {
  auto objects = podswitch::agent::cluster::ParseObjects(text, "fuzz.yaml", format);
  if (!objects.ok() && objects.status().code() != absl::StatusCode::kInvalidArgument) {
    std::fprintf(stderr, "unexpected status: %s\n", objects.status().ToString().c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(text, podswitch::agent::cluster::DocumentFormat::kYaml);
  Check(text, podswitch::agent::cluster::DocumentFormat::kJson);
  return 0;
}
