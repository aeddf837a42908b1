// podswitch-cni's one call to podswitch-agent: the runtime's request, forwarded unchanged over
// the CNI gRPC service, and the agent's answer turned back into a result or a CNI error.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cni/spec/env.h"

namespace podswitch::cni {

// Forwards one call to the agent at `socket_path` and waits at most `deadline`. Returns the
// agent's result bytes (empty except for ADD) or a CNI error: the agent's own error code, or
// 11 "try again later" (50 for STATUS) naming the socket when the agent cannot be reached or
// does not answer in time, so the runtime retries instead of giving up on the pod.
absl::StatusOr<std::string> ExecuteOnAgent(const RawCniEnv& env, Command command,
                                           std::string_view config_bytes,
                                           const std::string& socket_path, absl::Duration deadline);

}  // namespace podswitch::cni
