#!/usr/bin/env bash
# The agent is killed (SIGKILL) while 20 ADDs run at once. After a restart, DEL for all 20
# succeeds (ADDs cut short failed with 11, as a runtime sees them) and nothing is left: no
# veth, port, pod flow, IP (agent API and the IPAM database itself) or pod interface. Then the
# node is whole: 20 ADDs at once succeed with distinct IPs, and their DELs leave nothing.
source "$(dirname "$0")/lib.sh"
N=${N:-20}
KILL_AFTER=${KILL_AFTER:-0.3}

start_node
for i in $(seq 1 "$N"); do make_pod "p$i"; done
launch_adds 1 "$N"
sleep "$KILL_AFTER"
log "killing the agent (SIGKILL) during $N ADDs"
kill_agent
wait_adds
ok=0
codes=""
for i in $(seq 1 "$N"); do
  if [ "$(cat "$WORK/add.$i.rc")" = 0 ]; then
    ok=$((ok + 1))
  else
    code=$(jq -r .code "$WORK/add.$i.out" 2>/dev/null || echo "?")
    codes="$codes $code"
    [ "$code" = 11 ] || log "p$i: ADD cut short by the kill failed with $code (want 11): $(cat "$WORK/add.$i.out")"
  fi
done
log "$ok of $N ADDs completed before the kill; the others failed with:${codes:- nothing}"
log "left by the kill: $(in_node ip -o link show | grep -c ' psw' || true) veths," \
  "$(ctl list-ports br-int | grep -c '^psw' || true) ports, $(ipam_db_rows) IPs"

start_agent
# The runtime retries some sandboxes (ADD again over whatever the kill left), and gives up on
# the others (DEL): a retried ADD must produce a whole pod, and DEL must remove both kinds.
half=$((N / 2))
log "agent restarted; ADD again for p1..p$half"
launch_adds 1 "$half"
wait_adds
for i in $(seq 1 "$half"); do
  [ "$(cat "$WORK/add.$i.rc")" = 0 ] || fail "retried ADD p$i: $(cat "$WORK/add.$i.out")"
  ip=$(result_ip "$(cat "$WORK/add.$i.out")")
  [ "$ip" = "$(pod_ip "p$i")" ] || fail "retried p$i: result says $ip, eth0 has $(pod_ip "p$i")"
  echo "$ip"
done >"$WORK/ips"
[ "$(sort -u "$WORK/ips" | wc -l)" -eq "$half" ] || fail "retried IPs not distinct: $(sort "$WORK/ips" | uniq -d)"
ping_ok p1 "$(sed -n "${half}p" "$WORK/ips")"
log "DEL for all $N"
del_all 1 "$N"
assert_no_leftovers
# Second DELs (containerd sends three) still succeed with nothing to undo.
del_all 1 "$N"

# The node is whole after the crash: $N ADDs at once, distinct IPs, traffic, clean DEL.
launch_adds 1 "$N"
wait_adds
for i in $(seq 1 "$N"); do
  [ "$(cat "$WORK/add.$i.rc")" = 0 ] || fail "ADD p$i after the restart: $(cat "$WORK/add.$i.out")"
  result_ip "$(cat "$WORK/add.$i.out")"
done >"$WORK/ips"
[ "$(sort -u "$WORK/ips" | wc -l)" -eq "$N" ] || fail "IPs not distinct: $(sort "$WORK/ips" | uniq -d)"
ping_ok p1 "$(sed -n "${N}p" "$WORK/ips")"
del_all 1 "$N"
assert_no_leftovers
stop_agent
[ "$(ipam_db_rows)" -eq 0 ] || fail "ipam.db keeps $(ipam_db_rows) allocations"
log "PASS: agent killed during $N concurrent ADDs; after a restart DEL left nothing, and the node works"
