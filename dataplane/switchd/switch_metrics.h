// Prometheus text for podswitchd: port counters, PMD load, flow-cache hits and flow counts.
#pragma once

#include <string>

#include "dataplane/switchd/switch_controller.h"

namespace podswitch::switchd {

// Renders every podswitchd metric in the Prometheus text exposition format.
std::string RenderSwitchMetrics(SwitchController& controller);

}  // namespace podswitch::switchd
