#!/usr/bin/env bash
# Two pods on br0 with NORMAL, their veths as PORT_TYPE ports (afxdp by default, or
# afpacket): ping and a TCP stream pass, and fdb/show lists both MACs.
source "$(dirname "$0")/lib.sh"
type=${PORT_TYPE:-afxdp}

start_switchd
make_pod a 10.250.1.1/24
make_pod b 10.250.1.2/24
ctl add-br br0
ctl add-port br0 "$(host_if a)" type="$type"
ctl add-port br0 "$(host_if b)" type="$type"
ctl add-flow br0 "actions=NORMAL"
ctl show

ping_ok a 10.250.1.2
ping_ok b 10.250.1.1
tcp_ok a b 10.250.1.2
tcp_ok b a 10.250.1.1 5002

fdb=$(ctl fdb/show br0)
echo "$fdb"
grep -q "$(mac_of a)" <<<"$fdb" || fail "fdb/show lacks a's MAC"
grep -q "$(mac_of b)" <<<"$fdb" || fail "fdb/show lacks b's MAC"
log "PASS: $type ports forward ping and TCP; fdb/show lists both MACs"
