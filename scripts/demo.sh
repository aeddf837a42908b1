#!/usr/bin/env bash
# The README's main job: set up, build, and run a local demo node (standalone mode).
# TODO(issue 5): start podswitchd and the agent, create pods through podswitch-cni.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh"
bin=${PODSWITCH_BUILD_DIR:-$top/build}/bin
for b in podswitchd podswitch-agent podswitch-cni podswitchctl; do "$bin/$b" --version; done
echo '{"cniVersion":"1.1.0","name":"demo","type":"podswitch"}' | CNI_COMMAND=VERSION "$bin/podswitch-cni"
