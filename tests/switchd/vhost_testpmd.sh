#!/usr/bin/env bash
# vhost-user: a `vhostuser` port (podswitchd creates the socket) and a veth pod on br0 with
# NORMAL. dpdk-testpmd attaches to the socket with a virtio_user port in icmpecho mode (it
# answers ARP and ICMP echo): pod a pings testpmd's address through the bridge, so testpmd
# receives the pod's ARP and ICMP (its RX counter rises) and the pod gets the replies. Then
# testpmd's tx_first sends a burst of UDP frames addressed to the pod's MAC/IP (--eth-peer,
# --tx-ip), and the pod's eth0 rx counter rises by at least that burst.
source "$(dirname "$0")/lib.sh"

TP_MAC=02:00:00:00:05:02
VHU=$WORK/vhu.sock
# testpmd: main lcore + one forwarding lcore; on a 1-CPU machine share CPU 0.
CPUS=$( [ "$(nproc)" -ge 2 ] && echo 0-1 || echo 0 )

start_switchd
make_pod a 10.250.5.1/24
ctl add-br br0
ctl add-port br0 vhu0 type=vhostuser options:vhost-server-path="$VHU"
ctl add-port br0 "$(host_if a)" type=afxdp
ctl add-flow br0 "actions=NORMAL"
[ -S "$VHU" ] || fail "podswitchd did not create the vhost-user socket $VHU"

# testpmd, interactive, its stdin a FIFO this script holds open (as ../shared/bench does).
mkfifo "$WORK/tp.in"
exec {tp_fd}<>"$WORK/tp.in"
: >"$WORK/testpmd.log"
stdbuf -oL -eL dpdk-testpmd -l "$CPUS" --no-pci --no-huge -m 1024 --file-prefix="$TAG-tp" \
  --vdev="net_virtio_user0,path=$VHU,queues=1,mac=$TP_MAC" \
  -- -i --forward-mode=icmpecho --eth-peer="0,$(mac_of a)" --tx-ip=10.250.5.2,10.250.5.1 \
  --burst=32 <"$WORK/tp.in" >"$WORK/testpmd.log" 2>&1 &
tp_pid=$!
track_bg "$tp_pid"
tp() { printf '%s\n' "$*" >&"$tp_fd"; }
# tp_out CMD: run a testpmd command, print what it wrote in answer (waits for the prompt).
tp_out() {
  local before; before=$(wc -l <"$WORK/testpmd.log")
  tp "$1"
  for _ in $(seq 1 50); do
    sleep 0.1
    [ "$(tail -n +"$((before + 1))" "$WORK/testpmd.log" | grep -c 'testpmd>')" -ge 1 ] && break
  done
  tail -n +"$((before + 1))" "$WORK/testpmd.log"
}
for _ in $(seq 1 300); do
  grep -q 'testpmd>' "$WORK/testpmd.log" && break
  kill -0 "$tp_pid" 2>/dev/null || { cat "$WORK/testpmd.log"; fail "dpdk-testpmd exited"; }
  sleep 0.1
done
grep -q 'testpmd>' "$WORK/testpmd.log" || { cat "$WORK/testpmd.log"; fail "dpdk-testpmd did not start"; }
# The virtio_user port's link comes up once the vhost-user negotiation with podswitchd is
# done. (podswitchd's link_state column says "up" as soon as the port is attached, peer or
# not, so testpmd is the judge here.)
linked=
for _ in $(seq 1 50); do
  if tp_out "show port summary all" | grep -qE 'net_virtio_user0 +net_virtio_user +up'; then linked=1; break; fi
  sleep 0.2
done
ctl show
[ -n "$linked" ] || { cat "$WORK/testpmd.log"; fail "testpmd's virtio_user port never came up on $VHU"; }

tp_out "start" >/dev/null
# 1. The pod pings testpmd: ARP request (flooded) and ICMP echo reach testpmd, replies return.
for _ in $(seq 1 20); do in_pod a ping -c 1 -W 1 10.250.5.2 >/dev/null 2>&1 && break; sleep 0.2; done
in_pod a ping -c 5 -i 0.2 -W 1 10.250.5.2 || { cat "$WORK/testpmd.log"; fail "pod a gets no echo replies from testpmd over vhost-user"; }
in_pod a ip neigh show 10.250.5.2 | grep -qi "$TP_MAC" || fail "pod a did not learn testpmd's MAC by ARP"
stats=$(tp_out "show port stats 0")
echo "$stats"
tp_rx=$(awk '/RX-packets:/ {print $2; exit}' <<<"$stats")
tp_tx=$(awk '/TX-packets:/ {print $2; exit}' <<<"$stats")
[ "${tp_rx:-0}" -ge 6 ] || fail "testpmd received ${tp_rx:-0} packets from the pod (want ARP + 5 ICMP)"

# 2. testpmd sends 2 bursts of 32 UDP frames to the pod's MAC/IP; the pod's rx counter rises.
pod_rx() { ip -n "$TAG-a" -s -j link show eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
rx0=$(pod_rx)
tp_out "stop" >/dev/null
tp_out "start tx_first 2" >/dev/null
sleep 1
rx1=$(pod_rx)
log "pod a eth0 rx packets: $rx0 -> $rx1"
[ $((rx1 - rx0)) -ge 64 ] || { ctl dump-ports br0; fail "pod a received $((rx1 - rx0)) of testpmd's 64 frames"; }
ctl dump-ports br0

tp_out "stop" >/dev/null
tp "quit"
for _ in $(seq 1 50); do kill -0 "$tp_pid" 2>/dev/null || break; sleep 0.1; done
log "PASS: testpmd (virtio_user) <-> vhostuser port <-> pod a: testpmd rx $tp_rx tx $tp_tx, pod got $((rx1 - rx0)) of 64 UDP frames"
