#!/usr/bin/env bash
# The agent restarts between ADD and DEL (once stopped cleanly, once killed): pods keep their
# traffic meanwhile (podswitchd keeps forwarding; a continuous ping loses at most a couple of
# packets), the new agent knows the pods (pod list, CHECK), and its DEL removes everything.
source "$(dirname "$0")/lib.sh"

start_node
make_pod a
make_pod b
result_a=$(cni ADD ctr-a a)
result_b=$(cni ADD ctr-b b)
ip_a=$(result_ip "$result_a")
ip_b=$(result_ip "$result_b")
ping_ok a "$ip_b"

# 100 pings over 10 s, a -> b, while the agent goes away twice.
ip netns exec "$TAG-a" ping -n -i 0.1 -c 100 -W 1 "$ip_b" >"$WORK/ping.log" 2>&1 &
PING_PID=$!
BACKGROUND+=("$PING_PID")
sleep 2
log "stopping the agent (SIGTERM)"
stop_agent
make_pod c
out=$(cni ADD ctr-c c) && fail "ADD with the agent stopped succeeded: $out"
[ "$(json_get .code "$out")" = 11 ] || fail "ADD with the agent stopped: $out, want code 11"
out=$(cni STATUS) && fail "STATUS with the agent stopped succeeded"
[ "$(json_get .code "$out")" = 50 ] || fail "STATUS with the agent stopped: $out, want code 50"
sleep 1
start_agent
log "agent restarted"
sleep 2
log "killing the agent (SIGKILL)"
kill_agent
sleep 1
start_agent
log "agent restarted"
wait "$PING_PID" || true
summary=$(grep 'packets transmitted' "$WORK/ping.log") || fail "ping: $(cat "$WORK/ping.log")"
log "ping a -> b across two agent restarts: $summary"
sent=$(awk '{print $1}' <<<"$summary")
received=$(awk '{print $4}' <<<"$summary")
[ "$sent" -ge 90 ] || fail "ping sent only $sent"
[ $((sent - received)) -le 2 ] || fail "ping lost $((sent - received)) of $sent across agent restarts"

# The new agent knows both pods, and they still work both ways (TCP too).
ctl pod list
[ "$(ctl pod list --format json | jq '[.[] | select(.link_state == "up")] | length')" -eq 2 ] ||
  fail "pod list after restart: $(ctl pod list)"
EXTRA_CONFIG=",\"prevResult\":$result_a" cni CHECK ctr-a a || fail "CHECK a after restart"
EXTRA_CONFIG=",\"prevResult\":$result_b" cni CHECK ctr-b b || fail "CHECK b after restart"
tcp_ok b a "$ip_a"
ping_ok a "$GATEWAY"
# A pod added by the new agent gets a fresh IP and reaches the old ones.
ip_c=$(result_ip "$(cni ADD ctr-c c)")
[ "$ip_c" != "$ip_a" ] && [ "$ip_c" != "$ip_b" ] || fail "c got $ip_c, already given to a or b"
ping_ok c "$ip_a"

cni DEL ctr-a a || fail "DEL a with the new agent"
cni DEL ctr-b b || fail "DEL b with the new agent"
cni DEL ctr-c c || fail "DEL c"
assert_no_leftovers
stop_agent
[ "$(ipam_db_rows)" -eq 0 ] || fail "ipam.db keeps $(ipam_db_rows) allocations"
log "PASS: pods kept their traffic across an agent stop and an agent kill; the new agent's DEL cleaned up"
