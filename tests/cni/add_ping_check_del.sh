#!/usr/bin/env bash
# The CNI calling convention end to end: ADD two pods, they ping each other and the gateway
# and move a TCP stream; CHECK passes; DEL; DEL again succeeds; ADD again gets an IP; nothing
# is left behind; GC releases what valid-attachments does not name.
source "$(dirname "$0")/lib.sh"

start_node
make_pod a
make_pod b
result_a=$(cni ADD ctr-a a)
result_b=$(cni ADD ctr-b b)
echo "$result_a"
ip_a=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["ips"][0]["address"].split("/")[0])' <<<"$result_a")
ip_b=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["ips"][0]["address"].split("/")[0])' <<<"$result_b")
[ "$ip_a" = "$(pod_ip a)" ] || fail "result says $ip_a, pod has $(pod_ip a)"
[ "$ip_a" != "$ip_b" ] || fail "both pods got $ip_a"

ping_ok a "$ip_b"
ping_ok b "$ip_a"
ping_ok a "$GATEWAY"
tcp_ok a b "$ip_b"

EXTRA_CONFIG=",\"prevResult\":$result_a" cni CHECK ctr-a a || fail "CHECK failed"
cni DEL ctr-a a
cni DEL ctr-a a || fail "second DEL failed"
CNI_NETNS_EMPTY=1 cni DEL ctr-a "" || fail "DEL without netns failed"
again=$(cni ADD ctr-a2 a)
grep -q '"ips"' <<<"$again" || fail "ADD after DEL: $again"
cni DEL ctr-a2 a
cni DEL ctr-b b

# GC: attachments not named in cni.dev/valid-attachments are released, the named one stays.
make_pod c
make_pod d
cni ADD ctr-c c >/dev/null
cni ADD ctr-d d >/dev/null
EXTRA_CONFIG=',"cni.dev/valid-attachments":[{"containerID":"ctr-c","ifname":"eth0"}]' cni GC \
  || fail "GC failed"
ip_c=$(pod_ip c)
ping_ok c "$GATEWAY"
in_node ip link show "$(ctl list-ports br-int | grep '^psw' | head -1)" >/dev/null || fail "c's veth gone"
[ "$(ctl list-ports br-int | grep -c '^psw')" -eq 1 ] || fail "GC left d's port or removed c's"
log "GC kept ctr-c ($ip_c) and released ctr-d"
cni DEL ctr-c c
assert_no_leftovers
log "PASS: ADD/ping/TCP/CHECK/DEL/DEL/ADD/GC through the CNI calling convention"
