# Shared helpers for overlay tests: a cluster of nodes on one underlay. The underlay is a
# namespace holding a Linux bridge; each node is a namespace with a veth to that bridge
# (10.226.0.N/24), its own podswitchd and podswitch-agent, and every agent reads the same
# standalone directory of Node objects (podCIDR 10.225.N.0/24, InternalIP 10.226.0.N). Pods
# are namespaces wired by podswitch-cni, run in their node exactly as a container runtime
# runs it. Everything is removed on exit, pass or fail.
set -euo pipefail

BIN=${PODSWITCH_BIN:?set PODSWITCH_BIN to build/bin}
TAG=${TAG:-po$$}
WORK=$(mktemp -d /tmp/podswitch-overlay.XXXXXX)
CLUSTER=$WORK/cluster  # the standalone directory every agent watches
UNDERLAY=$TAG-ul
UNDERLAY_NET=10.226.0
POD_NET=10.225
declare -A SWITCHD_PID=() AGENT_PID=()
NODES=() PODS=() BACKGROUND=()

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
fail() {
  local n
  log "FAIL: $*"
  for n in "${NODES[@]}"; do
    [ -f "$WORK/n$n/agent.log" ] && { echo "--- agent of node $n:"; tail -15 "$WORK/n$n/agent.log"; }
    [ -s "$WORK/n$n/switchd.log" ] && { echo "--- podswitchd of node $n:"; tail -15 "$WORK/n$n/switchd.log"; }
  done
  [ -n "${KEEP_WORK:-}" ] && { cp -r "$WORK" "$KEEP_WORK"; log "work dir kept in $KEEP_WORK"; }
  # Debugging: PAUSE_ON_FAIL=SECONDS leaves the cluster up that long before cleaning up.
  [ -n "${PAUSE_ON_FAIL:-}" ] && { log "pausing ${PAUSE_ON_FAIL}s (TAG=$TAG, WORK=$WORK)"; sleep "$PAUSE_ON_FAIL"; }
  exit 1
}

source "$(dirname "${BASH_SOURCE[0]}")/../hugepages.sh"

cleanup() {
  local rc=$? pid n pod
  for pid in "${BACKGROUND[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BACKGROUND[@]}"; do wait "$pid" 2>/dev/null || true; done
  for n in "${NODES[@]}"; do stop_agent "$n" || true; done
  for n in "${NODES[@]}"; do stop_switchd "$n" || true; done
  for pod in "${PODS[@]}"; do ip netns del "$TAG-$pod" 2>/dev/null || true; done
  for n in "${NODES[@]}"; do ip netns del "$TAG-n$n" 2>/dev/null || true; done
  ip netns del "$UNDERLAY" 2>/dev/null || true
  for n in "${NODES[@]}"; do remove_hugepage_files "$TAG-n$n"; done
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM

in_node() { local n=$1; shift; ip netns exec "$TAG-n$n" "$@"; }
in_underlay() { ip netns exec "$UNDERLAY" "$@"; }
ctl() {
  local n=$1
  shift
  "$BIN/podswitchctl" --switch-socket "$WORK/n$n/switchd.sock" \
    --agent-socket "$WORK/n$n/agent.sock" "$@"
}
node_ip() { echo "$UNDERLAY_NET.$1"; }
node_cidr() { echo "$POD_NET.$1.0/24"; }

# The underlay: a namespace with bridge br0, which each node's uplink plugs into.
setup_underlay() {
  ip -o addr | grep -qE " ($UNDERLAY_NET|$POD_NET)\." && fail "$UNDERLAY_NET.0/24 or $POD_NET.0.0/16 is in use on this machine"
  ip netns add "$UNDERLAY"
  in_underlay ip link set lo up
  in_underlay ip link add br0 type bridge
  in_underlay ip link set br0 up
  mkdir -p "$CLUSTER"
}

# write_node N: Node node-N into the standalone directory (one file per node).
write_node() {
  local n=$1
  cat >"$CLUSTER/node-$n.yaml.tmp" <<EOF
apiVersion: v1
kind: Node
metadata:
  name: node-$n
spec:
  podCIDR: $(node_cidr "$n")
  podCIDRs: [$(node_cidr "$n")]
status:
  addresses:
    - type: InternalIP
      address: $(node_ip "$n")
    - type: Hostname
      address: node-$n
EOF
  mv "$CLUSTER/node-$n.yaml.tmp" "$CLUSTER/node-$n.yaml"
}

# add_node N: the node's namespace, its uplink ul0 (10.226.0.N/24) on the underlay bridge.
add_node() {
  local n=$1
  NODES+=("$n")
  mkdir -p "$WORK/n$n"
  ip netns add "$TAG-n$n"
  in_node "$n" ip link set lo up
  ip link add ul0 netns "$TAG-n$n" type veth peer name "n$n" netns "$UNDERLAY"
  in_underlay ip link set "n$n" master br0 up
  in_node "$n" ip addr add "$(node_ip "$n")/24" dev ul0
  in_node "$n" ip link set ul0 up
}

# Daemons start through `ip netns exec` directly: ip execs the daemon in place, so $! is the
# daemon itself and kill reaches it.
start_switchd() {
  local n=$1
  ip netns exec "$TAG-n$n" "$BIN/podswitchd" --db "$WORK/n$n/conf.db" \
    --socket "$WORK/n$n/switchd.sock" --instance "$TAG-n$n" --metrics off \
    --log-level "${SWITCHD_LOG_LEVEL:-info}" >>"$WORK/n$n/switchd.log" 2>&1 &
  SWITCHD_PID[$n]=$!
}

start_agent() {
  local n=$1
  ip netns exec "$TAG-n$n" "$BIN/podswitch-agent" --switch-socket "$WORK/n$n/switchd.sock" \
    --socket "$WORK/n$n/agent.sock" --state-dir "$WORK/n$n/state" --node-name "node-$n" \
    --standalone-dir "$CLUSTER" --metrics off --vhost-dir "$WORK/n$n/vhost" \
    ${AGENT_ARGS:-} >>"$WORK/n$n/agent.log" 2>&1 &
  AGENT_PID[$n]=$!
  for _ in $(seq 1 150); do
    if cni "$n" STATUS >/dev/null 2>&1; then return 0; fi
    kill -0 "${AGENT_PID[$n]}" 2>/dev/null || fail "agent of node $n exited"
    sleep 0.2
  done
  fail "agent of node $n not ready"
}

stop_agent() {
  local n=$1 pid=${AGENT_PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  AGENT_PID[$n]=
}

stop_switchd() {
  local n=$1 pid=${SWITCHD_PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  SWITCHD_PID[$n]=
}

# The network config a runtime would read from /etc/cni/net.d on node N.
config() {
  printf '{"cniVersion":"1.1.0","name":"podswitch","type":"podswitch","agentSocket":"%s"}' \
    "$WORK/n$1/agent.sock"
}

# cni N COMMAND [POD]: runs podswitch-cni in node N like containerd (container ctr-POD).
cni() { cni_with "$1" "$(config "$1")" eth0 "$2" "${3:-}"; }

# cni_with N CONFIG IFNAME COMMAND [POD]: the same with network config CONFIG (JSON) for
# interface IFNAME, as Multus runs a secondary network's plugin.
cni_with() {
  local n=$1 conf=$2 ifname=$3 command=$4 pod=${5:-}
  local netns= id=
  [ -n "$pod" ] && netns=/var/run/netns/$TAG-$pod && id=ctr-$pod
  printf '%s' "$conf" | in_node "$n" env -i PATH="$PATH" CNI_COMMAND="$command" CNI_CONTAINERID="$id" \
    CNI_NETNS="$netns" CNI_IFNAME="$ifname" CNI_PATH=/opt/cni/bin \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=test;K8S_POD_NAME=${pod:-none};K8S_POD_INFRA_CONTAINER_ID=$id" \
    "$BIN/podswitch-cni"
}

# add_pod N NAME: pod NAME in its own namespace, wired into node N by CNI ADD.
add_pod() {
  local n=$1 pod=$2
  PODS+=("$pod")
  ip netns add "$TAG-$pod"
  ip -n "$TAG-$pod" link set lo up
  cni "$n" ADD "$pod" >"$WORK/add.$pod.json" || fail "ADD $pod on node $n: $(cat "$WORK/add.$pod.json")"
}
# add_bare_pod NAME: a pod namespace with no network yet.
add_bare_pod() {
  PODS+=("$1")
  ip netns add "$TAG-$1"
  ip -n "$TAG-$1" link set lo up
}
in_pod() { local pod=$1; shift; ip netns exec "$TAG-$pod" "$@"; }
pod_ip() { in_pod "$1" ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1; }

# ping_ok FROM IP: FROM reaches IP. The first packets to a node the switch has not talked to
# yet may be dropped while it resolves the underlay next hop (ARP), so try a few times.
ping_ok() {
  local from=$1 ip=$2
  for _ in 1 2 3 4 5; do
    in_pod "$from" ping -c 1 -W 1 "$ip" >/dev/null 2>&1 && return 0
  done
  fail "$from cannot ping $ip"
}

# df_ping_ok FROM IP SIZE: one ping with SIZE bytes of payload and DF set gets its answer.
df_ping_ok() { in_pod "$1" ping -M do -s "$3" -c 1 -W 1 "$2" >/dev/null 2>&1; }

# tcp_ok FROM TO: 2 MB over TCP from pod FROM to pod TO arrive whole.
tcp_ok() {
  local from=$1 to=$2 server
  head -c 2000000 /dev/urandom >"$WORK/tcp.in"
  in_pod "$to" timeout 20 nc -l -p 5001 >"$WORK/tcp.out" &
  server=$!
  BACKGROUND+=("$server")
  sleep 0.5
  in_pod "$from" timeout 20 nc -q 1 "$(pod_ip "$to")" 5001 <"$WORK/tcp.in" || true
  wait "$server" || true
  cmp -s "$WORK/tcp.in" "$WORK/tcp.out" ||
    fail "TCP $from -> $to: $(stat -c %s "$WORK/tcp.out") of 2000000 bytes arrived"
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
  local seconds=$1 what=$2 deadline
  shift 2
  deadline=$(($(date +%s) + seconds))
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "not within ${seconds}s: $what"
    sleep 0.2
  done
}

# capturing STDERR_FILE...: waits (up to 10 s) until each tshark says it is capturing.
capturing() {
  local file
  for _ in $(seq 1 50); do
    for file in "$@"; do grep -q "Capturing on" "$file" || { sleep 0.2; continue 2; }; done
    return 0
  done
  return 0
}

# has_tunnel_port N: node N's br-int has tun0.
has_tunnel_port() { grep -qx tun0 <<<"$(ctl "$1" list-ports br-int 2>/dev/null)"; }
# tunnel_flows N: node N's overlay flows (their cookies have top byte 0x02).
tunnel_flows() {
  ctl "$1" dump-flows br-int 'cookie=0x200000000000000/0xff00000000000000' --no-stats
}
# has_route_to N CIDR: node N sends CIDR into the tunnel.
has_route_to() { grep -qF "nw_dst=$2 " <<<"$(tunnel_flows "$1")"; }
no_route_to() { ! has_route_to "$@"; }
# tunnel_flow_count_is N COUNT: node N has exactly COUNT overlay flows.
tunnel_flow_count_is() { [ "$(tunnel_flows "$1" | grep -c 'actions=' || true)" -eq "$2" ]; }
