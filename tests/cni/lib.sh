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
BACKGROUND=()  # extra processes a scenario started (ping, testpmd): killed on exit

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
fail() {
  log "FAIL: $*"
  [ -f "$WORK/agent.log" ] && tail -20 "$WORK/agent.log"
  [ -s "$WORK/switchd.log" ] && { echo "--- podswitchd:"; tail -20 "$WORK/switchd.log"; }
  [ -n "${KEEP_WORK:-}" ] && { cp -r "$WORK" "$KEEP_WORK"; log "work dir kept in $KEEP_WORK"; }
  exit 1
}

source "$(dirname "${BASH_SOURCE[0]}")/../hugepages.sh"

cleanup() {
  local rc=$?
  for pid in "${BACKGROUND[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BACKGROUND[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_agent || true
  [ -n "$SWITCHD_PID" ] && { kill "$SWITCHD_PID" 2>/dev/null; wait "$SWITCHD_PID" 2>/dev/null || true; }
  for pod in "${PODS[@]}"; do ip netns del "$TAG-$pod" 2>/dev/null || true; done
  ip netns del "$NODE" 2>/dev/null || true
  remove_hugepage_files "$TAG"
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM

in_node() { ip netns exec "$NODE" "$@"; }
ctl() { "$BIN/podswitchctl" --switch-socket "$WORK/switchd.sock" --agent-socket "$WORK/agent.sock" "$@"; }

start_node() {
  ip -o addr | grep -q " ${POD_CIDR%.0/*}\." && fail "$POD_CIDR is in use on this machine"
  ip netns add "$NODE"
  ip -n "$NODE" link set lo up
  start_switchd
  start_agent
}

# Daemons start through `ip netns exec` directly, not through in_node: `in_node ... &` forks a
# bash subshell, so $! would be the subshell and kill would orphan the daemon. ip execs the
# daemon in place, so $! is the daemon itself.
start_switchd() {
  ip netns exec "$NODE" "$BIN/podswitchd" --db "$WORK/conf.db" --socket "$WORK/switchd.sock" \
    --instance "$TAG" --metrics off --log-level warn >>"$WORK/switchd.log" 2>&1 &
  SWITCHD_PID=$!
}

start_agent() {
  ip netns exec "$NODE" "$BIN/podswitch-agent" --switch-socket "$WORK/switchd.sock" --socket "$WORK/agent.sock" \
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

# The agent dies without cleaning up (SIGKILL), as in a node crash or OOM kill.
kill_agent() {
  [ -n "$AGENT_PID" ] || return 0
  kill -9 "$AGENT_PID" 2>/dev/null || true
  wait "$AGENT_PID" 2>/dev/null || true
  AGENT_PID=
}

stop_switchd() {
  [ -n "$SWITCHD_PID" ] || return 0
  kill "$SWITCHD_PID" 2>/dev/null || true
  wait "$SWITCHD_PID" 2>/dev/null || true
  SWITCHD_PID=
}

# The network config a runtime would read from /etc/cni/net.d (one plugin).
config() {
  local version=${CNI_VERSION:-1.1.0}
  printf '{"cniVersion":"%s","name":"podswitch","type":"podswitch","agentSocket":"%s"%s}' \
    "$version" "$WORK/agent.sock" "${EXTRA_CONFIG:-}"
}

# cni COMMAND [CONTAINER_ID] [POD]: runs podswitch-cni like containerd, prints its stdout.
# CNI_ARGS_EXTRA (";KEY=VALUE...") is appended to CNI_ARGS.
cni() {
  local command=$1 id=${2:-} pod=${3:-}
  local netns=
  [ -n "$pod" ] && netns=/var/run/netns/$TAG-$pod
  config | in_node env -i PATH="$PATH" CNI_COMMAND="$command" CNI_CONTAINERID="$id" \
    CNI_NETNS="$netns" CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=test;K8S_POD_NAME=${pod:-none};K8S_POD_INFRA_CONTAINER_ID=$id${CNI_ARGS_EXTRA:-}" \
    "$BIN/podswitch-cni"
}

# cni_env CONFIG NAME=VALUE...: runs podswitch-cni in the node with exactly these variables
# (nothing inherited but PATH) and CONFIG on stdin; prints its stdout, returns its exit code.
cni_env() {
  local config=$1
  shift
  printf '%s' "$config" | in_node env -i PATH="$PATH" "$@" "$BIN/podswitch-cni"
}

# The first IP of an ADD result (without the prefix length); a JSON path of any JSON text.
result_ip() { jq -r '.ips[0].address' <<<"$1" | cut -d/ -f1; }
json_get() { jq -r "$1" <<<"$2"; }

# launch_adds FIRST LAST: starts ADD for pods pFIRST..pLAST (containers ctr-pN) all at once,
# each in the background writing $WORK/add.N.out and $WORK/add.N.rc; wait_adds waits for them.
ADD_PIDS=()
launch_adds() {
  local i
  for i in $(seq "$1" "$2"); do
    (
      rc=0
      cni ADD "ctr-p$i" "p$i" >"$WORK/add.$i.out" 2>"$WORK/add.$i.err" || rc=$?
      echo "$rc" >"$WORK/add.$i.rc"
    ) &
    ADD_PIDS+=($!)
    BACKGROUND+=($!)
  done
}
wait_adds() {
  local pid
  for pid in "${ADD_PIDS[@]}"; do wait "$pid" || true; done
  ADD_PIDS=()
}

# del_all FIRST LAST: DEL for pods pFIRST..pLAST, all at once; fails unless every DEL succeeds.
del_all() {
  local i pids=() failed=0
  for i in $(seq "$1" "$2"); do
    cni DEL "ctr-p$i" "p$i" >"$WORK/del.$i.out" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
  [ "$failed" -eq 0 ] || fail "$failed DELs failed: $(cat "$WORK"/del.*.out | sort | uniq -c)"
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

# Nothing of a pod left: no host veth in the node, no port on br-int, no flow but the base
# flows (cookie 0x1), no IP allocated (agent API and the IPAM database itself), no pod
# interface in the pods' namespaces, no vhost-user socket folder. Needs the agent running.
assert_no_leftovers() {
  local veths ports flows pods allocated rows ifaces pod vhost
  veths=$(in_node ip -o link show | grep -c ' psw' || true)
  ports=$(ctl list-ports br-int | grep -c '^psw' || true)
  flows=$(ctl dump-flows br-int | grep -v '^ cookie=0x1,' | grep -c 'actions=' || true)
  pods=$(ctl pod list --format json | jq length)
  allocated=$(ctl ipam show --format json | jq '.allocated + (.allocations | length)')
  rows=$(ipam_db_rows)
  ifaces=0
  for pod in "${PODS[@]}"; do
    ip netns exec "$TAG-$pod" ip -o link show 2>/dev/null | grep -qv ': lo:' && ifaces=$((ifaces + 1))
  done
  vhost=0
  [ -d "$WORK/vhost" ] && vhost=$(find "$WORK/vhost" -mindepth 1 | wc -l)
  [ "$veths" -eq 0 ] || fail "$veths pod veths left in the node"
  [ "$ports" -eq 0 ] || fail "$ports pod ports left on br-int"
  [ "$flows" -eq 0 ] || fail "$flows pod flows left on br-int: $(ctl dump-flows br-int --no-stats)"
  [ "$pods" -eq 0 ] || fail "pod list shows $pods pods: $(ctl pod list)"
  [ "$allocated" -eq 0 ] || fail "ipam show: $(ctl ipam show)"
  [ "$rows" -eq 0 ] || fail "$rows allocations left in $WORK/state/ipam.db"
  [ "$ifaces" -eq 0 ] || fail "$ifaces pod namespaces still have an interface"
  [ "$vhost" -eq 0 ] || fail "vhost-user folders left: $(ls "$WORK/vhost")"
}

# Allocations in the agent's IPAM database, read directly. The agent holds the database in
# SQLite's exclusive locking mode, so read a copy (database + WAL) taken while nothing changes.
ipam_db_rows() {
  local db=$WORK/state/ipam.db copy=$WORK/ipam-copy
  [ -f "$db" ] || { echo 0; return; }
  rm -rf "$copy" && mkdir "$copy"
  cp "$db" "$copy/ipam.db"
  [ -f "$db-wal" ] && cp "$db-wal" "$copy/ipam.db-wal"
  sqlite3 "$copy/ipam.db" 'SELECT count(*) FROM allocations'
  rm -rf "$copy"
}
