// Fuzz target: the CNI inputs an untrusted runtime or user controls (stdin config, CNI_ARGS),
// and the result writer fed whatever prevResult survived parsing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cni/spec/args.h"
#include "cni/spec/config.h"
#include "cni/spec/result.h"
#include "cni/spec/version.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)podswitch::cni::ParseCniArgs(text);
  (void)podswitch::cni::PeekCniVersion(text);
  auto config = podswitch::cni::ParseNetworkConfig(text);
  if (config.ok() && config->prev_result) {
    for (std::string_view version : podswitch::cni::kSupportedVersions) {
      (void)podswitch::cni::ResultToJson(*config->prev_result, version).dump();
    }
  }
  return 0;
}
