#!/usr/bin/env bash
# Podswitch in the shared peer benchmark (../shared/bench/dp-peer/run-peers.sh): shows
# podswitchd's 64-byte Mpps through a vhost-user loop (NORMAL, or port rules for the
# open-loop generator; optionally behind 1,000 ACL rules) and pod-to-pod TCP over veths
# (afxdp ports), in the same run and with the same generators as OVS-DPDK, testpmd and the
# Linux bridge. Run as root; see bench/README.md.
#
#   bench/switch-peers.sh                      # run-peers with podswitch as the candidate
#   ACL_RULES=1000 bench/switch-peers.sh       # the same, podswitch behind 1,000 ACL rules
#   ROUNDS=1 SECS=5 ONLY='vhost' bench/switch-peers.sh   # a short trial
# Any run-peers.sh variable (ROUNDS, SECS, TXF, ONLY, OUT) passes through.
#
# Internally run-peers.sh calls this script back as the candidate's command:
#   switch-peers.sh --vhost   (env DPB_SOCK0 DPB_SOCK1 DPB_CPU DPB_GEN_MODE)
#   switch-peers.sh --veth    (env DPB_IF0 DPB_IF1 DPB_CPU)
# which runs podswitchd in the foreground (fresh database in a temp dir), configures it with
# podswitchctl once it answers, and stops it on SIGTERM.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${PODSWITCH_BIN:-$ROOT/build/bin}
PEERS=${PEERS_DIR:-$(cd "$ROOT/../shared/bench/dp-peer" 2>/dev/null && pwd || echo /work/shared/bench/dp-peer)}
ACL_RULES=${ACL_RULES:-0}

# ---------------------------------------------------------------- the candidate's command
# acl_rules N: N drop rules at priority 100 that the generators' traffic never matches (the
# generators send UDP between 198.18.0.0/15 addresses; these are TCP and other subnets).
# Four masks (a /32 pair with a port, a /24 pair with a port, /16 sources, a port alone),
# so a classifier miss walks several tuples, as policy ACLs do.
acl_rules() {
  local n=$1 i a b
  for ((i = 0; i < n; i++)); do
    a=$((i / 250)); b=$((i % 250 + 1))
    case $((i % 4)) in
      0) echo "priority=100,tcp,nw_src=10.$a.$b.1,nw_dst=10.200.$b.$a,tp_dst=$((1000 + i)),actions=drop" ;;
      1) echo "priority=100,tcp,nw_src=10.$a.$b.0/24,nw_dst=172.16.$b.0/24,tp_dst=$((2000 + i)),actions=drop" ;;
      2) echo "priority=100,ip,nw_src=11.$((i / 4)).0.0/16,actions=drop" ;;
      3) echo "priority=100,udp,tp_dst=$((20000 + i)),actions=drop" ;;
    esac
  done
}

candidate() {
  local mode=$1
  local work; work=$(mktemp -d /tmp/dpbps.XXXXXX)
  local sock=$work/switchd.sock cpu=${DPB_CPU:-0} pid
  ctl() { "$BIN/podswitchctl" --switch-socket "$sock" "$@"; }
  # podswitchd in its own process group: run-peers' SIGTERM (to our group, then to us)
  # reaches this wrapper alone, which saves the PMD counters, then stops podswitchd. Should
  # the wrapper be killed outright, podswitchd gets SIGTERM from the kernel (pdeathsig).
  # All its threads (one PMD) on $DPB_CPU.
  setsid setpriv --pdeathsig TERM taskset -c "$cpu" "$BIN/podswitchd" --db "$work/conf.db" --socket "$sock" \
    --instance "dpbps$$" --metrics off --pmd-threads 1 --log-level "${LOG_LEVEL:-warn}" &
  pid=$!
  stop() {
    # Ignore run-peers' second SIGTERM (it signals the group, then the leader): with the
    # default action it would kill us half-way. Stay under its 5 s grace before SIGKILL.
    trap '' TERM INT
    trap - EXIT
    echo "--- pmd-stats-show at stop"
    ctl -t 1 pmd-stats-show 2>&1 || true
    ctl -t 1 dump-ports br0 2>&1 || true
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$work"
    exit 0
  }
  trap stop TERM INT EXIT
  for _ in $(seq 1 200); do
    ctl -t 1 show >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "podswitchd exited"; exit 1; }
    sleep 0.1
  done
  ctl add-br br0
  # Flows first, ports last: the generator starts as soon as the sockets exist.
  {
    acl_rules "$ACL_RULES"
    if [ "$mode" = vhost ] && [ "${DPB_GEN_MODE:-io}" = flowgen ]; then
      # flowgen's MACs are fixed whatever the ports: forward port to port, as for OVS.
      echo "priority=0,in_port=1,actions=output:2"
      echo "priority=0,in_port=2,actions=output:1"
    else
      echo "priority=0,actions=NORMAL"
    fi
  } >"$work/flows.txt"
  ctl add-flows br0 "$work/flows.txt"
  if [ "$mode" = vhost ]; then
    ctl add-port br0 dpbvhu0 type=vhostuser ofport_request=1 options:vhost-server-path="$DPB_SOCK0"
    ctl add-port br0 dpbvhu1 type=vhostuser ofport_request=2 options:vhost-server-path="$DPB_SOCK1"
  else
    ctl add-port br0 "$DPB_IF0" type=afxdp ofport_request=1
    ctl add-port br0 "$DPB_IF1" type=afxdp ofport_request=2
  fi
  local what=$mode
  [ "$mode" = vhost ] && what="vhost, generator ${DPB_GEN_MODE:-io}"
  echo "podswitchd pid $pid on cpu $cpu: $(ctl dump-flows br0 --no-stats | wc -l) flows ($ACL_RULES ACL rules), $what"
  ctl show
  wait "$pid" || true
  echo "podswitchd exited by itself"
}

case "${1:-}" in
  --vhost) candidate vhost; exit ;;
  --veth) candidate veth; exit ;;
  -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
esac

# ---------------------------------------------------------------- the run
[ -x "$BIN/podswitchd" ] && [ -x "$BIN/podswitchctl" ] || { echo "build podswitchd and podswitchctl first ($BIN)"; exit 1; }
[ -x "$PEERS/run-peers.sh" ] || { echo "no run-peers.sh in $PEERS (set PEERS_DIR)"; exit 1; }
name=podswitch
[ "$ACL_RULES" -gt 0 ] && name=podswitch-acl$ACL_RULES
export ACL_RULES PODSWITCH_BIN="$BIN"
export SWITCH_NAME=${SWITCH_NAME:-$name}
export SWITCH_VHOST_ROLE=server        # podswitchd's vhostuser ports create the sockets
export SWITCH_VHOST_CMD="$HERE/switch-peers.sh --vhost"
export SWITCH_VETH_CMD="$HERE/switch-peers.sh --veth"
exec "$PEERS/run-peers.sh"
