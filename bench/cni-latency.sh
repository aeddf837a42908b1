#!/usr/bin/env bash
# CNI ADD/DEL latency of podswitch-cni (+ podswitch-agent + podswitchd) against the reference
# bridge + host-local plugins, in the same run, with ../shared/bench/cni/bench-ref-bridge.sh
# (200 sequential ADD+DEL, then 50 concurrent ADDs and DELs; p50/p90/p99).
# Both plugins run in one node namespace that also holds podswitchd and the agent.
# Usage: sudo bench/cni-latency.sh [-n CYCLES] [-c CONC]   (run as root, after a build)
# PODSWITCH_BUILD_DIR picks the build (default build/), AGENT_ARGS adds agent flags
# (e.g. "--pod-port-type afxdp"). Results and how to read them: bench/README.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${PODSWITCH_BUILD_DIR:-$top/build}/bin
shared=${PODSWITCH_SHARED:-$top/../shared}
node=psbench-node
work=$(mktemp -d /tmp/podswitch-cnibench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  ip netns del "$node" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$node"
ip -n "$node" link set lo up
ip netns exec "$node" "$bin/podswitchd" --db "$work/conf.db" --socket "$work/switchd.sock" \
  --instance psbench --metrics off --log-level warn >"$work/switchd.log" 2>&1 &
pids+=($!)
ip netns exec "$node" "$bin/podswitch-agent" --switch-socket "$work/switchd.sock" \
  --socket "$work/agent.sock" --state-dir "$work/state" --pod-cidr 10.227.0.0/22 \
  --node-name psbench --metrics off --log-level warn ${AGENT_ARGS:-} >"$work/agent.log" 2>&1 &
pids+=($!)
printf '{"cniVersion":"1.0.0","name":"podswitch","type":"podswitch","agentSocket":"%s"}\n' \
  "$work/agent.sock" >"$work/podswitch.conf"
for _ in $(seq 1 100); do
  CNI_COMMAND=STATUS "$bin/podswitch-cni" <<<'{"cniVersion":"1.1.0","name":"p","type":"podswitch","agentSocket":"'"$work/agent.sock"'"}' \
    >/dev/null 2>&1 && break
  sleep 0.2
done
cat >"$work/ref.conf" <<'JSON'
{"cniVersion":"1.0.0","name":"cnpbench","type":"bridge","bridge":"cnpbbr0",
 "isGateway":true,"ipMasq":false,
 "ipam":{"type":"host-local","ranges":[[{"subnet":"10.226.0.0/16"}]],
         "routes":[{"dst":"0.0.0.0/0"}],"dataDir":"/var/lib/cni/cnp-bench-networks"}}
JSON
echo "podswitch: $bin ($(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown))" \
  "agent args: ${AGENT_ARGS:-none}"
bash "$shared/bench/cni/bench-ref-bridge.sh" -N "$node" "$@" \
  ref-bridge="$work/ref.conf" podswitch="$work/podswitch.conf@$bin/podswitch-cni" | tee "$work/table"
# A failed call is explained by the daemons' logs, which go with the work directory.
if awk '$1 == "podswitch" && $4 != 0 { bad = 1 } END { exit !bad }' "$work/table"; then
  echo "--- podswitch calls failed; last lines of the agent's and podswitchd's logs:"
  tail -n 20 "$work/agent.log" "$work/switchd.log"
fi
