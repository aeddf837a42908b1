#!/usr/bin/env bash
# Bad input: unknown port type, bad flow syntax, VLAN id 4096, a name over 15 characters, a
# missing bridge: each a clear error, exit code 1, and nothing changed in the database.
source "$(dirname "$0")/lib.sh"

start_switchd
ctl add-br br0
ctl add-flow br0 "actions=NORMAL"
before=$(ctl db dump)

expect_error() {
  local pattern=$1; shift
  local out rc=0
  out=$(ctl "$@" 2>&1) || rc=$?
  [ "$rc" -eq 1 ] || fail "'$*' exited $rc (want 1): $out"
  grep -qiE "$pattern" <<<"$out" || fail "'$*' said '$out', want /$pattern/"
  log "ok: '$*' -> $out"
}
expect_error 'type' add-port br0 p1 type=ethernet
expect_error 'nw_src' add-flow br0 "ip,nw_src=1.2.3.4.5,actions=drop"
expect_error 'tag' add-port br0 p2 type=null tag=4096
expect_error 'name|15' add-port br0 averyveryverylongname type=null
expect_error 'no bridge named br9' add-port br9 p3 type=null
expect_error 'no bridge named br9' add-flow br9 "actions=drop"
expect_error 'goto_table' add-flow br0 "table=3,actions=goto_table:1"

after=$(ctl db dump)
[ "$before" = "$after" ] || fail "database changed by refused commands"
log "PASS: every bad input refused with a clear error; database unchanged"
