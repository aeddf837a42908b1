#!/usr/bin/env bash
# 50 ADDs at once all succeed, with 50 distinct IPs, every pod wired (its eth0 has the IP its
# result names, its port is up), pods reach each other; then 50 DELs at once leave nothing.
source "$(dirname "$0")/lib.sh"
N=${N:-50}

start_node
for i in $(seq 1 "$N"); do make_pod "p$i"; done
start=$(date +%s.%N)
launch_adds 1 "$N"
wait_adds
log "$N concurrent ADDs took $(echo "$(date +%s.%N) - $start" | bc) s"

failed=0
for i in $(seq 1 "$N"); do
  if [ "$(cat "$WORK/add.$i.rc")" != 0 ]; then
    log "ADD p$i failed: $(cat "$WORK/add.$i.out" "$WORK/add.$i.err")"
    failed=$((failed + 1))
  fi
done
[ "$failed" -eq 0 ] || fail "$failed of $N concurrent ADDs failed"
for i in $(seq 1 "$N"); do
  ip=$(result_ip "$(cat "$WORK/add.$i.out")")
  [ "$ip" = "$(pod_ip "p$i")" ] || fail "p$i: result says $ip, eth0 has $(pod_ip "p$i")"
  echo "$ip"
done >"$WORK/ips"
distinct=$(sort -u "$WORK/ips" | wc -l)
[ "$distinct" -eq "$N" ] || fail "$N pods got only $distinct distinct IPs: $(sort "$WORK/ips" | uniq -d)"
[ "$(ctl pod list --format json | jq '[.[] | select(.link_state == "up")] | length')" -eq "$N" ] ||
  fail "pod list does not show $N pods up: $(ctl pod list)"
[ "$(ctl ipam show --format json | jq .allocated)" -eq "$N" ] || fail "ipam: $(ctl ipam show)"
ctl ipam show | head -6
# A sample of pairs across the set, and the gateway.
ping_ok p1 "$(sed -n "${N}p" "$WORK/ips")"
ping_ok "p$N" "$(sed -n 1p "$WORK/ips")"
ping_ok "p$((N / 2))" "$GATEWAY"

start=$(date +%s.%N)
del_all 1 "$N"
log "$N concurrent DELs took $(echo "$(date +%s.%N) - $start" | bc) s"
assert_no_leftovers
stop_agent
[ "$(ipam_db_rows)" -eq 0 ] || fail "ipam.db keeps $(ipam_db_rows) allocations"
log "PASS: $N concurrent ADDs, $N distinct IPs, all wired; $N concurrent DELs left nothing (${AGENT_ARGS:-afpacket pod ports})"
