#!/bin/sh
# Mirrors and resumes (client.1, "MIRRORS AND RESUMES"; docs/protocol.md,
# "File attributes"): a tree copied again transfers nothing and exits 0;
# an interrupted tree or file, run again, ends byte-exact with no part
# left beside it; a download cut at half resumes from the client's cache
# and sends only the rest; a part of a file that changed is dropped; -p
# keeps modes both ways, never a set-id bit; times are kept both ways.
. "$(dirname "$0")/lib.sh"
: "${DELAY_BIN:?}"

start_server

# s2c bytes of the last connection the delay link carried.
s2c() { tail -n 1 "$top/stats" | sed -n 's/.*s2c \([0-9]*\) .*/\1/p'; }
# s2c bytes of every connection since the stats were emptied.
s2c_all() { sed -n 's/.*s2c \([0-9]*\) .*/\1/p' "$top/stats" |
    awk '{ n += $1 } END { print n + 0 }'; }
parts_in_cache() { find "$cache" -name '*.part' 2>/dev/null | wc -l |
    tr -d ' '; }
no_part_beside() { [ -z "$(find "$1" -name '*.part' 2>/dev/null)" ]; }
mtime() { stat -c %Y "$1"; }
mode() { stat -c %a "$1"; }

# A tree: files of several sizes, a subdirectory, a script from 2001.
mkdir -p "$srv/tree/sub/deep"
echo hello > "$srv/tree/a.txt"
head -c 300000 /dev/urandom > "$srv/tree/sub/b.bin"
head -c 70000 /dev/urandom > "$srv/tree/sub/deep/c.bin"
: > "$srv/tree/empty"
printf '#!/bin/sh\necho hi\n' > "$srv/tree/script.sh"
chmod 755 "$srv/tree/script.sh"
touch -d '2001-02-03 04:05:06' "$srv/tree/script.sh"

# 1. get -r keeps the remote times; run again, it transfers nothing.
start_delay
client -q localhost "$dport" get -r tree
check "get -r tree" [ "$rc" = 0 ]
check "get -r: byte-exact" diff -r "$srv/tree" "$loc/tree"
check "get -r keeps the remote time" [ "$(mtime "$loc/tree/script.sh")" = \
    "$(mtime "$srv/tree/script.sh")" ]
check "get -r: no part beside, none in the cache" eval \
    'no_part_beside "$loc" && [ "$(parts_in_cache)" = 0 ]'
: > "$top/stats"
client localhost "$dport" get -r tree
check "get -r again exits 0" [ "$rc" = 0 ]
check "get -r again: one summary line, all up to date" grep -q \
    "^get -r tree: 0 files, 0 bytes in .* s; 5 up to date, 0 skipped, 0 failed$" \
    "$top/out"
# The greeting and the listings only: far less than one file's bytes.
check "get -r again transfers no file (s2c $(s2c_all) bytes)" \
    [ "$(s2c_all)" -lt 2000 ]
check "get -r again: nothing on standard error" [ ! -s "$top/err" ]

# 2. put -r keeps the local times; run again, it transfers nothing.
mkdir -p "$loc/up/sub"
head -c 200000 /dev/urandom > "$loc/up/one.bin"
echo two > "$loc/up/sub/two.txt"
touch -d '2002-03-04 05:06:07' "$loc/up/sub/two.txt"
client -q localhost "$dport" put -r up
check "put -r up" [ "$rc" = 0 ]
check "put -r: byte-exact" diff -r "$loc/up" "$srv/up"
check "put -r keeps the local time" [ "$(mtime "$srv/up/sub/two.txt")" = \
    "$(mtime "$loc/up/sub/two.txt")" ]
: > "$top/stats"
client localhost "$dport" put -r up
check "put -r again exits 0" [ "$rc" = 0 ]
check "put -r again: all up to date" grep -q \
    "^put -r up: 0 files, 0 bytes in .* s; 2 up to date, 0 skipped, 0 failed$" \
    "$top/out"
c2s_all=$(sed -n 's/^c2s \([0-9]*\) .*/\1/p' "$top/stats" |
    awk '{ n += $1 } END { print n + 0 }')
check "put -r again sends no file (c2s $c2s_all bytes)" [ "$c2s_all" -lt 2000 ]
stop_delay

# 3. -p: modes both ways, within the server's limits, never set-id.
mkdir -p "$loc/modes"
echo x > "$loc/modes/exec"; chmod 750 "$loc/modes/exec"
echo y > "$loc/modes/secret"; chmod 600 "$loc/modes/secret"
echo z > "$loc/modes/setuid"; chmod 4755 "$loc/modes/setuid"
echo w > "$loc/modes/open"; chmod 666 "$loc/modes/open"
client -q localhost "$port" put -rp modes
check "put -rp" [ "$rc" = 0 ]
check "put -p keeps 0750" [ "$(mode "$srv/modes/exec")" = 750 ]
check "put -p keeps 0600" [ "$(mode "$srv/modes/secret")" = 600 ]
check "put -p drops set-user-ID" [ "$(mode "$srv/modes/setuid")" = 755 ]
check "put -p: no write for others" [ "$(mode "$srv/modes/open")" = 644 ]
client -q localhost "$port" put -r modes plain
check "put without -p: 0644" [ "$(mode "$srv/plain/exec")" = 644 ]
chmod 4755 "$srv/modes/exec" 2>/dev/null
client -q localhost "$port" get -rp modes back
check "get -rp" [ "$rc" = 0 ]
check "get -p keeps 0600" [ "$(mode "$loc/back/secret")" = 600 ]
check "get -p drops set-user-ID" [ "$(mode "$loc/back/exec")" = 755 ]
check "get -p keeps the time" [ "$(mtime "$loc/back/exec")" = \
    "$(mtime "$srv/modes/exec")" ]
client -q localhost "$port" get -p tree/script.sh
check "get -p of one file keeps mode and time" eval \
    '[ "$(mode "$loc/script.sh")" = 755 ] &&
    [ "$(mtime "$loc/script.sh")" = "$(mtime "$srv/tree/script.sh")" ]'

# 4. A download cut at half: the part waits in the cache (never beside
# the target), and the next get sends about the other half.
head -c 4000000 /dev/urandom > "$srv/big"
start_delay -k 2000000 -n 1
client -q localhost "$dport" get big
check "a cut download fails" [ "$rc" != 0 ]
check "a cut download: nothing beside the target" no_stray_files tree up \
    modes back script.sh
check "a cut download: its part is in the cache" [ "$(parts_in_cache)" = 1 ]
part=$(find "$cache" -name '*.part' -printf '%s\n')
check "a cut download: its part holds what came ($part bytes)" \
    [ "$part" -gt 1000000 ]
: > "$top/stats"
client localhost "$dport" get big
check "get again completes it" [ "$rc" = 0 ]
check "resumed: byte-exact" cmp -s "$srv/big" "$loc/big"
check "resumed: says where" grep -q "get big: resumed at $part bytes" \
    "$top/out"
# The rest and the packets' headers, the listing and the greeting.
check "resumed: sends only the rest ($(s2c_all) for $((4000000 - part)))" \
    [ "$(s2c_all)" -lt $((4000000 - part + 20000)) ]
check "resumed: the part left the cache" [ "$(parts_in_cache)" = 0 ]
stop_delay

# 5. A part of a file that changed since is dropped; the file comes whole.
rm -f "$loc/big"
head -c 4000000 /dev/urandom > "$srv/big2"
start_delay -k 1000000 -n 1
client -q localhost "$dport" get big2
check "a cut download keeps a part" [ "$(parts_in_cache)" = 1 ]
head -c 4000000 /dev/urandom > "$srv/big2"
touch -d '2010-01-01' "$srv/big2"
client localhost "$dport" get big2
check "a stale part: the file is fetched whole" eval \
    '[ "$rc" = 0 ] && cmp -s "$srv/big2" "$loc/big2"'
check "a stale part: not resumed" eval '! grep -q resumed "$top/out"'
check "a stale part: gone" [ "$(parts_in_cache)" = 0 ]
stop_delay

# 6. Same size and time, other bytes: only the digest can tell; the
# part is dropped and the file fetched whole, never published wrong.
rm -f "$loc/big2"
start_delay -k 1000000 -n 1
client -q localhost "$dport" get big2
check "cut again" [ "$(parts_in_cache)" = 1 ]
when=$(mtime "$srv/big2")
head -c 4000000 /dev/urandom > "$srv/big2"
touch -d "@$when" "$srv/big2"
client localhost "$dport" get big2
check "a part of other bytes: the whole file, byte-exact" eval \
    '[ "$rc" = 0 ] && cmp -s "$srv/big2" "$loc/big2"'
check "a part of other bytes: said" grep -q "does not match" "$top/err"
check "a part of other bytes: gone" [ "$(parts_in_cache)" = 0 ]
stop_delay

# 7. A tree cut midway and run again ends byte-exact, no part anywhere.
rm -rf "$loc/tree"
start_delay -k 200000 -n 1
client -q localhost "$dport" get -r tree
check "a cut tree fails" [ "$rc" != 0 ]
client -q localhost "$dport" get -r tree
check "the tree run again" [ "$rc" = 0 ]
check "the tree run again: byte-exact" diff -r "$srv/tree" "$loc/tree"
check "the tree run again: no part anywhere" eval \
    'no_part_beside "$loc" && no_part_beside "$srv" &&
    [ "$(parts_in_cache)" = 0 ]'
stop_delay

# 8. SIGKILL of the client mid-download: it cannot clean up, and needs
# not: the part is in the cache from the first byte.
rm -f "$loc/big"
start_delay -r 2000000
(cd "$loc" && exec "$CLIENT_BIN" -q localhost "$dport" get big \
    > /dev/null 2>&1) &
cpid=$!
i=0
while [ "$(find "$cache" -name '*.part' -size +1000k 2>/dev/null |
    wc -l)" = 0 ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -9 "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
check "killed: nothing beside the target" eval \
    '[ ! -e "$loc/big" ] && no_part_beside "$loc"'
check "killed: the part is in the cache" [ "$(parts_in_cache)" = 1 ]
client localhost "$dport" get big
check "after SIGKILL, get resumes and completes" eval \
    '[ "$rc" = 0 ] && cmp -s "$srv/big" "$loc/big"'
check "after SIGKILL: resumed" grep -q "resumed at" "$top/out"
stop_delay

# 9. SIGKILL of the server's child in the middle of a tree: run again,
# the tree ends byte-exact and no part is left anywhere.
mkdir -p "$srv/wide"
for i in 1 2 3 4 5 6; do
	head -c 600000 /dev/urandom > "$srv/wide/f$i"
done
start_delay -r 2000000
(cd "$loc" && exec "$CLIENT_BIN" -q localhost "$dport" get -r wide \
    > /dev/null 2>&1) &
cpid=$!
i=0
while [ "$(find "$cache" -name '*.part' -size +100k 2>/dev/null |
    wc -l)" = 0 ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
check "server killed: a download was under way" [ "$(parts_in_cache)" = 1 ]
for child in $(pgrep -P "$server_pid"); do kill -9 "$child"; done
wait "$cpid"
check "server killed: the client failed" [ $? != 0 ]
client -q localhost "$dport" get -r wide
check "server killed: run again, byte-exact" eval \
    '[ "$rc" = 0 ] && diff -r "$srv/wide" "$loc/wide"'
check "server killed: no part anywhere" eval \
    'no_part_beside "$loc" && [ "$(parts_in_cache)" = 0 ]'
stop_delay

# 10. get -a keeps its LOCAL.part meaning: no cache.
rm -f "$loc/big"
start_delay -k 1000000 -n 1
client -q localhost "$dport" get -a big
check "get -a keeps LOCAL.part, not the cache" eval \
    '[ -f "$loc/big.part" ] && [ "$(parts_in_cache)" = 0 ]'
client -q localhost "$dport" reget big
check "reget completes it" eval '[ "$rc" = 0 ] && cmp -s "$srv/big" "$loc/big"'
stop_delay

echo "mirror: $passed passed, $failed failed"
[ "$failed" = 0 ]
