#!/usr/bin/env bash
# Cross-node pod-to-pod traffic over VXLAN: podswitchd's tunnel against a flannel-style
# Linux baseline (kernel VXLAN device + Linux bridge), in the same run, same topology:
#   pod p1 --veth-- node n1 ==underlay veth (10.226.200.0/24, VNI 1, UDP 4789)== node n2 --veth-- pod p2
# Each row: TCP throughput p1 -> p2 (iperf3, SECS seconds) and the 64-byte-frame UDP rate the
# receiver counts (iperf3 -u -l 22 -b 0: 22 B payload = 64 B Ethernet frame on the pod link).
# The kernel rows once with the pods' default offloads (TSO: 64 KB segments cross the bridge
# and the VXLAN device) and once without, as podswitch's pods run (see the bench README's
# checksum trap). Pods' MTU is 1450 (uplink 1500 - 50). Usage: sudo bench/vxlan-peers.sh  (after a build;
# SECS=10 ROUNDS=3 by default; the machine should be otherwise quiet).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${PODSWITCH_BUILD_DIR:-$top/build}/bin
SECS=${SECS:-10}
ROUNDS=${ROUNDS:-3}
tag=psvx$$
work=$(mktemp -d /tmp/podswitch-vxbench.XXXXXX)
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
  for ns in n1 n2 p1 p2; do ip netns del "$tag-$ns" 2>/dev/null || true; done
}
trap 'cleanup; rm -rf "$work"' EXIT

topology() {  # the namespaces, the underlay and the pods' veths (host ends unattached)
  for ns in n1 n2 p1 p2; do ip netns add "$tag-$ns"; ip -n "$tag-$ns" link set lo up; done
  ip -n "$tag-n1" link add u1 type veth peer name u2 netns "$tag-n2"
  ip -n "$tag-n1" addr add 10.226.200.1/24 dev u1
  ip -n "$tag-n2" addr add 10.226.200.2/24 dev u2
  for i in 1 2; do
    ip -n "$tag-n$i" link set "u$i" up
    ip -n "$tag-n$i" link add "pod$i" type veth peer name eth0 netns "$tag-p$i"
    ip -n "$tag-n$i" link set "pod$i" up
    ip -n "$tag-p$i" link set eth0 mtu 1450 up
    ip -n "$tag-p$i" addr add "10.224.0.$i/24" dev eth0
  done
}

podswitch_nodes() {
  for i in 1 2; do
    local remote=$((3 - i)) sock=$work/sw$i.sock
    rm -f "$work/conf$i.db"*   # a fresh database per round
    ip netns exec "$tag-n$i" "$bin/podswitchd" --db "$work/conf$i.db" --socket "$sock" \
      --instance "$tag$i" --metrics off --log-level warn >"$work/sw$i.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do "$bin/podswitchctl" --switch-socket "$sock" show >/dev/null 2>&1 && break; sleep 0.1; done
    # A userspace switch sees the pod's TCP without checksums unless the pod computes them.
    ip netns exec "$tag-p$i" ethtool -K eth0 tx off tso off gso off >/dev/null
    local ctl=("$bin/podswitchctl" --switch-socket "$sock")
    "${ctl[@]}" add-br br0
    "${ctl[@]}" add-port br0 "pod$i" type=afpacket
    "${ctl[@]}" add-port br0 tun0 type=vxlan options:local_ip=10.226.200.$i \
      options:remote_ip=10.226.200.$remote options:key=1
    "${ctl[@]}" add-flow br0 actions=NORMAL
  done
}

kernel_nodes() {
  for i in 1 2; do
    local remote=$((3 - i)) n=$tag-n$i
    ip -n "$n" link add vx0 type vxlan id 1 dstport 4789 local "10.226.200.$i" \
      remote "10.226.200.$remote" dev "u$i"
    ip -n "$n" link add br0 type bridge
    ip -n "$n" link set vx0 master br0
    ip -n "$n" link set "pod$i" master br0
    ip -n "$n" link set vx0 up
    ip -n "$n" link set br0 up
  done
}

kernel_nooff_nodes() {  # the same, with the pods' offloads off as podswitch needs them
  kernel_nodes
  for i in 1 2; do ip netns exec "$tag-p$i" ethtool -K eth0 tx off tso off gso off >/dev/null; done
}

measure() {  # prints "tcp_gbps udp64_kpps"
  ip netns exec "$tag-p2" iperf3 -s -D -1 -p 5201 --logfile "$work/srv.log" >/dev/null
  sleep 0.3
  for _ in 1 2 3 4 5; do ip netns exec "$tag-p1" ping -c 1 -W 1 10.224.0.2 >/dev/null 2>&1 && break; done
  local tcp
  tcp=$(ip netns exec "$tag-p1" iperf3 -c 10.224.0.2 -p 5201 -t "$SECS" -J |
    jq '.end.sum_received.bits_per_second / 1e9')
  ip netns exec "$tag-p2" iperf3 -s -D -1 -p 5202 --logfile "$work/srv2.log" >/dev/null
  sleep 0.3
  local udp
  udp=$(ip netns exec "$tag-p1" iperf3 -c 10.224.0.2 -p 5202 -u -l 22 -b 0 -t "$SECS" -J |
    jq '(.end.sum.packets - .end.sum.lost_packets) / .end.sum.seconds / 1e3')
  printf '%.2f %.0f\n' "$tcp" "$udp"
}

declare -A tcp udp
for mode in kernel kernel_nooff podswitch; do
  for round in $(seq 1 "$ROUNDS"); do
    topology
    "${mode}_nodes"
    read -r t u < <(measure)
    echo "$mode round $round: TCP $t Gbit/s, UDP 64 B $u kpps" >&2
    tcp[$mode]+="$t "
    udp[$mode]+="$u "
    cleanup
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
kt=$(echo "${tcp[kernel]}" | median); ku=$(echo "${udp[kernel]}" | median)
nt=$(echo "${tcp[kernel_nooff]}" | median); nu=$(echo "${udp[kernel_nooff]}" | median)
pt=$(echo "${tcp[podswitch]}" | median); pu=$(echo "${udp[podswitch]}" | median)
echo
echo "| row (median of $ROUNDS x ${SECS}s) | TCP Gbit/s | UDP 64 B kpps |"
echo "|---|---|---|"
echo "| kernel VXLAN + Linux bridge (flannel-style) | $kt | $ku |"
echo "| kernel, pods' tx offloads off (1450-byte segments) | $nt | $nu |"
echo "| podswitchd VXLAN (afpacket pod port, offloads off) | $pt | $pu |"
echo "| ratio podswitch / kernel | $(echo "scale=2; $pt / $kt" | bc) | $(echo "scale=2; $pu / $ku" | bc) |"
echo "| ratio podswitch / kernel without offloads | $(echo "scale=2; $pt / $nt" | bc) | $(echo "scale=2; $pu / $nu" | bc) |"
