#!/usr/bin/env bash
# Secondary L2 networks as Multus + ovs-cni users configure them (issue #6): a pod's net1 on
# an access VLAN of bridge br-vlan, carried tagged between two nodes by a trunk uplink, VLANs
# isolated from each other, a trunk pod seeing both tags; and net1 on bridge br-vx whose
# segment (VNI 100) is stretched over VXLAN between three nodes, next to the pod network's
# tun0 on the same UDP port: flood and learn without loops, TCP, VNI 100 on the wire, ICMP
# "fragmentation needed" / ICMPv6 "packet too big" for frames that do not fit, tunnel
# ports following the Nodes, the members the cluster names (NetworkAttachmentDefinition + pods'
# networks annotation) and the local members, DEL/CHECK/pod list after an agent restart.
source "$(dirname "$0")/lib.sh"

sock() { echo "$WORK/n$1/agent.sock"; }
# vlan_config N VID: network vlanVID on br-vlan, node N's slice .N0-.N9 of 10.231.VID.0/24.
vlan_config() {
  printf '{"cniVersion":"1.1.0","name":"vlan%s","type":"podswitch","agentSocket":"%s",' "$2" "$(sock "$1")"
  printf '"bridge":"br-vlan","vlan":%s,"ipam":{"subnet":"10.231.%s.0/24",' "$2" "$2"
  printf '"rangeStart":"10.231.%s.%s0","rangeEnd":"10.231.%s.%s9"}}' "$2" "$1" "$2" "$1"
}
trunk_config() {
  printf '{"cniVersion":"1.1.0","name":"trunk","type":"podswitch","agentSocket":"%s",' "$(sock "$1")"
  printf '"bridge":"br-vlan","trunk":[{"id":10},{"id":20}]}'
}
# vx_config N: network vx100 on br-vx, VNI 100, node N's slice of 10.232.0.0/24.
vx_config() {
  printf '{"cniVersion":"1.1.0","name":"vx100","type":"podswitch","agentSocket":"%s",' "$(sock "$1")"
  printf '"bridge":"br-vx","vni":100,"ipam":{"subnet":"10.232.0.0/24",'
  printf '"rangeStart":"10.232.0.%s0","rangeEnd":"10.232.0.%s9"}}' "$1" "$1"
}
# add_net1 N POD CONFIG: CNI ADD of net1 for POD on node N.
add_net1() {
  cni_with "$1" "$3" net1 ADD "$2" >"$WORK/net1.$2.json" ||
    fail "ADD net1 of $2 on node $1: $(cat "$WORK/net1.$2.json")"
}
# with_prev CONFIG RESULT_FILE: CONFIG with the ADD result as prevResult, as CHECK needs it.
with_prev() { printf '%s,"prevResult":%s}' "${1%\}}" "$(cat "$2")"; }
net1_ip() { in_pod "$1" ip -4 -o addr show net1 | awk '{print $4}' | cut -d/ -f1; }
pvx_ports() { ctl "$1" list-ports br-vx 2>/dev/null | grep '^pvx' || true; }
pvx_count_is() { [ "$(pvx_ports "$1" | grep -c . || true)" -eq "$2" ]; }
no_pvx_to() {
  local shown
  shown=$(ctl "$1" show 2>/dev/null) || return 1
  grep -q "key=\"\?100\"\?" <<<"$shown" || return 1   # the segment's ports are listed at all
  ! grep -qE "remote_ip=\"?$2\"?[,}]" <<<"$shown"
}
# ping_clean FROM IP: three answers, none duplicated (a forwarding loop duplicates them).
ping_clean() {
  local out
  ping_ok "$1" "$2"
  out=$(in_pod "$1" ping -c 3 -i 0.2 -W 1 "$2" 2>&1) || fail "$1 -> $2: $out"
  grep -q "DUP!" <<<"$out" && fail "$1 -> $2: duplicated answers (a loop?): $out"
  return 0
}

setup_underlay
# The trunk wire between nodes 1 and 2: a VLAN-unaware Linux bridge passes tags untouched.
in_underlay ip link add br1 type bridge
in_underlay ip link set br1 up
for n in 1 2 3; do write_node "$n"; done
for n in 1 2 3; do add_node "$n"; done
for n in 1 2; do
  ip link add tr0 netns "$TAG-n$n" type veth peer name "t$n" netns "$UNDERLAY"
  in_underlay ip link set "t$n" master br1 up
  in_node "$n" ip link set tr0 up
done
for n in 1 2 3; do start_switchd "$n"; done
for n in 1 2 3; do start_agent "$n"; done
# The operator's part, as with ovs-cni: the VLAN bridge and its trunk uplink.
for n in 1 2; do
  ctl "$n" add-br br-vlan
  ctl "$n" add-port br-vlan tr0 type=afpacket trunks=10,20
done

log "VLAN networks: net1 on access VLAN 10 or 20 of br-vlan, tagged over the trunk uplink"
for p in v1a v1b v2a v2b t1; do add_bare_pod "$p"; done
add_net1 1 v1a "$(vlan_config 1 10)"
add_net1 1 v1b "$(vlan_config 1 20)"
add_net1 2 v2a "$(vlan_config 2 10)"
add_net1 2 v2b "$(vlan_config 2 20)"
add_net1 1 t1 "$(trunk_config 1)"
result=$(cat "$WORK/net1.v1a.json")
grep -q '"address":"10.231.10.10/24"' <<<"$result" || fail "v1a's result: $result"
grep -q '"routes"' <<<"$result" && fail "a secondary network must not route: $result"
[ "$(net1_ip v2a)" = 10.231.10.20 ] || fail "v2a net1 is $(net1_ip v2a), not from node 2's range"
in_pod v1a ip route | grep -q default && fail "v1a got a default route: $(in_pod v1a ip route)"
in_pod t1 ip -4 -o addr show net1 | grep -q inet && fail "trunk pod without ipam got an address"
v1a_port=$(grep -o '"name":"psw[0-9a-f]*"' "$WORK/net1.v1a.json" | head -1 | cut -d'"' -f4)
ctl 1 show | grep -A3 "Port $v1a_port" | grep -q "tag: 10" ||
  fail "v1a's port is not an access port of VLAN 10: $(ctl 1 show)"

in_underlay timeout 20 tshark -l -n -i t1 -f vlan -T fields -e vlan.id -a duration:8 \
  >"$WORK/trunk.txt" 2>"$WORK/trunk.err" &
capture=$!
BACKGROUND+=("$capture")
in_pod t1 timeout 20 tshark -l -n -i net1 -f vlan -T fields -e vlan.id -a duration:8 \
  >"$WORK/trunkpod.txt" 2>"$WORK/trunkpod.err" &
capture_pod=$!
BACKGROUND+=("$capture_pod")
capturing "$WORK/trunk.err" "$WORK/trunkpod.err"
ping_clean v1a 10.231.10.20   # VLAN 10, node 1 -> node 2
ping_clean v2b 10.231.20.10   # VLAN 20, node 2 -> node 1
wait "$capture" || true
wait "$capture_pod" || true
log "VIDs on the trunk wire: $(sort -u "$WORK/trunk.txt" | tr '\n' ' '); in the trunk pod: $(sort -u "$WORK/trunkpod.txt" | tr '\n' ' ')"
grep -qx 10 "$WORK/trunk.txt" || fail "no VLAN 10 tag on the trunk wire"
grep -qx 20 "$WORK/trunk.txt" || fail "no VLAN 20 tag on the trunk wire"
grep -qx 10 "$WORK/trunkpod.txt" || fail "trunk pod saw no VLAN 10 frames"
grep -qx 20 "$WORK/trunkpod.txt" || fail "trunk pod saw no VLAN 20 frames"

log "VLAN isolation: v1b (VLAN 20) with an address in VLAN 10's subnet reaches nobody there"
in_pod v1b ip addr add 10.231.10.99/24 dev net1
in_pod v1b ping -c 2 -W 1 10.231.10.20 >/dev/null 2>&1 && fail "VLAN 20 reached VLAN 10 on node 2"
in_pod v1b ping -c 2 -W 1 10.231.10.10 >/dev/null 2>&1 && fail "VLAN 20 reached VLAN 10 on node 1"

log "CHECK passes for a wired attachment; pod list shows net1 on br-vlan"
cni_with 1 "$(with_prev "$(vlan_config 1 10)" "$WORK/net1.v1a.json")" net1 CHECK v1a >"$WORK/check.out" || fail "CHECK: $(cat "$WORK/check.out")"
ctl 1 pod list | grep -E "v1a +net1 +br-vlan +10.231.10.10" >/dev/null || fail "pod list: $(ctl 1 pod list)"

log "VXLAN network: net1 on br-vx (VNI 100) on three nodes, eth0 on the pod network beside it"
for n in 1 2 3; do
  add_pod "$n" "x$n"
  add_net1 "$n" "x$n" "$(vx_config "$n")"
done
for n in 1 2 3; do
  wait_for 15 "node $n has tunnel ports to both other nodes on br-vx" pvx_count_is "$n" 2
done
log "node 1's br-vx: $(pvx_ports 1 | tr '\n' ' ')"
declare -A XIP
for n in 1 2 3; do XIP[x$n]=$(net1_ip "x$n"); done
for from in x1 x2 x3; do
  for to in x1 x2 x3; do
    [ "$from" = "$to" ] || ping_clean "$from" "${XIP[$to]}"
  done
done
ping_ok x1 "$(pod_ip x2)"   # the pod network keeps working next to the segment

out=$(cni_with 1 "$(vx_config 1 | sed 's/"vx100"/"vx200"/; s/"vni":100/"vni":200/')" net2 ADD x1 || true)
grep -q '"code":7' <<<"$out" && grep -q 'br-vx.*VNI 100' <<<"$out" ||
  fail "a second VNI on br-vx must be refused with code 7: $out"
out=$(cni_with 1 "$(vx_config 1 | sed 's/"vx100"/"vx100b"/; s/"br-vx"/"br-vx2"/')" net2 ADD x1 || true)
grep -q '"code":7' <<<"$out" && grep -q 'VNI 100 on bridge br-vx2.*bridge br-vx ' <<<"$out" ||
  fail "VNI 100 on a second bridge must be refused with code 7: $out"

log "TCP over the segment, and VNI 100 on the underlay"
in_underlay timeout 30 tshark -l -n -i n1 -f "udp dst port 4789" -Y "vxlan.vni == 100" -T fields \
  -e vxlan.vni -c 1 >"$WORK/vni.out" 2>"$WORK/vni.err" &
tshark_pid=$!
BACKGROUND+=("$tshark_pid")
capturing "$WORK/vni.err"
head -c 2000000 /dev/urandom >"$WORK/seg.in"
in_pod x2 timeout 20 nc -l -p 5002 >"$WORK/seg.out" &
server=$!
BACKGROUND+=("$server")
sleep 0.5
in_pod x1 timeout 20 nc -q 1 "${XIP[x2]}" 5002 <"$WORK/seg.in" || true
wait "$server" || true
cmp -s "$WORK/seg.in" "$WORK/seg.out" ||
  fail "TCP x1 -> x2 on net1: $(stat -c %s "$WORK/seg.out") of 2000000 bytes arrived"
wait "$tshark_pid" || true
[ "$(cat "$WORK/vni.out")" = 100 ] || fail "no VNI 100 on the underlay: $(cat "$WORK/vni.out" "$WORK/vni.err")"

log "MTU: node 1's uplink at 1400; oversized DF frames on the segment get ICMP back (IPv4 and IPv6)"
in_node 1 ip link set ul0 mtu 1400
ll2=$(in_pod x2 ip -6 -o addr show dev net1 scope link | awk '{print $4}' | cut -d/ -f1)
[ -n "$ll2" ] || fail "x2's net1 has no IPv6 link-local address"
ping_ok x1 "${XIP[x2]}"   # neighbours and the next hop known before the big ones
in_pod x1 ping -6 -c 1 -W 1 "$ll2%net1" >/dev/null 2>&1 || true
v4= v6=
for _ in $(seq 1 10); do
  [ -n "$v4" ] || { out4=$(in_pod x1 ping -M do -s 1422 -c 1 -W 1 "${XIP[x2]}" 2>&1 || true)
                    grep -qiE "mtu ?= ?1350" <<<"$out4" && v4=1; }
  [ -n "$v6" ] || { out6=$(in_pod x1 ping -6 -M do -s 1402 -c 1 -W 1 "$ll2%net1" 2>&1 || true)
                    grep -qiE "packet too big.*mtu ?= ?1350" <<<"$out6" && v6=1; }
  [ -n "$v4" ] && [ -n "$v6" ] && break
  sleep 0.5
done
log "IPv4: $(grep -iE 'mtu' <<<"$out4" | head -1); IPv6: $(grep -iE 'mtu' <<<"$out6" | head -1)"
[ -n "$v4" ] || fail "no ICMP fragmentation needed (mtu 1350) on the segment: $out4"
[ -n "$v6" ] || fail "no ICMPv6 packet too big (mtu 1350) on the segment: $out6"
in_node 1 ip link set ul0 mtu 1500

log "membership: the cluster says (Multus objects) only x1 and x2 are on vx100: nobody tunnels to node 3"
cat >"$CLUSTER/vx100.yaml" <<'YAML'
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: vx100, namespace: test}
spec:
  config: '{"cniVersion":"1.1.0","name":"vx100","type":"podswitch","bridge":"br-vx","vni":100}'
YAML
# pod_object NAME NODE: the Pod as the API server would hold it, on vx100.
pod_object() {
  cat >"$CLUSTER/pod-$1.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: test, annotations: {k8s.v1.cni.cncf.io/networks: vx100}}
spec: {nodeName: node-$2}
status: {phase: Running}
YAML
}
pod_object x1 1
pod_object x2 2
for n in 1 2; do
  wait_for 10 "node $n stops tunnelling vx100 to node 3" no_pvx_to "$n" "$(node_ip 3)"
  pvx_count_is "$n" 1 || fail "node $n br-vx tunnels: $(pvx_ports "$n")"
done
pvx_count_is 3 2 || fail "node 3 must still reach the members on nodes 1 and 2: $(pvx_ports 3)"
ping_clean x1 "${XIP[x2]}"
pod_object x3 3
for n in 1 2; do wait_for 10 "node $n tunnels vx100 to node 3 again" pvx_count_is "$n" 2; done
ping_clean x1 "${XIP[x3]}"

log "node 3 leaves the cluster: nodes 1 and 2 drop their segment tunnel to it"
rm "$CLUSTER/node-3.yaml"
for n in 1 2; do
  wait_for 10 "node $n drops its br-vx tunnel to node 3" no_pvx_to "$n" "$(node_ip 3)"
  pvx_count_is "$n" 1 || fail "node $n br-vx tunnels: $(pvx_ports "$n")"
done
ping_clean x1 "${XIP[x2]}"
write_node 3
wait_for 10 "node 1 tunnels to node 3 again" pvx_count_is 1 2

log "agent restart on node 2, then DEL of its last segment member removes its segment tunnels"
stop_agent 2
start_agent 2
ctl 2 pod list | grep -E "x2 +net1 +br-vx +${XIP[x2]} " >/dev/null ||
  fail "pod list after the restart does not show x2's net1 address: $(ctl 2 pod list)"
cni_with 2 "$(with_prev "$(vx_config 2)" "$WORK/net1.x2.json")" net1 CHECK x2 >"$WORK/check2.out" || fail "CHECK after restart: $(cat "$WORK/check2.out")"
cni_with 2 "$(vx_config 2)" net1 DEL x2 >"$WORK/del.out" || fail "DEL x2 net1: $(cat "$WORK/del.out")"
wait_for 10 "node 2's br-vx loses its tunnel ports" pvx_count_is 2 0
in_pod x2 ip link show net1 >/dev/null 2>&1 && fail "x2 still has net1 after DEL"
cni_with 2 "$(vx_config 2)" net1 DEL x2 >/dev/null || fail "a second DEL must succeed"
out=$(cni_with 2 "$(with_prev "$(vx_config 2)" "$WORK/net1.x2.json")" net1 CHECK x2 || true)
grep -q '"code":3' <<<"$out" || fail "CHECK of a deleted attachment: $out"
add_net1 2 x2 "$(vx_config 2)"
[ "$(net1_ip x2)" = "${XIP[x2]}" ] || [ -n "$(net1_ip x2)" ] || fail "x2 re-ADD got no address"
wait_for 15 "node 2 tunnels again" pvx_count_is 2 2
ping_clean x3 "$(net1_ip x2)"

log "GC on node 1 with no valid attachments of vlan10 removes v1a's net1 only"
gc_config=$(vlan_config 1 10 | sed 's/}}$/},"cni.dev\/valid-attachments":[]}/')
cni_with 1 "$gc_config" "" GC >"$WORK/gc.out" || fail "GC: $(cat "$WORK/gc.out")"
in_pod v1a ip link show net1 >/dev/null 2>&1 && fail "GC left v1a's net1"
in_pod v1b ip link show net1 >/dev/null 2>&1 || fail "GC of vlan10 removed v1b (vlan20)"
log "reconcile: v1b's net1 vanishes while node 1's agent is down; the restarted agent forgets it"
ctl 1 pod list | grep -q 'v1b ' || fail "v1b missing from pod list before the test: $(ctl 1 pod list)"
stop_agent 1
v1b_port=$(grep -o '"name":"psw[0-9a-f]*"' "$WORK/net1.v1b.json" | head -1 | cut -d'"' -f4)
ctl 1 del-port br-vlan "$v1b_port"
in_node 1 ip link del "$v1b_port"
start_agent 1
wait_for 10 "node 1's pod list drops v1b" bash -c "! '$BIN/podswitchctl' --agent-socket '$WORK/n1/agent.sock' pod list | grep -q 'v1b '"
grep -q 'reconcile: network "vlan20"' "$WORK/n1/agent.log" || fail "no reconcile line in node 1's agent log"
log "PASS: VLAN access/trunk networks over a trunk uplink, VXLAN segment over three nodes, tunnels follow Nodes and members, restart, CHECK/DEL/GC"
