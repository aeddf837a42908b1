#!/usr/bin/env bash
# The README's main job: a local Podswitch node in standalone mode, end to end.
#   1. sets the machine up and builds (scripts/setup.sh, scripts/build.sh);
#   2. writes a standalone cluster directory (a Node with its podCIDR, a Namespace, Pods);
#   3. starts podswitchd and podswitch-agent in a node network namespace;
#   4. creates three pods (network namespaces) through podswitch-cni exactly as a container
#      runtime does (CNI_* environment, network config on stdin) and prints their IPs;
#   5. prints a reachability matrix (ping between every pair and to the gateway), puts two
#      pods on a secondary VLAN network (net1) and pings over it, prints `podswitchctl pod
#      list`, `show` and the flows of br-int;
#   6. cleans everything up on exit or Ctrl-C (--wait keeps the node up until Ctrl-C).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
wait_for_ctrl_c=false
[ "${1:-}" = "--wait" ] && wait_for_ctrl_c=true

"$top/scripts/setup.sh"
"$top/scripts/build.sh" >/dev/null
bin=${PODSWITCH_BUILD_DIR:-$top/build}/bin

tag=psdemo
node=$tag-node
work=$(mktemp -d /tmp/podswitch-demo.XXXXXX)
pod_cidr=10.250.200.0/24
pods=(frontend backend db)
switchd_pid= agent_pid=

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

source "$top/tests/hugepages.sh"
cleanup() {
  set +e
  say "Cleaning up"
  for pod in "${pods[@]}"; do
    [ -n "$l2_config" ] && [ -e "/var/run/netns/$tag-$pod" ] && net1 DEL "$pod" >/dev/null 2>&1
    [ -e "/var/run/netns/$tag-$pod" ] && cni DEL "$pod" >/dev/null 2>&1
    ip netns del "$tag-$pod" 2>/dev/null
  done
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  [ -n "$switchd_pid" ] && kill "$switchd_pid" 2>/dev/null && wait "$switchd_pid" 2>/dev/null
  ip netns del "$node" 2>/dev/null
  ip netns del "$tag-underlay" 2>/dev/null
  remove_hugepage_files "$tag"
  rm -rf "$work"
  echo "done: namespaces, processes and files removed"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ip -o addr | grep -qE ' 10\.250\.(200|230)\.'; then
  echo "demo: $pod_cidr is already used on this machine; stop the other user first" >&2
  exit 1
fi
for stale in $(ip netns list | awk '{print $1}' | grep "^$tag-" || true); do ip netns del "$stale"; done

say "Standalone cluster directory $work/cluster"
mkdir -p "$work/cluster"
cat >"$work/cluster/node.yaml" <<YAML
apiVersion: v1
kind: Node
metadata:
  name: demo-node
spec:
  podCIDR: $pod_cidr
status:
  addresses:
  - type: InternalIP
    address: 192.0.2.10
---
apiVersion: v1
kind: Namespace
metadata:
  name: demo
  labels: {team: demo}
YAML
for pod in "${pods[@]}"; do
  cat >"$work/cluster/pod-$pod.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $pod, namespace: demo, labels: {app: $pod}}
spec: {nodeName: demo-node}
YAML
done
ls "$work/cluster"

say "Starting podswitchd and podswitch-agent in network namespace $node"
ip netns add "$node"
ip -n "$node" link set lo up
# The node's uplink (its InternalIP, where VXLAN to other nodes would go) to an underlay
# namespace standing for the network: the agent's tunnel port finds it by that address.
ip netns add "$tag-underlay"
ip -n "$node" link add eth0 type veth peer name "node0" netns "$tag-underlay"
ip -n "$node" addr add 192.0.2.10/24 dev eth0
ip -n "$node" link set eth0 up
ip -n "$tag-underlay" link set node0 up
ip netns exec "$node" "$bin/podswitchd" --db "$work/conf.db" --socket "$work/switchd.sock" \
  --instance "$tag" --metrics off --log-level warn >"$work/switchd.log" 2>&1 &
switchd_pid=$!
ip netns exec "$node" "$bin/podswitch-agent" --switch-socket "$work/switchd.sock" \
  --socket "$work/agent.sock" --state-dir "$work/state" --node-name demo-node \
  --standalone-dir "$work/cluster" --metrics off --vhost-dir "$work/vhost" \
  --log-level warn >"$work/agent.log" 2>&1 &
agent_pid=$!
ctl() { "$bin/podswitchctl" --switch-socket "$work/switchd.sock" "$@"; }

# cni COMMAND POD: podswitch-cni as containerd runs it.
cni() {
  local id=demo-$2
  printf '{"cniVersion":"1.1.0","name":"podswitch","type":"podswitch","agentSocket":"%s"}' \
    "$work/agent.sock" |
    ip netns exec "$node" env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID="$id" \
      CNI_NETNS="/var/run/netns/$tag-$2" CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin \
      CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=$2;K8S_POD_INFRA_CONTAINER_ID=$id" \
      "$bin/podswitch-cni"
}

# net1 COMMAND POD: the same for the secondary network's interface net1.
net1() {
  local id=demo-$2
  printf '%s' "$l2_config" |
    ip netns exec "$node" env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID="$id" \
      CNI_NETNS="/var/run/netns/$tag-$2" CNI_IFNAME=net1 CNI_PATH=/opt/cni/bin \
      CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=$2;K8S_POD_INFRA_CONTAINER_ID=$id" \
      "$bin/podswitch-cni"
}
l2_config=
for _ in $(seq 1 100); do
  printf '{"cniVersion":"1.1.0","name":"podswitch","type":"podswitch","agentSocket":"%s"}' \
    "$work/agent.sock" | CNI_COMMAND=STATUS "$bin/podswitch-cni" >/dev/null 2>&1 && break
  sleep 0.2
done

say "Creating pods through podswitch-cni (CNI ADD)"
declare -A ip
for pod in "${pods[@]}"; do
  ip netns add "$tag-$pod"
  ip -n "$tag-$pod" link set lo up
  result=$(cni ADD "$pod")
  ip[$pod]=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["ips"][0]["address"].split("/")[0])' <<<"$result")
  printf '  %-9s %-14s (netns %s)\n' "$pod" "${ip[$pod]}" "$tag-$pod"
done
gateway=${pod_cidr%.0/*}.1

say "Reachability matrix (ping from row to column)"
printf '  %-9s' ""
for dst in "${pods[@]}" gateway; do printf ' %-9s' "$dst"; done
echo
for src in "${pods[@]}"; do
  printf '  %-9s' "$src"
  for dst in "${pods[@]}" gateway; do
    target=${ip[$dst]:-$gateway}
    if [ "$src" = "$dst" ]; then printf ' %-9s' "-";
    elif ip netns exec "$tag-$src" ping -c 2 -i 0.2 -W 1 "$target" >/dev/null 2>&1; then
      printf ' \033[32m%-9s\033[0m' "ok"
    else printf ' \033[31m%-9s\033[0m' "FAIL"; fi
  done
  echo
done

say "A secondary network (Multus/ovs-cni style): backend and db get net1 on VLAN 30 of br-data"
l2_config=$(printf '{"cniVersion":"1.1.0","name":"storage","type":"podswitch","agentSocket":"%s",%s}' \
  "$work/agent.sock" '"bridge":"br-data","vlan":30,"ipam":{"subnet":"10.250.230.0/24"}')
echo "  network config: $l2_config"
declare -A net1_ip
for pod in backend db; do
  result=$(net1 ADD "$pod")
  net1_ip[$pod]=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["ips"][0]["address"].split("/")[0])' <<<"$result")
  printf '  %-9s net1 %-14s\n' "$pod" "${net1_ip[$pod]}"
done
if ip netns exec "$tag-backend" ping -c 2 -i 0.2 -W 1 "${net1_ip[db]}" >/dev/null 2>&1; then
  printf '  backend -> db over net1 (VLAN 30): \033[32mok\033[0m\n'
else
  printf '  backend -> db over net1 (VLAN 30): \033[31mFAIL\033[0m\n'
fi
"$bin/podswitchctl" --agent-socket "$work/agent.sock" pod list

say "podswitchctl show"
ctl show
say "podswitchctl dump-flows br-int"
ctl dump-flows br-int
say "podswitchctl fdb/show br-int, dump-ports br-int"
ctl fdb/show br-int
ctl dump-ports br-int | head -20

if $wait_for_ctrl_c; then
  say "Node is up. Try: ip netns exec $tag-frontend ping ${ip[backend]}   (Ctrl-C to stop)"
  echo "podswitchctl --switch-socket $work/switchd.sock dump-flows br-int"
  while true; do sleep 3600; done
fi
