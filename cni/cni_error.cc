#include "cni/cni_error.h"

namespace podswitch::cni {

nlohmann::json ErrorJson(std::string_view cni_version, ErrorCode code, std::string_view msg,
                         std::string_view details) {
  nlohmann::json error = {{"cniVersion", cni_version.empty() ? "1.1.0" : cni_version},
                          {"code", static_cast<uint32_t>(code)},
                          {"msg", msg}};
  if (!details.empty()) error["details"] = details;
  return error;
}

}  // namespace podswitch::cni
