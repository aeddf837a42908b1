#!/usr/bin/env bash
# Flows: a drop rule for ICMP stops ping and its counters rise; trace shows that rule;
# deleting it restores ping. Bad flow syntax is refused with the offending token.
source "$(dirname "$0")/lib.sh"

start_switchd
make_pod a 10.250.2.1/24
make_pod b 10.250.2.2/24
ctl add-br br0
ctl add-port br0 "$(host_if a)" type=afxdp
ctl add-port br0 "$(host_if b)" type=afxdp
ctl add-flow br0 "priority=0,actions=NORMAL"
ping_ok a 10.250.2.2

ctl add-flow br0 "priority=100,icmp,actions=drop"
ping_fails a 10.250.2.2
dump=$(ctl dump-flows br0 icmp)
echo "$dump"
packets=$(grep -o 'n_packets=[0-9]*' <<<"$dump" | head -1 | cut -d= -f2)
[ "${packets:-0}" -ge 2 ] || fail "drop rule counted ${packets:-0} packets"

trace=$(ctl trace br0 "in_port=$(host_if a),icmp,nw_src=10.250.2.1,nw_dst=10.250.2.2")
echo "$trace"
grep -q "priority 100" <<<"$trace" || fail "trace does not show the priority-100 rule"
grep -q "drop" <<<"$trace" || fail "trace does not end in drop"

ctl del-flows br0 "icmp" --strict 2>/dev/null || true
ctl del-flows br0 "priority=100,icmp" --strict
ping_ok a 10.250.2.2

if out=$(ctl add-flow br0 "priority=5,ip,nw_src=10.0.0.300,actions=drop" 2>&1); then
  fail "bad flow accepted"
fi
grep -q '10.0.0.300' <<<"$out" || fail "error does not name the bad token: $out"
log "PASS: drop rule stops ping, counts, shows in trace; bad syntax refused ($out)"
