#!/usr/bin/env bash
# The CNI error table through the real binary: each error provoked by bad input, with the
# code the spec (or Podswitch, 100+) gives it and a message that says what and where; after
# every one of them no IP, port, flow, veth or vhost folder is left behind.
POD_CIDR=${POD_CIDR:-10.250.101.0/29}  # .2-.6: five pods fit
source "$(dirname "$0")/lib.sh"

# The environment of a well-formed call; cases override one variable (later wins in env).
std_env() {
  local command=$1 id=$2 pod=$3
  echo "CNI_COMMAND=$command CNI_CONTAINERID=$id CNI_NETNS=/var/run/netns/$TAG-$pod" \
    "CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin" \
    "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=test;K8S_POD_NAME=$pod;K8S_POD_INFRA_CONTAINER_ID=$id"
}

# expect_error WHAT CODE REGEX CONFIG VAR=VALUE...: the call fails with a spec error object
# of code CODE whose msg+details match REGEX (extended, case-insensitive).
expect_error() {
  local what=$1 code=$2 pattern=$3 config=$4 out rc=0 got msg
  shift 4
  out=$(cni_env "$config" "$@") || rc=$?
  [ "$rc" -ne 0 ] || fail "$what: exit 0, want error $code: $out"
  got=$(jq -r .code <<<"$out" 2>/dev/null) || fail "$what: stdout is not a CNI error: $out"
  [ "$got" = "$code" ] || fail "$what: code $got, want $code: $out"
  [ "$(jq -r .cniVersion <<<"$out")" != null ] || fail "$what: error without cniVersion: $out"
  msg=$(jq -r '.msg + " | " + (.details // "")' <<<"$out")
  [ -n "$(jq -r '.msg // ""' <<<"$out")" ] || fail "$what: empty msg: $out"
  grep -Eiq -- "$pattern" <<<"$msg" || fail "$what: message '$msg' does not match /$pattern/"
  log "ok  $code  $what: $msg"
}

# assert_allocated N: the agent (and podswitchd) hold exactly N pods.
assert_allocated() {
  local want=$1 got ports
  got=$(ctl ipam show --format json | jq .allocated)
  ports=$(ctl list-ports br-int | grep -c '^psw' || true)
  [ "$got" -eq "$want" ] || fail "$got IPs allocated, want $want: $(ctl ipam show)"
  [ "$ports" -eq "$want" ] || fail "$ports pod ports on br-int, want $want"
}

start_node
GOOD=$(config)
# shellcheck disable=SC2046  # std_env's words are the env assignments
{
  make_pod p1
  # 4: invalid environment.
  expect_error "ADD without CNI_CONTAINERID" 4 'CNI_CONTAINERID' "$GOOD" \
    $(std_env ADD ctr-e1 p1) CNI_CONTAINERID=
  expect_error "unknown CNI_COMMAND" 4 'CNI_COMMAND.*FROB|FROB.*CNI_COMMAND' "$GOOD" \
    $(std_env FROB ctr-e1 p1)
  expect_error "ADD without CNI_IFNAME" 4 'CNI_IFNAME' "$GOOD" $(std_env ADD ctr-e1 p1) CNI_IFNAME=
  # 6: the config on stdin is not JSON.
  expect_error "truncated JSON config" 6 'JSON|parse' '{"cniVersion":"1.1.0","name":"podswitch",' \
    $(std_env ADD ctr-e1 p1)
  expect_error "config that is not an object" 6 'JSON|object' '[1,2,3]' $(std_env ADD ctr-e1 p1)
  # 7: invalid config.
  expect_error "config without name" 7 '\bname\b' \
    "{\"cniVersion\":\"1.1.0\",\"type\":\"podswitch\",\"agentSocket\":\"$WORK/agent.sock\"}" \
    $(std_env ADD ctr-e1 p1)
  expect_error "config without type" 7 '\btype\b' \
    "{\"cniVersion\":\"1.1.0\",\"name\":\"podswitch\",\"agentSocket\":\"$WORK/agent.sock\"}" \
    $(std_env ADD ctr-e1 p1)
  # 1: incompatible version.
  expect_error "cniVersion 0.2.0" 1 '0\.2\.0' "$(CNI_VERSION=0.2.0 config)" $(std_env ADD ctr-e1 p1)
  # 2: unsupported field.
  expect_error "ipam type host-local" 2 'ipam.*host-local|host-local.*ipam' \
    "$(EXTRA_CONFIG=',"ipam":{"type":"host-local","subnet":"10.250.102.0/24"}' config)" \
    $(std_env ADD ctr-e1 p1)
  # Secondary networks (a config naming a bridge) that this node cannot or must not build.
  expect_error "secondary network with a vni on a node without VXLAN" 2 'vni 100.*no VXLAN endpoint' \
    "$(EXTRA_CONFIG=',"bridge":"br-data","vni":100' config)" $(std_env ADD ctr-e1 p1)
  expect_error "secondary network over vhost-user" 2 'only veth' \
    "$(EXTRA_CONFIG=',"bridge":"br-data","vlan":100,"interfaceType":"vhostuser"' config)" \
    $(std_env ADD ctr-e1 p1)
  expect_error "secondary network with a bad subnet" 7 'ipam.subnet.*10\.250\.103\.0/33' \
    "$(EXTRA_CONFIG=',"bridge":"br-data","vlan":100,"ipam":{"subnet":"10.250.103.0/33"}' config)" \
    $(std_env ADD ctr-e1 p1)
  expect_error "secondary network with rangeEnd outside its subnet" 7 'range.*10\.250\.104\.2-10\.250\.104\.254' \
    "$(EXTRA_CONFIG=',"bridge":"br-data","ipam":{"subnet":"10.250.104.0/24","rangeEnd":"10.250.105.9"}' config)" \
    $(std_env ADD ctr-e1 p1)
  ip -n "$TAG-p1" -o link show | grep -qv ': lo:' && fail "a refused secondary ADD left an interface in p1"
  [ "$(ctl list-ports br-data 2>/dev/null | grep -c '^psw' || true)" -eq 0 ] ||
    fail "a refused secondary ADD left a port on br-data"
  assert_allocated 0
  # 3: CHECK of a container the node never saw (the runtime sends the prevResult of ADD).
  prev='{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","sandbox":"/var/run/netns/x"}],"ips":[{"address":"10.250.101.2/29","gateway":"10.250.101.1","interface":0}]}'
  expect_error "CHECK of an unknown container" 3 'ctr-never-added' \
    "$(EXTRA_CONFIG=",\"prevResult\":$prev" config)" $(std_env CHECK ctr-never-added p1)
  # 11: the agent's socket does not exist (agent not running, or a wrong path).
  expect_error "agent socket missing" 11 "$WORK/no-such-agent.sock" \
    "{\"cniVersion\":\"1.1.0\",\"name\":\"podswitch\",\"type\":\"podswitch\",\"agentSocket\":\"$WORK/no-such-agent.sock\"}" \
    $(std_env ADD ctr-e1 p1)
  # 101: the netns the runtime names does not exist; the IP it took must be given back.
  expect_error "ADD into a missing netns" 101 "/var/run/netns/$TAG-gone" "$GOOD" \
    $(std_env ADD ctr-gone gone)
  assert_allocated 0
  ctl pod list

  # 100: the pool is exhausted: a /29 holds five pods; the sixth ADD fails, the five stay.
  ips=()
  for i in 1 2 3 4 5; do
    [ "$i" = 1 ] || make_pod "p$i"
    result=$(cni ADD "ctr-p$i" "p$i") || fail "ADD p$i: $result"
    ips+=("$(result_ip "$result")")
  done
  [ "$(printf '%s\n' "${ips[@]}" | sort -u | wc -l)" -eq 5 ] || fail "IPs not distinct: ${ips[*]}"
  make_pod p6
  expect_error "sixth pod in a /29" 100 "${POD_CIDR//./\\.}" "$GOOD" $(std_env ADD ctr-p6 p6)
  ip -n "$TAG-p6" -o link show | grep -qv ': lo:' && fail "the failed ADD left an interface in p6"
  assert_allocated 5
  ctl ipam show
  ping_ok p1 "${ips[4]}"  # the five that fit still work
  # The runtime's DEL after the failed ADD succeeds; freeing one IP lets the sixth pod in.
  cni DEL ctr-p6 p6 || fail "DEL after the failed ADD"
  cni DEL ctr-p5 p5 || fail "DEL p5"
  result=$(cni ADD ctr-p6 p6) || fail "ADD p6 after a DEL: $result"
  [ "$(result_ip "$result")" = "${ips[4]}" ] || fail "p6 got $(result_ip "$result"), want ${ips[4]}"
  for i in 1 2 3 4 6; do cni DEL "ctr-p$i" "p$i" || fail "DEL p$i"; done
  assert_no_leftovers

  # 50: STATUS while podswitchd is down; ADD then is "try again later" (11) and must leave
  # nothing that the runtime's DEL, once podswitchd is back, does not remove.
  stop_switchd
  expect_error "STATUS with podswitchd stopped" 50 'podswitchd' "$GOOD" $(std_env STATUS "" p1) \
    CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME=
  expect_error "ADD with podswitchd stopped" 11 'podswitchd|switch|connect' "$GOOD" \
    $(std_env ADD ctr-down p1)
  start_switchd
  for _ in $(seq 1 100); do cni STATUS >/dev/null 2>&1 && break; sleep 0.1; done
  cni STATUS >/dev/null || fail "STATUS not ready after podswitchd came back"
  cni DEL ctr-down p1 || fail "DEL after ADD with podswitchd down"
  assert_no_leftovers
  # ...and the node works again.
  make_pod q1
  make_pod q2
  ip1=$(result_ip "$(cni ADD ctr-q1 q1)")
  ip2=$(result_ip "$(cni ADD ctr-q2 q2)")
  ping_ok q1 "$ip2"
  ping_ok q2 "$ip1"
  ping_ok q2 "$GATEWAY"
  cni DEL ctr-q1 q1
  cni DEL ctr-q2 q2
  assert_no_leftovers
  stop_agent
  [ "$(ipam_db_rows)" -eq 0 ] || fail "ipam.db keeps $(ipam_db_rows) allocations"
}
log "PASS: error table (1 2 3 4 6 7 11 50 100 101), nothing left after any error"
