# shellcheck shell=bash
# Shared helpers for podswitchd scenario tests: a private podswitchd (own database, socket,
# DPDK file prefix, no metrics port), pods as network namespaces with a veth whose host end
# becomes a switch port, and cleanup of everything on exit, pass or fail.
# Tests read like an operator's session: `ctl add-port br0 ...`, `in_pod a ping ...`.
set -euo pipefail

BIN=${PODSWITCH_BIN:?set PODSWITCH_BIN to build/bin}
TAG=${TAG:-ps$$}                    # prefix of every name this test creates
WORK=$(mktemp -d /tmp/podswitch-test.XXXXXX)
SOCK=$WORK/switchd.sock
DB=$WORK/conf.db
SWITCHD_PID=
PODS=()
BG_PIDS=()                          # other processes a test started (testpmd, monitors)
METRICS=${METRICS:-off}             # podswitchd --metrics (a test may set HOST:PORT)
HOST_NS=                            # node namespace for podswitchd and the pods' host ends
EXTRA_NS=()                         # other namespaces a test made (node, remote VTEP)

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
fail() { log "FAIL: $*"; exit 1; }

source "$(dirname "${BASH_SOURCE[0]}")/../hugepages.sh"

cleanup() {
  local rc=$?
  local pid
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_switchd || true
  if [ "$rc" -ne 0 ] && [ -s "$WORK/switchd.log" ]; then
    log "last lines of podswitchd's log:"; tail -n 30 "$WORK/switchd.log"
  fi
  for pod in "${PODS[@]}"; do
    ip netns del "$TAG-$pod" 2>/dev/null || true
    ip link del "$TAG$pod" 2>/dev/null || true
  done
  for ns in "${EXTRA_NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  remove_hugepage_files "$TAG"
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM

ctl() { "$BIN/podswitchctl" --switch-socket "$SOCK" "$@"; }

# make_node_ns: podswitchd and the pods' host ends live in a namespace of their own (tests
# that give the node addresses: those never go into the machine's root namespace).
make_node_ns() {
  HOST_NS=$TAG-node
  EXTRA_NS+=("$HOST_NS")
  ip netns add "$HOST_NS"
  ip -n "$HOST_NS" link set lo up
}

# in_node CMD...: runs CMD where podswitchd runs (the node namespace, if any).
in_node() { if [ -n "$HOST_NS" ]; then ip netns exec "$HOST_NS" "$@"; else "$@"; fi; }

# track_bg PID...: kill these (by PID) and wait for them on exit, before podswitchd stops.
track_bg() { BG_PIDS+=("$@"); }

# free_tcp_port: a TCP port on 127.0.0.1 nothing listens on right now.
free_tcp_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# podswitchd starts directly or through `ip netns exec`, never through the in_node function:
# `in_node ... &` forks a bash subshell, so $! would be the subshell, and stop_switchd and
# kill9_switchd would kill it and orphan podswitchd (which then never closes its database).
start_switchd() {
  local run=("$BIN/podswitchd")
  [ -n "$HOST_NS" ] && run=(ip netns exec "$HOST_NS" "$BIN/podswitchd")
  "${run[@]}" --db "$DB" --socket "$SOCK" --instance "$TAG" --metrics "$METRICS" \
    --log-level "${LOG_LEVEL:-warn}" "$@" >"$WORK/switchd.log" 2>&1 &
  SWITCHD_PID=$!
  for _ in $(seq 1 100); do
    if ctl show >/dev/null 2>&1; then return 0; fi
    kill -0 "$SWITCHD_PID" 2>/dev/null || { cat "$WORK/switchd.log"; fail "podswitchd exited"; }
    sleep 0.1
  done
  cat "$WORK/switchd.log"
  fail "podswitchd did not answer on $SOCK"
}

stop_switchd() {
  [ -n "$SWITCHD_PID" ] || return 0
  kill "$SWITCHD_PID" 2>/dev/null || true
  wait "$SWITCHD_PID" 2>/dev/null || true
  SWITCHD_PID=
}

kill9_switchd() {
  kill -9 "$SWITCHD_PID"
  wait "$SWITCHD_PID" 2>/dev/null || true
  SWITCHD_PID=
}

# make_pod NAME IP/PREFIX [VLAN]: a namespace with eth0 (or eth0.VLAN) at IP; the host end
# of its veth is named $TAG$NAME. Checksum offload is off on the pod side (see the bench
# README: a userspace switch otherwise sees TCP without checksums).
make_pod() {
  local name=$1 addr=$2 vlan=${3:-}
  local ns=$TAG-$name host=$TAG$name
  PODS+=("$name")
  ip netns add "$ns"
  in_node ip link add "$host" type veth peer name eth0 netns "$ns"
  ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1 || true
  in_node ip link set "$host" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  if [ -n "$vlan" ]; then
    ip -n "$ns" link add link eth0 name "eth0.$vlan" type vlan id "$vlan"
    ip -n "$ns" link set "eth0.$vlan" up
    ip -n "$ns" addr add "$addr" dev "eth0.$vlan"
  else
    ip -n "$ns" addr add "$addr" dev eth0
  fi
}

# add_vlan_if POD VLAN IP/PREFIX: another VLAN sub-interface in a pod (trunk tests).
add_vlan_if() {
  local ns=$TAG-$1
  ip -n "$ns" link add link eth0 name "eth0.$2" type vlan id "$2"
  ip -n "$ns" link set "eth0.$2" up
  ip -n "$ns" addr add "$3" dev "eth0.$2"
}

in_pod() { local pod=$1; shift; ip netns exec "$TAG-$pod" "$@"; }
host_if() { echo "$TAG$1"; }
mac_of() { ip -n "$TAG-$1" -br link show "${2:-eth0}" | awk '{print $3}'; }

# ping_ok POD IP: a few pings must get through (the first may be lost to learning).
ping_ok() { in_pod "$1" ping -c 3 -i 0.2 -W 1 "$2" >/dev/null || fail "$1 cannot ping $2"; }
ping_fails() { if in_pod "$1" ping -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1; then fail "$1 can ping $2"; fi; }

# tcp_ok FROM TO_POD TO_IP: a 1 MB TCP transfer arrives whole.
tcp_ok() {
  local from=$1 to=$2 ip=$3 port=${4:-5001}
  head -c 1000000 /dev/urandom >"$WORK/tcp.in"
  in_pod "$to" timeout 15 nc -l -p "$port" >"$WORK/tcp.out" &
  local server=$!
  sleep 0.3
  in_pod "$from" timeout 15 nc -q 1 "$ip" "$port" <"$WORK/tcp.in" || true
  wait "$server" || true
  cmp -s "$WORK/tcp.in" "$WORK/tcp.out" || fail "TCP $from -> $ip: $(stat -c %s "$WORK/tcp.out") of 1000000 bytes"
}

# The hostname's route: checks that 10.250/16 is free in the root namespace.
ip -o addr | grep -q ' 10\.250\.' && fail "10.250.0.0/16 is in use on this machine; pick another range"
true
