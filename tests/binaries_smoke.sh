#!/usr/bin/env bash
# Every Podswitch binary answers --help and --version, and podswitch-cni answers the CNI
# VERSION command per spec (env + stdin, as a runtime calls it).
set -euo pipefail
bin=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
for b in podswitchd podswitch-agent podswitch-cni podswitchctl; do
  out=$("$bin/$b" --version) || fail "$b --version exited $?"
  [[ $out == "$b "* ]] || fail "$b --version printed '$out'"
  "$bin/$b" --help >/dev/null || fail "$b --help exited $?"
done
out=$(echo '{"cniVersion":"1.0.0","name":"x","type":"podswitch"}' | CNI_COMMAND=VERSION "$bin/podswitch-cni")
[[ $out == *'"cniVersion":"1.0.0"'* && $out == *'"supportedVersions":['*'"1.1.0"'* ]] \
  || fail "VERSION printed '$out'"
if out=$(CNI_COMMAND=VERSION "$bin/podswitch-cni" --bogus 2>&1); then fail "unknown flag accepted"; fi
echo "all binaries answer --help, --version; CNI VERSION ok"
