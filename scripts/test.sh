#!/usr/bin/env bash
# The README's test command: set up the machine, build, and run every test label but
# `bench` (unit, root, e2e, fuzz). Runs as root on Debian 12. Exits non-zero on any failure;
# the last line says which tests ran: ctest's count and the count per label.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh"
cd "${PODSWITCH_BUILD_DIR:-$top/build}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
ctest --output-on-failure -LE bench -j 2 "$@" | tee "$log" || status=$?
summary=$(grep -E "tests passed|tests failed" "$log" | tail -n 1)
labels=$(awk '/^Label Time Summary:/ { on = 1; next }
              on && /sec\*proc/ { gsub(/[()]/, ""); printf "%s%s %s", sep, $1, $(NF - 1); sep = ", " }
              on && /^$/ { on = 0 }' "$log")
echo "tests: ${summary:-ctest printed no summary} (by label: ${labels:-none})"
exit "$status"
