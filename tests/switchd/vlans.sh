#!/usr/bin/env bash
# VLANs with NORMAL: access ports tagged 10 and 20 are isolated from each other; a trunk
# port carries both, tagged. (This kernel has no 802.1Q devices, so the trunk pod checks
# the tags it receives with tshark instead of answering on VLAN sub-interfaces.)
source "$(dirname "$0")/lib.sh"

start_switchd
make_pod a 10.250.10.1/24          # access, VLAN 10
make_pod b 10.250.20.1/24          # access, VLAN 20
make_pod c 10.250.10.3/24          # access, VLAN 10
make_pod t 10.250.99.1/24          # trunk 10,20
ctl add-br br0
ctl add-port br0 "$(host_if a)" type=afpacket tag=10
ctl add-port br0 "$(host_if b)" type=afpacket tag=20
ctl add-port br0 "$(host_if c)" type=afpacket tag=10
ctl add-port br0 "$(host_if t)" type=afpacket trunks=10,20
ctl add-flow br0 "actions=NORMAL"

ping_ok a 10.250.10.3             # same VLAN, access to access
# Isolation: give b an address in a's subnet; it must still not reach a or c.
ip -n "$TAG-b" addr add 10.250.10.9/24 dev eth0
ping_fails b 10.250.10.1
ping_fails a 10.250.10.9

# The trunk sees VLAN 10's and VLAN 20's broadcasts, each with its tag.
in_pod t timeout 8 tshark -i eth0 -a duration:5 -f vlan -T fields -e vlan.id \
  >"$WORK/trunk.txt" 2>/dev/null &
capture=$!
sleep 2
in_pod a ping -c 2 -W 1 10.250.10.77 >/dev/null 2>&1 || true   # ARP flooded in VLAN 10
in_pod b ping -c 2 -W 1 10.250.20.77 >/dev/null 2>&1 || true   # ARP flooded in VLAN 20
wait "$capture" || true
sort -u "$WORK/trunk.txt"
grep -qx 10 "$WORK/trunk.txt" || fail "trunk did not see VLAN 10 tagged"
grep -qx 20 "$WORK/trunk.txt" || fail "trunk did not see VLAN 20 tagged"
log "PASS: access VLANs isolated, trunk carries 10 and 20 tagged"
