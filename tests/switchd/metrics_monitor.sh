#!/usr/bin/env bash
# Metrics, monitor and JSON output: podswitchd with --metrics on a free loopback port answers
# /healthz with "ok" and /metrics (Prometheus text) with per-port rx packet counters that
# count a ping, PMD busy cycles and per-bridge flow counts; `podswitchctl monitor`, started
# first, prints a line for each change made after it (add-br, add-port, add-flow); and
# `--format json` listings parse as JSON.
source "$(dirname "$0")/lib.sh"

port=$(free_tcp_port)
# shellcheck disable=SC2034  # start_switchd (lib.sh) reads it
METRICS=127.0.0.1:$port
URL=http://127.0.0.1:$port
start_switchd
for _ in $(seq 1 50); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done
health=$(curl -s -w '%{http_code}' "$URL/healthz" | tr '\n' ' ')
[ "$health" = "ok 200" ] || fail "/healthz said '$health'"

ctl monitor >"$WORK/monitor.txt" 2>&1 &
monitor=$!
track_bg "$monitor"
sleep 0.5
kill -0 "$monitor" 2>/dev/null || { cat "$WORK/monitor.txt"; fail "podswitchctl monitor exited"; }

make_pod a 10.250.6.1/24
make_pod b 10.250.6.2/24
ctl add-br br0
ctl add-port br0 "$(host_if a)" type=afxdp
ctl add-port br0 "$(host_if b)" type=afxdp
ctl add-flow br0 "actions=NORMAL"
ctl add-flow br0 "priority=10,udp,tp_dst=7,actions=drop"
ping_ok a 10.250.6.2

# Monitor: one line per change, each naming what changed.
for _ in $(seq 1 30); do grep -q 'add-flow' "$WORK/monitor.txt" && break; sleep 0.1; done
cat "$WORK/monitor.txt"
grep -q 'add-br br0' "$WORK/monitor.txt" || fail "monitor printed no line for add-br br0"
grep -q "add-port br0 $(host_if a)" "$WORK/monitor.txt" || fail "monitor printed no line for add-port"
[ "$(grep -c 'add-flow' "$WORK/monitor.txt")" -ge 2 ] || fail "monitor printed fewer than 2 add-flow lines"
kill -0 "$monitor" 2>/dev/null || fail "monitor exited while podswitchd runs"

# Metrics: the ping shows in both ports' rx counters; PMD cycles and flow counts are there.
sleep 1.2                                            # counters may be sampled, not live
curl -sf "$URL/metrics" >"$WORK/metrics.txt" || fail "GET /metrics failed"
grep -E '^podswitch_(port_rx_packets_total|pmd_busy_cycles_total|flows)' "$WORK/metrics.txt"
metric() {  # metric NAME LABEL-SUBSTRING -> the value of the first matching sample
  awk -v n="$1" -v l="$2" 'index($1, n "{") == 1 && index($1, l) { print $2; exit }' "$WORK/metrics.txt"
}
for pod in a b; do
  rx=$(metric podswitch_port_rx_packets_total "\"$(host_if $pod)\"")
  [ -n "$rx" ] || fail "/metrics has no podswitch_port_rx_packets_total for $(host_if $pod)"
  awk -v v="$rx" 'BEGIN { exit !(v >= 3) }' || fail "$(host_if $pod) rx_packets_total is $rx after 3 pings"
done
busy=$(awk '/^podswitch_pmd_busy_cycles_total/ { print $2; exit }' "$WORK/metrics.txt")
[ -n "$busy" ] || fail "/metrics has no podswitch_pmd_busy_cycles_total sample"
awk -v v="$busy" 'BEGIN { exit !(v > 0) }' || fail "PMD busy cycles are $busy after forwarding"
flows=$(metric podswitch_flows 'bridge="br0"')
[ "$flows" = 2 ] || fail "podswitch_flows{bridge=\"br0\"} is '${flows}', want 2"
grep -q '^# TYPE podswitch_port_rx_packets_total counter' "$WORK/metrics.txt" \
  || fail "no '# TYPE podswitch_port_rx_packets_total counter' line"

# JSON: every listing parses.
for cmd in "list-br" "dump-flows br0" "show" "list-ports br0" "dump-ports br0" "fdb/show br0" \
           "db show-log"; do
  # shellcheck disable=SC2086
  ctl --format json $cmd >"$WORK/out.json" || fail "'--format json $cmd' failed"
  python3 -m json.tool "$WORK/out.json" >/dev/null || { cat "$WORK/out.json"; fail "'--format json $cmd' is not JSON"; }
done
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "br0" in json.dumps(d), d' \
  <(ctl --format json list-br) || fail "list-br JSON lacks br0"
nflows=$(ctl --format json dump-flows br0 | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get("flows", d) if isinstance(d, dict) else d; print(len(d))')
[ "$nflows" = 2 ] || fail "dump-flows JSON holds $nflows flows, want 2"
log "PASS: /healthz ok; /metrics counts the ping on both ports, PMD busy cycles $busy, 2 flows; monitor saw every change; JSON parses"
