#!/usr/bin/env bash
# A port's interface vanishes: pods a, b, c on br0 with NORMAL; pod b's namespace is deleted
# (its veth, the switch port's interface, goes with it) while a pings c every 20 ms.
# podswitchd stays up, `show` reports b's port with an error naming the interface, a and c
# lose at most 1 ping, and when b is created again the port comes back by itself.
source "$(dirname "$0")/lib.sh"
type=${PORT_TYPE:-afxdp}

start_switchd
make_pod a 10.250.7.1/24
make_pod b 10.250.7.2/24
make_pod c 10.250.7.3/24
ctl add-br br0
for pod in a b c; do ctl add-port br0 "$(host_if $pod)" type="$type"; done
ctl add-flow br0 "actions=NORMAL"
ping_ok a 10.250.7.2
ping_ok a 10.250.7.3
ping_ok c 10.250.7.2

in_pod a ping -c 250 -i 0.02 -W 1 10.250.7.3 >"$WORK/stream.txt" 2>&1 &
stream=$!
sleep 1
ip netns del "$TAG-b"
for _ in $(seq 1 50); do ip link show "$(host_if b)" >/dev/null 2>&1 || break; sleep 0.1; done
! ip link show "$(host_if b)" >/dev/null 2>&1 || fail "$(host_if b) still exists after its namespace went"

# show: the port is still configured, with an error that names the interface.
err=
for _ in $(seq 1 50); do
  err=$(ctl get interface "$(host_if b)" error 2>/dev/null || true)
  [ -n "$err" ] && [ "$err" != '[]' ] && [ "$err" != '""' ] && break
  sleep 0.1
done
show=$(ctl show)
echo "$show"
kill -0 "$SWITCHD_PID" 2>/dev/null || fail "podswitchd died when b's interface vanished"
grep -A8 "Port $(host_if b)" <<<"$show" | grep -i 'error' | grep -q "$(host_if b)" \
  || fail "show has no error naming $(host_if b) on its port"
log "b's port error: $err"
grep -q "$(host_if b)" <<<"$err" || fail "get interface error does not name $(host_if b): '$err'"

wait "$stream" || true
summary=$(grep 'packets transmitted' "$WORK/stream.txt")
echo "$summary"
sent=$(awk '{print $1}' <<<"$summary"); received=$(awk '{print $4}' <<<"$summary")
[ $((sent - received)) -le 1 ] || fail "a->c lost $((sent - received)) of $sent pings when b vanished"
ping_ok a 10.250.7.3
ping_ok c 10.250.7.1
ctl dump-ports br0 >/dev/null || fail "dump-ports fails with a lost port"

# b comes back (same names): the port reattaches without a client touching it.
make_pod b 10.250.7.2/24
# b's new eth0 has a new MAC: a and c forget the old one, as after a real pod restart's ARP.
in_pod a ip neigh flush all; in_pod c ip neigh flush all
t0=$(date +%s.%N)
ok=
for _ in $(seq 1 60); do
  if in_pod a ping -c 1 -W 1 10.250.7.2 >/dev/null 2>&1; then ok=1; break; fi
  sleep 0.25
done
[ -n "$ok" ] || { ctl show; fail "b's port did not come back when its interface reappeared"; }
back=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
ping_ok c 10.250.7.2
log "PASS: lost interface reported ('$err'); a<->c lost $((sent - received)) of $sent; b reattached ${back} s after it was recreated"
