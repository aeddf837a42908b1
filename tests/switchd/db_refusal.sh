#!/usr/bin/env bash
# Database refusal: podswitchd given as --db a file that is not its database exits non-zero
# at once with a message naming the file and the reason, and leaves the file's bytes (and
# its directory) exactly as they were: a text file, random bytes, a foreign SQLite database
# (sqlite3 CLI), a Podswitch database stamped with a newer schema version, a Podswitch
# database with a damaged page, and a directory. A real database still opens afterwards.
source "$(dirname "$0")/lib.sh"

# listing FILE: name, size and mtime of everything in FILE's directory.
listing() { find "$(dirname "$1")" -mindepth 1 -maxdepth 1 -printf '%f %s %T@\n' | sort; }

# refused FILE PATTERN: podswitchd --db FILE must fail, say FILE and /PATTERN/, change nothing.
refused() {
  local file=$1 pattern=$2 rc=0 out before after dir_before dir_after
  before=$(sha256sum "$file" 2>/dev/null || echo dir)
  dir_before=$(listing "$file")
  out=$(timeout 30 "$BIN/podswitchd" --db "$file" --socket "$WORK/refused.sock" \
          --instance "$TAG-r" --metrics off 2>&1) || rc=$?
  after=$(sha256sum "$file" 2>/dev/null || echo dir)
  # SQLite's read-only open of a WAL-mode file (our own format) leaves an empty -wal and a
  # -shm index beside it; those are SQLite's, not a change to the file.
  [ ! -s "$file-wal" ] || fail "podswitchd wrote to $file-wal"
  dir_after=$(listing "$file" | grep -vE "^$(basename "$file")-(wal|shm) " || true)
  [ "$rc" -ne 0 ] || fail "podswitchd accepted $file"
  [ "$rc" -ne 124 ] || fail "podswitchd kept running on $file"
  grep -qF "$file" <<<"$out" || fail "message does not name $file: $out"
  grep -qiE "$pattern" <<<"$out" || fail "message does not say /$pattern/: $out"
  [ "$before" = "$after" ] || fail "$file changed: $before -> $after"
  [ "$dir_before" = "$dir_after" ] || fail "$(dirname "$file") changed: <$dir_before> -> <$dir_after>"
  [ ! -e "$WORK/refused.sock" ] || fail "podswitchd listened on its socket with $file"
  log "ok: exit $rc: $(grep -F "$file" <<<"$out" | tail -1)"
}

mkdir "$WORK/text" "$WORK/random" "$WORK/foreign" "$WORK/newer" "$WORK/corrupt" "$WORK/dir"
printf 'bridge br0\nport eth0\n' >"$WORK/text/conf.db"
refused "$WORK/text/conf.db" 'not a database|not an SQLite'

head -c 65536 /dev/urandom >"$WORK/random/conf.db"
refused "$WORK/random/conf.db" 'not a database|not an SQLite|corrupt'

sqlite3 "$WORK/foreign/app.db" "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT);
  INSERT INTO users(name) VALUES ('alice'), ('bob');"
refused "$WORK/foreign/app.db" 'not a Podswitch'

# A real database (WAL mode): podswitchd makes it, then it is stopped cleanly and copied.
start_switchd
ctl add-br br0
for i in $(seq 1 40); do ctl add-port br0 "p$i" type=null; done
for i in $(seq 1 200); do echo "priority=$i,ip,nw_dst=10.9.$((i / 250)).$((i % 250)),actions=drop"; done \
  | ctl add-flows br0 -
stop_switchd
[ ! -e "$DB-wal" ] || [ ! -s "$DB-wal" ] || fail "the WAL was not checkpointed on shutdown"
cp "$DB" "$WORK/newer/conf.db"
sqlite3 "$WORK/newer/conf.db" "PRAGMA user_version = 99;"
rm -f "$WORK/newer/conf.db-wal" "$WORK/newer/conf.db-shm"
refused "$WORK/newer/conf.db" 'schema version 99'

# Damage: overwrite the last page (a table or index b-tree page of the flows) with junk.
cp "$DB" "$WORK/corrupt/conf.db"
read -r psize free < <(sqlite3 -separator ' ' "$WORK/corrupt/conf.db" "SELECT * FROM pragma_page_size, pragma_freelist_count;")
pages=$(( $(stat -c %s "$DB") / psize ))
[ "$pages" -ge 4 ] || fail "the real database has only $pages pages"
rm -f "$WORK/corrupt/conf.db-wal" "$WORK/corrupt/conf.db-shm"
[ "$free" = 0 ] || fail "the real database has $free free pages; the damaged page might be one"
head -c "$psize" /dev/urandom | dd of="$WORK/corrupt/conf.db" bs="$psize" seek=$((pages - 1)) conv=notrunc status=none
refused "$WORK/corrupt/conf.db" 'corrupt|malformed|not a database'

refused "$WORK/dir" 'not a regular file'

# The real database itself is still fine.
start_switchd
ctl br-exists br0 || fail "br0 missing after restart on the real database"
[ "$(ctl list-ports br0 | wc -l)" -eq 40 ] || fail "ports lost"
log "PASS: text, random, foreign SQLite, newer schema, damaged page and directory refused, bytes unchanged"
