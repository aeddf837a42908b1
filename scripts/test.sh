#!/usr/bin/env bash
# The README's test command: set up the machine, build, and run every test label but
# `bench` (unit, root, e2e, fuzz). Runs as root on Debian 12. Exits non-zero on any failure;
# the last line is ctest's summary.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh"
cd "${PODSWITCH_BUILD_DIR:-$top/build}"
ctest --output-on-failure -LE bench -j 2 "$@"
