#!/usr/bin/env bash
# Restart: kill -9 podswitchd and start it again: bridges, ports, tags and flows come back
# from the database and ping resumes with no client re-adding anything; db show-log has the
# history. Flows are stored one row each: a replaced flow keeps its row, a deleted one loses
# it, so the database holds exactly the flows dump-flows shows.
source "$(dirname "$0")/lib.sh"

start_switchd
make_pod a 10.250.3.1/24
make_pod b 10.250.3.2/24
ctl add-br br0
ctl add-port br0 "$(host_if a)" type=afxdp tag=7
ctl add-port br0 "$(host_if b)" type=afpacket tag=7
ctl add-flow br0 "priority=0,actions=NORMAL"
ctl add-flow br0 "priority=50,udp,tp_dst=9,actions=drop"
ctl add-flow br0 "priority=40,udp,tp_dst=7,actions=drop"
ctl add-flow br0 "priority=50,udp,tp_dst=9,actions=NORMAL"  # replaces the first drop
ctl add-flow br0 "idle_timeout=600,priority=30,udp,tp_dst=5,actions=drop"  # not stored
ctl del-flows br0 "udp,tp_dst=7"
ping_ok a 10.250.3.2
before=$(ctl dump-flows br0 --no-stats | grep -v idle_timeout)
rows=$(ctl db dump | jq -r '.bridges[] | select(.name == "br0") | .flows[].text')
[ "$(wc -l <<<"$rows")" = 2 ] || fail "database flows: want 2 rows, have <$rows>"
grep -q "tp_dst=9.*NORMAL" <<<"$rows" || fail "replaced flow not updated in its row: <$rows>"

kill9_switchd
ping_fails a 10.250.3.2
start_switchd
after=$(ctl dump-flows br0 --no-stats)
[ "$before" = "$after" ] || fail "flows differ after restart: before <$before> after <$after>"
[ "$(ctl get port "$(host_if a)" tag)" = 7 ] || fail "tag lost"
for _ in $(seq 1 30); do in_pod a ping -c 1 -W 1 10.250.3.2 >/dev/null 2>&1 && break; sleep 0.2; done
ping_ok a 10.250.3.2
log_out=$(ctl db show-log)
echo "$log_out"
for what in "add-br br0" "add-port br0 $(host_if a)" "add-flow br0" "del-flows br0"; do
  grep -q "$what" <<<"$log_out" || fail "change log lacks '$what'"
done
log "PASS: state restored from the database after kill -9; ping resumed"
