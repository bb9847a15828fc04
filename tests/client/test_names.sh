#!/bin/sh
# The client's names, patterns, trees, digests and resume (issues 10 and
# 11), end to end against the real server, and through a relay that
# corrupts, cuts or stalls the session.  Each check fails when its
# behaviour breaks.  Needs SERVER_BIN, CLIENT_BIN and RELAY_BIN.
set -u

. "$(dirname "$0")/lib.sh"

export LC_ALL=C.UTF-8
nfc=$(printf 'r\303\251sum\303\251.pdf')	# résumé.pdf
cjk=$(printf '\346\227\245\346\234\254\350\252\236.txt')	# 日本語.txt
cjkdir=$(printf '\346\227\245\346\234\254')	# 日本
printf 'nfc' > "$srv/$nfc"
printf 'cjk' > "$srv/$cjk"
printf 'one' > "$srv/one.txt"
printf 'two' > "$srv/two.txt"
printf 'log' > "$srv/a1.log"
printf 'star' > "$srv/star*"
printf 'dot' > "$srv/.hidden.txt"
head -c 2000000 /dev/urandom > "$srv/big"
start_server

# UTF-8 names both ways, shown as text in a UTF-8 locale, in a pipe too.
client -q 127.0.0.1 "$port" get "$nfc"
check "UTF-8 get: exit 0" [ "$rc" = 0 ]
check "UTF-8 get: content" cmp -s "$loc/$nfc" "$srv/$nfc"
client -q 127.0.0.1 "$port" ls
check "UTF-8 ls shows the names" grep -q " $cjk\$" "$top/out"
cp "$srv/$cjk" "$loc/$cjk.up"
client -q 127.0.0.1 "$port" put "$cjk.up"
check "UTF-8 put: exit 0" [ "$rc" = 0 ]
check "UTF-8 put: landed" cmp -s "$srv/$cjk.up" "$loc/$cjk.up"
LC_ALL=C client -q 127.0.0.1 "$port" ls
check "C locale: escaped" grep -q 'r\\303\\251sum\\303\\251.pdf$' "$top/out"
check "C locale: no raw UTF-8" sh -c "! grep -q '$nfc' '$top/out'"
rm -f "$loc"/*

# A local name that is not a valid protocol name: refused before sending.
bad=$(printf 'rlo\342\200\256txt')
printf 'x' > "$loc/$bad"
client -q 127.0.0.1 "$port" put "$bad"
check "bad local name: exit 1" [ "$rc" = 1 ]
check "bad local name: one line" one_error_line
check "bad local name: says why" grep -q "not a valid name" "$top/err"
check "bad local name: nothing sent" \
    sh -c "! grep -q 'WRQ \"rlo' '$top/server.log'"
rm -f "$loc/$bad"

# Patterns: many, one, none; a leading dot only when asked; escapes.
client -q 127.0.0.1 "$port" get '*.txt'
check "pattern many: exit 0" [ "$rc" = 0 ]
check "pattern many: all there" no_stray_files one.txt two.txt "$cjk"
check "pattern: no dot-file" [ ! -e "$loc/.hidden.txt" ]
rm -f "$loc"/*
client -q 127.0.0.1 "$port" get 'a?.log'
check "pattern one: the file" no_stray_files a1.log
rm -f "$loc"/*
client -q 127.0.0.1 "$port" get 'nomatch*'
check "pattern none: exit 1" [ "$rc" = 1 ]
check "pattern none: one line" one_error_line
check "pattern none: says so" grep -q "no match" "$top/err"
client -q 127.0.0.1 "$port" get '.h*'
check "dot pattern: dot-file" no_stray_files .hidden.txt
rm -f "$loc/.hidden.txt"
client -q 127.0.0.1 "$port" get 'star\*'
check "escaped star: the literal name" no_stray_files 'star*'
rm -f "$loc"/*
mkdir "$loc/dl"
client -q 127.0.0.1 "$port" get 'one.txt' 't*.txt' dl
check "names and pattern into a dir" cmp -s "$loc/dl/two.txt" "$srv/two.txt"
check "first name too" cmp -s "$loc/dl/one.txt" "$srv/one.txt"
client -q 127.0.0.1 "$port" get one.txt two.txt notadir
check "several into a non-directory: exit 1" [ "$rc" = 1 ]
rm -rf "$loc"/*

# Several names: a failure is one line, the others still come.
mkdir "$loc/dl"
client -q 127.0.0.1 "$port" get one.txt missing two.txt dl
check "one of three missing: exit 1" [ "$rc" = 1 ]
check "one of three missing: one line" one_error_line
check "the other two came" no_stray_files dl
check "the other two came (2)" cmp -s "$loc/dl/two.txt" "$srv/two.txt"
rm -rf "$loc"/*

# Local patterns and a remote directory that receives the files.
printf 'd1' > "$loc/x1.dat"
printf 'd2' > "$loc/x2.dat"
mkdir "$srv/updir"
client -q 127.0.0.1 "$port" put '*.dat' updir
check "local pattern put: exit 0" [ "$rc" = 0 ]
check "local pattern put: both" cmp -s "$srv/updir/x2.dat" "$loc/x2.dat"
client -q 127.0.0.1 "$port" put x1.dat updir
check "put into a named dir: exit 1 (it exists)" [ "$rc" = 1 ]
client -q 127.0.0.1 "$port" put x1.dat updir/x2.dat
check "put onto a file: the server's reason" grep -q "exists" "$top/err"
printf 'd3' > "$loc/x3.dat"
client -q 127.0.0.1 "$port" put x3.dat updir/
check "put f dir/: inside it" cmp -s "$srv/updir/x3.dat" "$loc/x3.dat"
client -q 127.0.0.1 "$port" put 'nomatch*.dat'
check "local pattern none: exit 1" [ "$rc" = 1 ]
rm -rf "$loc"/*

# -f per command.
client -q 127.0.0.1 "$port" get one.txt
client -q 127.0.0.1 "$port" get one.txt
check "second get: exit 1 (exists)" [ "$rc" = 1 ]
printf 'old' > "$loc/one.txt"
client -q 127.0.0.1 "$port" get -f one.txt
check "get -f: exit 0" [ "$rc" = 0 ]
check "get -f: overwritten" cmp -s "$loc/one.txt" "$srv/one.txt"
client -q 127.0.0.1 "$port" get -x one.txt
check "unknown flag: exit 1" [ "$rc" = 1 ]
rm -rf "$loc"/*

# mkdir, lmkdir, lls PATH.
client -q 127.0.0.1 "$port" mkdir "made/$cjkdir"
check "mkdir without parent: exit 1" [ "$rc" = 1 ]
client -q 127.0.0.1 "$port" mkdir made
check "mkdir: exit 0" [ "$rc" = 0 ]
check "mkdir: a directory" [ -d "$srv/made" ]
client -q 127.0.0.1 "$port" mkdir made
check "mkdir again: exit 1" [ "$rc" = 1 ]
check "mkdir again: the server's reason" grep -q "exists" "$top/err"
client -q 127.0.0.1 "$port" lmkdir "$cjkdir"
check "lmkdir: a directory" [ -d "$loc/$cjkdir" ]
printf '12345' > "$loc/$cjkdir/f"
client -q 127.0.0.1 "$port" lls "$cjkdir"
check "lls PATH: lists it" grep -qx 'f' "$top/out"
client -q 127.0.0.1 "$port" lls -l "$cjkdir/f"
check "lls -l FILE: its line" grep -q "^-.* 5 .* $cjkdir/f$" "$top/out"
rm -rf "$loc"/*

# Trees: put -r skips links and FIFOs; empty and UTF-8 directories come.
tree=$top/tree
mkdir -p "$tree/empty/deeper/deepest" "$tree/$cjkdir" "$tree/sub"
printf 'a' > "$tree/a.txt"
printf 'b' > "$tree/$cjkdir/b.txt"
head -c 100000 /dev/urandom > "$tree/sub/c.bin"
: > "$tree/sub/zero"
ln -s a.txt "$tree/link"
mkfifo "$tree/fifo"
(cd "$top" && "$CLIENT_BIN" -q 127.0.0.1 "$port" put -r tree > "$top/out" \
    2> "$top/err" < /dev/null)
check "put -r: exit 0" [ $? = 0 ]
check "put -r: the tree" cmp -s "$srv/tree/sub/c.bin" "$tree/sub/c.bin"
check "put -r: empty dirs" [ -d "$srv/tree/empty/deeper/deepest" ]
check "put -r: UTF-8 dir" cmp -s "$srv/tree/$cjkdir/b.txt" "$tree/$cjkdir/b.txt"
check "put -r: no link" [ ! -e "$srv/tree/link" ]
check "put -r: no FIFO" [ ! -e "$srv/tree/fifo" ]
client -q 127.0.0.1 "$port" get -r tree
check "get -r: exit 0" [ "$rc" = 0 ]
rm "$tree/link" "$tree/fifo"
check "get -r: identical tree" diff -r "$loc/tree" "$tree"
mkdir "$loc/into"
client -q 127.0.0.1 "$port" get -r tree into
check "get -r into a dir: inside it" diff -r "$loc/into/tree" "$tree"
client -q 127.0.0.1 "$port" get tree
check "get of a directory without -r: exit 1" [ "$rc" = 1 ]
# Onto a partly existing tree: the new lands, the files in place (same
# size and time: put keeps the time) are up to date, one that differs
# fails (nothing replaces a remote file).
printf 'new' > "$tree/new.txt"
printf 'new2' > "$tree/sub/new2.txt"
(cd "$top" && "$CLIENT_BIN" -q 127.0.0.1 "$port" put -r tree > "$top/out" \
    2> "$top/err" < /dev/null)
check "put -r onto existing: exit 0" [ $? = 0 ]
check "put -r onto existing: new files land" \
    cmp -s "$srv/tree/sub/new2.txt" "$tree/sub/new2.txt"
check "put -r onto existing: the rest up to date" grep -q \
    "^put -r tree: 2 files, 7 bytes in .* s; 4 up to date, 0 skipped, 0 failed$" \
    "$top/out"
check "put -r onto existing: nothing on standard error" [ ! -s "$top/err" ]
printf 'changed' > "$tree/new.txt"
(cd "$top" && "$CLIENT_BIN" -q 127.0.0.1 "$port" put -r tree > "$top/out" \
    2> "$top/err" < /dev/null)
check "put -r over a differing file: exit 1" [ $? = 1 ]
check "put -r over a differing file: one line, says exists" eval \
    '[ "$(lines "$top/err")" = 1 ] && grep -q exists "$top/err"'
check "put -r over a differing file: counted failed" grep -q \
    "; 5 up to date, 0 skipped, 1 failed$" "$top/out"
rm -rf "$loc"/*

# Digests: every transfer checked; a corrupted byte is never published.
client -q --digest sha256 127.0.0.1 "$port" get big
check "--digest sha256: exit 0" [ "$rc" = 0 ]
check "--digest sha256: byte-exact" cmp -s "$loc/big" "$srv/big"
rm -f "$loc/big"
client -q --digest md5 127.0.0.1 "$port" get big
check "--digest md5: usage error" [ "$rc" = 2 ]
# The relay reads packets: in plaintext only (over TLS a flipped
# byte fails the record, not the digest).
if ! over_tls; then
start_relay -c s2c
client -q 127.0.0.1 "$rport" get big
check "corrupted download: exit 1" [ "$rc" = 1 ]
check "corrupted download: one line" one_error_line
check "corrupted download: says integrity" grep -q "integrity" "$top/err"
check "corrupted download: nothing published" no_stray_files
client -q 127.0.0.1 "$rport" get -a big
check "corrupted resumable download: exit 1" [ "$rc" = 1 ]
check "corrupted: no .part kept" no_stray_files
# The control: without a digest the same corruption goes unseen.
client -q --digest none 127.0.0.1 "$rport" get big
check "no digest: the corruption is published" \
    sh -c "! cmp -s '$loc/big' '$srv/big'"
rm -f "$loc/big"
stop_relay
start_relay -c c2s
cp "$srv/big" "$loc/up.bin"
client -q 127.0.0.1 "$rport" put up.bin
check "corrupted upload: exit 1" [ "$rc" = 1 ]
check "corrupted upload: ERR 10" grep -q "server error 10" "$top/err"
check "corrupted upload: nothing on the server" [ ! -e "$srv/up.bin" ]
check "corrupted upload: logged" grep -q "Sent ERR 10" "$top/server.log"
stop_relay
rm -f "$loc/up.bin"
fi

# The relay reads packets: in plaintext only (it cuts at a DAT).
if ! over_tls; then
# Resume: cut at about half, then get -a sends only the rest, verified.
start_relay -k 1000000
client -q 127.0.0.1 "$rport" get -a big
check "cut download: exit 3" [ "$rc" = 3 ]
check "cut download: big.part kept" [ -s "$loc/big.part" ]
check "cut download: no big" [ ! -e "$loc/big" ]
stop_relay
part=$(wc -c < "$loc/big.part")
client -q 127.0.0.1 "$port" get -a big
check "resumed: exit 0" [ "$rc" = 0 ]
check "resumed: byte-exact" cmp -s "$loc/big" "$srv/big"
check "resumed: no .part" [ ! -e "$loc/big.part" ]
sent=$(sed -n 's/.*RRQ "big" \([0-9]*\) bytes.*: ok$/\1/p' \
    "$top/server.log" | tail -n 1)
check "resumed: only the rest was sent" [ "$sent" = $((2000000 - part)) ]
rm -f "$loc/big"
fi
# A .part whose bytes differ: reported, removed, never published.
head -c 5000 /dev/zero > "$loc/big.part"
client -q 127.0.0.1 "$port" reget big
check "differing .part: exit 1" [ "$rc" = 1 ]
check "differing .part: one line" one_error_line
check "differing .part: says so" grep -q "big.part does not match" "$top/err"
check "differing .part: nothing left" no_stray_files
# Longer than the remote file: the same.
head -c 2000001 "$srv/big" > "$loc/big.part"
printf 'x' >> "$loc/big.part"
client -q 127.0.0.1 "$port" get -a big
check "longer .part: exit 1" [ "$rc" = 1 ]
check "longer .part: nothing left" no_stray_files
# Whole already (offset equal to the size): checked, then published.
cp "$srv/big" "$loc/big.part"
client -q 127.0.0.1 "$port" get -a big
check "complete .part: exit 0" [ "$rc" = 0 ]
check "complete .part: published" cmp -s "$loc/big" "$srv/big"
rm -f "$loc/big"
# Mid-block and block-aligned offsets.
for n in 700 65464 130928; do
	head -c "$n" "$srv/big" > "$loc/big.part"
	client -q 127.0.0.1 "$port" get -a big
	check "offset $n: exit 0" [ "$rc" = 0 ]
	check "offset $n: byte-exact" cmp -s "$loc/big" "$srv/big"
	rm -f "$loc/big"
done
# The relay reads packets: in plaintext only (it stalls at a DAT).
if ! over_tls; then
# Ctrl-C while it stalls: what arrived is kept; then it completes.
start_relay -s 500000 -m "$top/stalled"
(cd "$loc" && exec "$CLIENT_BIN" -q 127.0.0.1 "$rport" get -a big \
    > "$top/out" 2> "$top/err" < /dev/null) &
client_pid=$!
i=0
while [ ! -e "$top/stalled" ] && [ $i -lt 200 ]; do
	i=$((i + 1))
	sleep 0.05
done
kill -INT "$client_pid"
wait "$client_pid"
rc=$?
check "Ctrl-C: exit 1" [ "$rc" = 1 ]
check "Ctrl-C: says interrupted" grep -q "interrupted" "$top/err"
check "Ctrl-C: big.part kept" [ -s "$loc/big.part" ]
check "Ctrl-C: says the part was kept, its size, reget" grep -qx \
    "get big: interrupted; kept big.part ($(wc -c < "$loc/big.part") bytes): reget to resume" \
    "$top/err"
stop_relay
client -q 127.0.0.1 "$port" get -a big
check "after Ctrl-C: resumed, byte-exact" cmp -s "$loc/big" "$srv/big"
rm -f "$loc/big"
# A lost connection with -a: the same.
start_relay -k 1000000
client -q 127.0.0.1 "$rport" get -a big
check "cut with -a: exit 3" [ "$rc" = 3 ]
check "cut with -a: says the part was kept" \
    grep -q "; kept big.part ([0-9]* bytes): reget to resume$" "$top/err"
stop_relay
# A later plain get: in place, the stale .part goes, and it says so.
client -q 127.0.0.1 "$port" get big
check "plain get over a stale .part: exit 0" [ "$rc" = 0 ]
check "plain get over a stale .part: byte-exact" cmp -s "$loc/big" "$srv/big"
check "plain get over a stale .part: removed" no_stray_files big
check "plain get over a stale .part: says so" \
    grep -q "^get big: removed the stale big.part" "$top/err"
rm -f "$loc/big"
# Without -a, a failed download leaves nothing.
start_relay -k 1000000
client -q 127.0.0.1 "$rport" get big
check "cut without -a: nothing left" no_stray_files
stop_relay
fi

# A download that would not fit: refused at once when its size is known,
# stopped before the file system fills when it is not (issue 13).
small=$top/small
mkdir "$small"
if mount -t tmpfs -o size=1m tmpfs "$small" 2>/dev/null; then
	(cd "$small" && "$CLIENT_BIN" -q 127.0.0.1 "$port" get big \
	    > "$top/out" 2> "$top/err" < /dev/null)
	check "too big, size known: exit 1" [ $? = 1 ]
	check "too big, size known: one line" one_error_line
	check "too big, size known: says so" grep -q "would not fit" "$top/err"
	check "too big, size known: nothing left" [ -z "$(ls -A "$small")" ]
	(cd "$small" && "$CLIENT_BIN" -q --no-options 127.0.0.1 "$port" \
	    get big > "$top/out" 2> "$top/err" < /dev/null)
	check "too big, size unknown: exit 1" [ $? = 1 ]
	check "too big, size unknown: one line" one_error_line
	check "too big, size unknown: stopped in time" \
	    grep -q "nearly full" "$top/err"
	check "too big, size unknown: nothing left" [ -z "$(ls -A "$small")" ]
	check "too big, size unknown: the server told" \
	    grep -q "client sent ERR 3" "$top/server.log"
	umount "$small"
else
	echo "note: not root, the disk-full checks are skipped"
fi

# The relay reads packets: in plaintext only (it corrupts a DAT).
if ! over_tls; then
# Many transfers of random sizes through the corrupting relay, both ways
# (FILES of each): none is ever published.
files=${CORRUPT_FILES:-500}
mkdir "$srv/rnd" "$loc/rnd"
i=0
: > "$top/gets"
: > "$top/puts"
while [ $i -lt "$files" ]; do
	size=$(( ($(od -An -N3 -tu4 /dev/urandom) % 300000) + 1 ))
	head -c "$size" /dev/urandom > "$srv/rnd/f$i"
	cp "$srv/rnd/f$i" "$loc/rnd/u$i"
	echo "-get rnd/f$i rnd" >> "$top/gets"
	echo "-put rnd/u$i rnd" >> "$top/puts"
	i=$((i + 1))
done
# corrupt_all DIRECTION BATCH DIR NAME WHAT...: every transfer of the
# batch through the corrupting relay is refused, none published in DIR.
corrupt_all() {
	start_relay -c "$1"
	client -q -b "$2" 127.0.0.1 "$rport"
	check "corrupting relay $1: nothing published" \
	    [ "$(find "$3" -name "$4*" | wc -l)" = 0 ]
	check "corrupting relay $1: every transfer refused" \
	    [ "$(grep -c "$5" "$top/err")" = "$files" ]
	stop_relay
}
corrupt_all s2c "$top/gets" "$loc/rnd" f "integrity"
corrupt_all c2s "$top/puts" "$srv/rnd" u "server error 10"
fi
stop_server

echo "names: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
