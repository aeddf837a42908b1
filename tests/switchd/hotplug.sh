#!/usr/bin/env bash
# Hot-plug: while pods a and b ping each other every 20 ms, pod c's port is added to and
# removed from br0 five times (add-port/del-port). The a<->b stream loses at most 1 packet,
# and c reaches a and b each time it is attached.
source "$(dirname "$0")/lib.sh"
type=${PORT_TYPE:-afxdp}
cycles=${HOTPLUG_CYCLES:-5}

start_switchd
make_pod a 10.250.4.1/24
make_pod b 10.250.4.2/24
make_pod c 10.250.4.3/24
ctl add-br br0
ctl add-port br0 "$(host_if a)" type="$type"
ctl add-port br0 "$(host_if b)" type="$type"
ctl add-flow br0 "actions=NORMAL"
ping_ok a 10.250.4.2               # warm up: ARP and MAC learning done before the stream

# The stream: 600 pings at 20 ms (12 s), each allowed 1 s for its reply.
in_pod a ping -D -O -c 600 -i 0.02 -W 1 10.250.4.2 >"$WORK/stream.txt" 2>&1 &
stream=$!
sleep 0.5
for i in $(seq 1 "$cycles"); do
  log "cycle $i: add-port ($(date +%s.%N | cut -c1-14))"
  ctl add-port br0 "$(host_if c)" type="$type"
  ok=
  for _ in $(seq 1 20); do
    if in_pod c ping -c 1 -W 1 10.250.4.1 >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.1
  done
  [ -n "$ok" ] || { ctl show; fail "cycle $i: c cannot reach a while attached"; }
  ping_ok c 10.250.4.2
  log "cycle $i: del-port ($(date +%s.%N | cut -c1-14))"
  ctl del-port br0 "$(host_if c)"
  ping_fails c 10.250.4.1
  log "cycle $i: c attached, reached a and b, detached ($(date +%s.%N | cut -c1-14))"
done
kill -0 "$stream" 2>/dev/null || fail "the a->b stream ended before the hot-plug cycles did"
wait "$stream" || true
summary=$(grep 'packets transmitted' "$WORK/stream.txt")
echo "$summary"
sent=$(awk '{print $1}' <<<"$summary")
received=$(awk '{print $4}' <<<"$summary")
[ "${sent:-0}" -ge 500 ] || fail "stream sent only ${sent:-0} pings"
lost=$((sent - received))
if [ "$lost" -gt 1 ]; then
  grep -E 'no answer|DUP' "$WORK/stream.txt" | head -40
  fail "a->b lost $lost of $sent pings while c was hot-plugged"
fi
log "PASS: $cycles add/del cycles of c ($type); a->b lost $lost of $sent pings; c worked while attached"
