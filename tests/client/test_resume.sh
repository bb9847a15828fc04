#!/bin/sh
# Resumable uploads (issue 26, item 3; docs/protocol.md, "Resumable
# uploads"), end to end: put -a after a cut at the link, or after the
# client is killed, sends only the rest (counted at the link) and the
# server publishes only the verified whole; a part is not the file; a
# server without --parts takes the file whole.  Needs SERVER_BIN,
# CLIENT_BIN and DELAY_BIN.
set -u

. "$(dirname "$0")/lib.sh"

parts=$top/parts
mkdir -p "$parts"
size=4000000
head -c $size /dev/urandom > "$loc/big"
start_server --parts "$parts"

part_count() { find "$parts" -name 'fs-part.*' | wc -l | tr -d ' '; }
# c2s bytes of the link's last connection (delay -o).
sent() { tail -n 1 "$top/stats" | sed -n 's/^c2s \([0-9]*\) .*/\1/p'; }

# Cut at about half: the upload fails, nothing is published, a part kept.
start_delay -k $((size / 2))
client -q 127.0.0.1 "$dport" put -a big
check "cut: exit 3" [ "$rc" = 3 ]
check "cut: nothing published" [ ! -e "$srv/big" ]
check "cut: one part kept" [ "$(part_count)" = 1 ]
# What the server stored before the cut (what was in flight is lost).
held=$(find "$parts" -name 'fs-part.*' -printf '%s\n' | head -n 1)
check "cut: the part holds some of it" [ "${held:-0}" -gt 0 ]
check "cut: not listed" sh -c "! '$CLIENT_BIN' -q 127.0.0.1 $port ls |
    grep -q big"
stop_delay

# Again, through an uncut link: only the rest crosses it.
start_delay
client 127.0.0.1 "$dport" put -a big
check "resume: exit 0" [ "$rc" = 0 ]
check "resume: byte-exact" cmp -s "$srv/big" "$loc/big"
stop_delay
# Only the rest crosses the link (plus headers: 4 bytes a 64 KiB block).
check "resume: only the rest sent" [ "$(sent)" -lt $((size - held + 4096)) ]
check "resume: no part left" [ "$(part_count)" = 0 ]
# The server's line counts what this session received: the rest only.
got=$(sed -n 's/.*WRQ "big" \([0-9]*\) bytes .*: ok$/\1/p' \
    "$top/server.log" | tail -n 1)
check "resume: server took exactly the rest, and verified the whole" \
    [ "${got:-0}" = $((size - held)) ]

# Done: a second put -a is refused as any put of an existing name.
client -q 127.0.0.1 "$port" put -a big
check "done: exit 1" [ "$rc" = 1 ]
check "done: exists" grep -q "exists" "$top/err"
rm -f "$srv/big"

# Killed client (SIGKILL) mid-upload over a slow link, then reput.
start_delay -r 2000000
(cd "$loc" && exec "$CLIENT_BIN" -q 127.0.0.1 "$dport" put -a big \
    > /dev/null 2>&1) &
cpid=$!
i=0
while [ "$(part_count)" = 0 ] || [ "$(find "$parts" -name 'fs-part.*' \
    -size +500k | wc -l)" = 0 ]; do
	i=$((i + 1))
	[ $i -gt 400 ] && break
	sleep 0.05
done
kill -KILL $cpid
wait $cpid 2>/dev/null
stop_delay
check "killed: nothing published" [ ! -e "$srv/big" ]
check "killed: part kept" [ "$(part_count)" = 1 ]
start_delay
client -q 127.0.0.1 "$dport" reput big
check "reput: exit 0" [ "$rc" = 0 ]
check "reput: byte-exact" cmp -s "$srv/big" "$loc/big"
stop_delay
check "reput: less than the whole sent" [ "$(sent)" -lt $size ]
check "reput: no part left" [ "$(part_count)" = 0 ]
rm -f "$srv/big"

# The local file changed since the cut (same size): the whole does not
# match, the server drops the part, and the next put -a sends it whole.
start_delay -k $((size / 2))
client -q 127.0.0.1 "$dport" put -a big
stop_delay
printf 'X' | dd of="$loc/big" bs=1 seek=10 conv=notrunc 2>/dev/null
client -q 127.0.0.1 "$port" put -a big
check "changed: refused" [ "$rc" != 0 ]
check "changed: nothing published" [ ! -e "$srv/big" ]
check "changed: part dropped" [ "$(part_count)" = 0 ]
client -q 127.0.0.1 "$port" put -a big
check "changed, again: exit 0" [ "$rc" = 0 ]
check "changed, again: byte-exact" cmp -s "$srv/big" "$loc/big"
rm -f "$srv/big"

# put -r -a: a tree cut in its big file, run again, ends byte-exact, the
# big file resumed (files already there are refused as by any put, until
# mirroring skips them).
mkdir -p "$loc/tree/sub"
printf 'small' > "$loc/tree/a"
cp "$loc/big" "$loc/tree/sub/big"
start_delay -k $((size / 2))
client -q 127.0.0.1 "$dport" put -r -a tree
stop_delay
check "tree cut: big not there" [ ! -e "$srv/tree/sub/big" ]
held=$(find "$parts" -name 'fs-part.*' -printf '%s\n' | head -n 1)
client -q 127.0.0.1 "$port" put -r -a tree
check "tree again: byte-exact" diff -r "$loc/tree" "$srv/tree"
got=$(sed -n 's/.*WRQ "tree\/sub\/big" \([0-9]*\) bytes .*: ok$/\1/p' \
    "$top/server.log" | tail -n 1)
check "tree again: big resumed" [ "${got:-0}" = $((size - ${held:-0})) ]
check "tree again: no part left" [ "$(part_count)" = 0 ]

# A server that keeps no parts: put -a is a plain put.
stop_server
start_server
client 127.0.0.1 "$port" put -a big
check "no parts: exit 0" [ "$rc" = 0 ]
check "no parts: byte-exact" cmp -s "$srv/big" "$loc/big"

[ "$failed" = 0 ] || cat "$top/server.log"
echo "resume: $passed passed, $failed failed"
[ "$failed" = 0 ]
