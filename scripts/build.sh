#!/usr/bin/env bash
# Configures (once) and builds Podswitch into build/ (or $PODSWITCH_BUILD_DIR) with clang, so
# fuzz targets are real libFuzzer targets. Extra arguments go to cmake at configure time.
# Incremental: a second run rebuilds only what changed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${PODSWITCH_BUILD_DIR:-$top/build}
if [ ! -f "$build/build.ninja" ]; then
  CC=${CC:-clang} CXX=${CXX:-clang++} cmake -S "$top" -B "$build" -G Ninja "$@"
fi
cmake --build "$build" -j "$(nproc)"
