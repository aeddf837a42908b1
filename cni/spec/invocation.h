// One CNI call as a whole: the environment and the network config, checked against each
// other and against what the command needs. The binary runs these checks before forwarding,
// the agent runs the same ones on the forwarded request.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cni/spec/config.h"
#include "cni/spec/env.h"
#include "cni/spec/interface_type.h"

namespace podswitch::cni {

// A validated ADD, DEL, CHECK, GC or STATUS call.
struct CniInvocation {
  CniEnv env;
  NetworkConfig config;
  // The interface the pod gets: CNI_ARGS PODSWITCH_INTERFACE_TYPE, else
  // runtimeConfig.interfaceType, else the config's interfaceType, else veth.
  InterfaceType interface_type = InterfaceType::kVeth;
};

// Validates env, then config, then the command against both: CHECK needs cniVersion 0.4.0+
// and a prevResult, GC and STATUS need 1.1.0+ (code 1), GC needs cni.dev/valid-attachments
// (code 7: a missing list must not read as "release everything"), an ADD of a vhost-user
// interface needs 1.0.0+ to return its socketPath (code 2). VERSION is not an invocation (code 4).
absl::StatusOr<CniInvocation> ParseInvocation(const RawCniEnv& raw_env,
                                              std::string_view stdin_config);

// How long the binary waits for the agent: the config's timeoutSeconds, else 10 s for STATUS
// (a readiness probe) and 60 s for everything else.
absl::Duration AgentDeadline(const CniInvocation& invocation);

}  // namespace podswitch::cni
