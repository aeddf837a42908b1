# Shared helpers for CNI tests: a node is a network namespace holding podswitchd and
# podswitch-agent (so the gateway tap and its address never touch the machine's own
# namespace); pods are namespaces; podswitch-cni runs in the node namespace exactly as a
# container runtime runs it (CNI_* environment, config on stdin). Everything is removed on
# exit, pass or fail.
set -euo pipefail

BIN=${PODSWITCH_BIN:?set PODSWITCH_BIN to build/bin}
TAG=${TAG:-pc$$}
WORK=$(mktemp -d /tmp/podswitch-cni.XXXXXX)
NODE=$TAG-node
POD_CIDR=${POD_CIDR:-10.250.100.0/24}
GATEWAY=${POD_CIDR%.0/*}.1
SWITCHD_PID= AGENT_PID=
PODS=()

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
fail() { log "FAIL: $*"; [ -f "$WORK/agent.log" ] && tail -20 "$WORK/agent.log"; exit 1; }

cleanup() {
  local rc=$?
  stop_agent || true
  [ -n "$SWITCHD_PID" ] && { kill "$SWITCHD_PID" 2>/dev/null; wait "$SWITCHD_PID" 2>/dev/null || true; }
  for pod in "${PODS[@]}"; do ip netns del "$TAG-$pod" 2>/dev/null || true; done
  ip netns del "$NODE" 2>/dev/null || true
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM

in_node() { ip netns exec "$NODE" "$@"; }
ctl() { "$BIN/podswitchctl" --switch-socket "$WORK/switchd.sock" "$@"; }

start_node() {
  ip -o addr | grep -q " ${POD_CIDR%.0/*}\." && fail "$POD_CIDR is in use on this machine"
  ip netns add "$NODE"
  ip -n "$NODE" link set lo up
  in_node "$BIN/podswitchd" --db "$WORK/conf.db" --socket "$WORK/switchd.sock" \
    --instance "$TAG" --metrics off --log-level warn >"$WORK/switchd.log" 2>&1 &
  SWITCHD_PID=$!
  start_agent
}

start_agent() {
  in_node "$BIN/podswitch-agent" --switch-socket "$WORK/switchd.sock" --socket "$WORK/agent.sock" \
    --state-dir "$WORK/state" --pod-cidr "$POD_CIDR" --node-name "$TAG" --metrics off \
    --vhost-dir "$WORK/vhost" ${AGENT_ARGS:-} >>"$WORK/agent.log" 2>&1 &
  AGENT_PID=$!
  for _ in $(seq 1 100); do
    if cni STATUS >/dev/null 2>&1; then return 0; fi
    kill -0 "$AGENT_PID" 2>/dev/null || fail "agent exited"
    sleep 0.1
  done
  fail "agent not ready"
}

stop_agent() {
  [ -n "$AGENT_PID" ] || return 0
  kill "$AGENT_PID" 2>/dev/null || true
  wait "$AGENT_PID" 2>/dev/null || true
  AGENT_PID=
}

# The network config a runtime would read from /etc/cni/net.d (one plugin).
config() {
  local version=${CNI_VERSION:-1.1.0}
  printf '{"cniVersion":"%s","name":"podswitch","type":"podswitch","agentSocket":"%s"%s}' \
    "$version" "$WORK/agent.sock" "${EXTRA_CONFIG:-}"
}

# cni COMMAND [CONTAINER_ID] [POD]: runs podswitch-cni like containerd, prints its stdout.
cni() {
  local command=$1 id=${2:-} pod=${3:-}
  local netns=
  [ -n "$pod" ] && netns=/var/run/netns/$TAG-$pod
  config | in_node env -i PATH="$PATH" CNI_COMMAND="$command" CNI_CONTAINERID="$id" \
    CNI_NETNS="$netns" CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=test;K8S_POD_NAME=${pod:-none};K8S_POD_INFRA_CONTAINER_ID=$id" \
    "$BIN/podswitch-cni"
}

make_pod() { PODS+=("$1"); ip netns add "$TAG-$1"; ip -n "$TAG-$1" link set lo up; }
in_pod() { local pod=$1; shift; ip netns exec "$TAG-$pod" "$@"; }
pod_ip() { in_pod "$1" ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1; }
ping_ok() { in_pod "$1" ping -c 3 -i 0.2 -W 1 "$2" >/dev/null || fail "$1 cannot ping $2"; }

# tcp_ok FROM TO IP: 1 MB over TCP arrives whole.
tcp_ok() {
  head -c 1000000 /dev/urandom >"$WORK/tcp.in"
  in_pod "$2" timeout 15 nc -l -p 5001 >"$WORK/tcp.out" &
  local server=$!
  sleep 0.3
  in_pod "$1" timeout 15 nc -q 1 "$3" 5001 <"$WORK/tcp.in" || true
  wait "$server" || true
  cmp -s "$WORK/tcp.in" "$WORK/tcp.out" || fail "TCP $1 -> $3: $(stat -c %s "$WORK/tcp.out") of 1000000 bytes"
}

# Nothing of a pod left: no host veth in the node, no port on br-int.
assert_no_leftovers() {
  local veths ports
  veths=$(in_node ip -o link show | grep -c ' psw' || true)
  ports=$(ctl list-ports br-int | grep -c '^psw' || true)
  [ "$veths" -eq 0 ] || fail "$veths pod veths left in the node"
  [ "$ports" -eq 0 ] || fail "$ports pod ports left on br-int"
}
