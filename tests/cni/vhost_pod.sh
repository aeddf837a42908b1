#!/usr/bin/env bash
# A vhost-user pod: ADD with PODSWITCH_INTERFACE_TYPE=vhostuser in CNI_ARGS returns a result
# whose interface carries socketPath (a per-pod folder); dpdk-testpmd attaches to it with
# virtio_user, using the pod's MAC (0a:58:<ip>) so the spoof guard admits it, and exchanges
# packets with a veth pod through the routed flows of br-int:
#  1. the veth pod pings the vhost pod's IP; testpmd (icmpecho) answers: its RX rises and the
#     pod gets its replies;
#  2. testpmd sends UDP bursts (tx_first: src = the vhost pod's MAC/IP, dst = the gateway MAC
#     and the veth pod's IP), and the veth pod's eth0 receives them.
# CHECK passes for the vhost pod; DEL removes its port, flows, IP and socket folder.
source "$(dirname "$0")/lib.sh"

CPUS=$( [ "$(nproc)" -ge 2 ] && echo 0-1 || echo 0 )
BURST=32

start_node
make_pod a
make_pod v
ip_a=$(result_ip "$(cni ADD ctr-a a)")
result_v=$(CNI_ARGS_EXTRA=";PODSWITCH_INTERFACE_TYPE=vhostuser" cni ADD ctr-v v)
echo "$result_v"
ip_v=$(result_ip "$result_v")
socket=$(json_get '[.interfaces[] | select(.socketPath != null)][0].socketPath' "$result_v")
mac_v=$(json_get ".interfaces[.ips[0].interface].mac" "$result_v")
gw_mac=$(in_node cat /sys/class/net/podswitch0/address)
[ -n "$socket" ] && [ "$socket" != null ] || fail "vhost-user ADD result has no socketPath"
[[ "$socket" == "$WORK/vhost/"*/* ]] || fail "socketPath $socket is not in a per-pod folder of $WORK/vhost"
[ -S "$socket" ] || fail "socketPath $socket is not a socket"
[ "$mac_v" = "$(printf '0a:58:%02x:%02x:%02x:%02x' ${ip_v//./ })" ] || fail "vhost pod MAC $mac_v for $ip_v"
[ "$(ctl pod list --format json | jq -r ".[] | select(.pod_name == \"v\") | .interface_type")" = vhostuser ] ||
  fail "pod list does not show v as vhostuser: $(ctl pod list)"
log "vhost pod v: $ip_v $mac_v on $socket; veth pod a: $ip_a; gateway MAC $gw_mac"

# testpmd in pod v's namespace (as a DPDK app in the pod would run), interactive, its stdin a
# FIFO this script holds open (as ../shared/bench/dp-peer/lib.sh does).
mkfifo "$WORK/tp.in"
exec {tp_fd}<>"$WORK/tp.in"
: >"$WORK/testpmd.log"
ip netns exec "$TAG-v" stdbuf -oL -eL dpdk-testpmd -l "$CPUS" --no-pci --no-huge -m 1024 \
  --file-prefix="$TAG-tp" --vdev="net_virtio_user0,path=$socket,queues=1,mac=$mac_v" \
  -- -i --forward-mode=icmpecho --eth-peer="0,$gw_mac" --tx-ip="$ip_v,$ip_a" --burst=$BURST \
  <"$WORK/tp.in" >"$WORK/testpmd.log" 2>&1 &
tp_pid=$!
BACKGROUND+=("$tp_pid")
tp() { printf '%s\n' "$*" >&"$tp_fd"; }
# tp_out CMD: runs a testpmd command and prints what it answered (waits for the prompt).
tp_out() {
  local before
  before=$(wc -l <"$WORK/testpmd.log")
  tp "$1"
  for _ in $(seq 1 50); do
    sleep 0.1
    tail -n +"$((before + 1))" "$WORK/testpmd.log" | grep -q 'testpmd>' && break
  done
  tail -n +"$((before + 1))" "$WORK/testpmd.log"
}
tp_fail() { echo "--- testpmd:"; tail -30 "$WORK/testpmd.log"; fail "$@"; }
for _ in $(seq 1 300); do
  grep -q 'testpmd>' "$WORK/testpmd.log" && break
  kill -0 "$tp_pid" 2>/dev/null || tp_fail "dpdk-testpmd exited"
  sleep 0.1
done
grep -q 'testpmd>' "$WORK/testpmd.log" || tp_fail "dpdk-testpmd did not start"
linked=
for _ in $(seq 1 50); do
  if tp_out "show port summary all" | grep -qE 'net_virtio_user0 +net_virtio_user +up'; then
    linked=1
    break
  fi
  sleep 0.2
done
[ -n "$linked" ] || tp_fail "testpmd's virtio_user port never came up on $socket"
tp_out "show port info 0" | grep -qi "MAC address: $mac_v" || tp_fail "testpmd's port does not have MAC $mac_v"
tp_out "start" >/dev/null

# 1. a pings v: the L3 flows deliver the echo requests to the vhost-user port, testpmd answers.
for _ in $(seq 1 20); do in_pod a ping -c 1 -W 1 "$ip_v" >/dev/null 2>&1 && break; sleep 0.2; done
in_pod a ping -c 5 -i 0.2 -W 1 "$ip_v" || tp_fail "pod a gets no echo replies from testpmd in pod v"
stats=$(tp_out "show port stats 0")
tp_rx=$(awk '/RX-packets:/ {print $2; exit}' <<<"$stats")
tp_tx=$(awk '/TX-packets:/ {print $2; exit}' <<<"$stats")
log "testpmd port stats after the pings: rx $tp_rx tx $tp_tx"
[ "${tp_rx:-0}" -ge 5 ] || tp_fail "testpmd received ${tp_rx:-0} packets from pod a (want 5+ echo requests)"

# 2. testpmd sends 2 bursts of UDP to a; a's eth0 rx counter rises by them.
pod_rx() { ip -n "$TAG-a" -s -j link show eth0 | jq '.[0].stats64.rx.packets'; }
rx0=$(pod_rx)
tp_out "stop" >/dev/null
tp_out "start tx_first 2" >/dev/null
sleep 1
rx1=$(pod_rx)
log "pod a eth0 rx packets: $rx0 -> $rx1 (testpmd sent $((2 * BURST)))"
[ $((rx1 - rx0)) -ge $((2 * BURST)) ] ||
  { ctl dump-flows br-int; tp_fail "pod a received $((rx1 - rx0)) of testpmd's $((2 * BURST)) frames"; }
# The spoof guard drops frames from v that do not carry its MAC: the same bursts from another
# source MAC do not reach a, and v's drop flow counts them. (testpmd reads the port's MAC
# into its forwarding state when the port starts, so restart the port around mac_addr set.)
drop_flow() {
  ctl dump-flows br-int | awk -v port="$v_ofport" '$0 ~ "priority=190,in_port=" port " " {sub(/.*n_packets=/, ""); sub(/,.*/, ""); print}'
}
v_port=$(ctl pod list --format json | jq -r '.[] | select(.pod_name == "v") | .port')
v_ofport=$(ctl show --format json | jq -r ".bridges[].ports[] | select(.name == \"$v_port\") | .ofport")
tp_out "stop" >/dev/null
tp_out "port stop 0" >/dev/null
tp_out "mac_addr set 0 02:00:00:00:00:99" >/dev/null
tp_out "port start 0" >/dev/null
for _ in $(seq 1 50); do
  tp_out "show port summary all" | grep -qE 'net_virtio_user0 +net_virtio_user +up' && break
  sleep 0.2
done
tp_out "show port info 0" | grep -qi "MAC address: 02:00:00:00:00:99" || tp_fail "testpmd did not take the spoofed MAC"
rx2=$(pod_rx)
drops0=$(drop_flow)
tp_out "start tx_first 2" >/dev/null
sleep 1
rx3=$(pod_rx)
drops1=$(drop_flow)
log "spoofed bursts: pod a rx +$((rx3 - rx2)), v's drop flow n_packets $drops0 -> $drops1"
[ $((rx3 - rx2)) -lt "$BURST" ] || { ctl dump-flows br-int; tp_fail "spoofed frames from v reached a ($((rx3 - rx2)))"; }
[ $((drops1 - drops0)) -ge $((2 * BURST)) ] || { ctl dump-flows br-int; tp_fail "v's drop flow counted $((drops1 - drops0)) of $((2 * BURST)) spoofed frames"; }
tp_out "stop" >/dev/null

EXTRA_CONFIG=",\"prevResult\":$result_v" CNI_ARGS_EXTRA=";PODSWITCH_INTERFACE_TYPE=vhostuser" \
  cni CHECK ctr-v v || fail "CHECK of the vhost pod failed"
ctl pod list
tp "quit"
for _ in $(seq 1 50); do kill -0 "$tp_pid" 2>/dev/null || break; sleep 0.1; done
CNI_ARGS_EXTRA=";PODSWITCH_INTERFACE_TYPE=vhostuser" cni DEL ctr-v v || fail "DEL v"
[ ! -e "$socket" ] || fail "DEL left $socket"
cni DEL ctr-a a
assert_no_leftovers
log "PASS: vhost-user pod v ($socket): testpmd received $tp_rx packets (echo requests) from a and a got $((rx1 - rx0)) UDP frames from testpmd; spoofed frames dropped; DEL clean"
