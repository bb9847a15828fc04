#!/bin/sh
# Trees over a link with latency (issue 23; docs/protocol.md,
# "Pipelining"): through the delay relay (tests/tools/delay.c), a
# 1,000-file get -r and put -r take a small constant number of round
# trips, counted by the relay, not one or more per file; a pipeline whose
# files hit -m, a bad name or an existing name fails those files only; a
# link cut mid-tree, SIGKILL of either side and Ctrl-C leave no partial
# file on either side, and no file stored is reported failed.  Needs
# SERVER_BIN, CLIENT_BIN and DELAY_BIN.
set -u

. "$(dirname "$0")/lib.sh"
: "${DELAY_BIN:?}"

client_pid=
stop_client() {
	[ -n "$client_pid" ] || return 0
	kill -9 "$client_pid" 2>/dev/null
	wait "$client_pid" 2>/dev/null
	client_pid=
}
# The round trips are counted on a tree served from memory (tmpfs) where
# there is one: the relay counts as a turn any moment when nothing is in
# flight, and on a disk the server's syncs (a few ms each, one a batch of
# uploads) make such moments that are no round trip of the protocol.
shm=
[ -d /dev/shm ] && shm=$(mktemp -d /dev/shm/fs-pipeline.XXXXXX 2>/dev/null)
trap 'stop_client; stop_delay; cleanup; [ -n "$shm" ] && rm -rf "$shm"' \
    EXIT INT TERM

# The round trips of the connections so far: turns / 2, summed.
round_trips() {
	i=0
	while [ ! -s "$top/stats" ] && [ $i -lt 200 ]; do
		i=$((i + 1)); sleep 0.05
	done
	awk '{ for (i = 1; i < NF; i++) if ($i == "turns") t += $(i + 1) }
	    END { print int(t / 2) }' "$top/stats"
}
# client_bg ARGS...: the client in $loc in the background ($client_pid).
client_bg() {
	(cd "$loc" && exec "$CLIENT_BIN" "$@" > "$top/out" 2> "$top/err" \
	    < /dev/null) &
	client_pid=$!
}
# wait_files DIR N: until DIR holds at least N regular files (10 s).
wait_files() {
	i=0
	while [ "$(find "$1" -type f 2>/dev/null | wc -l)" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
}
# wait_gone PID: until the process has ended (10 s); its status in $rc.
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && { rc=timeout; return 1; }
		sleep 0.05
	done
	wait "$1"
	rc=$?
	client_pid=
}
# whole_only COPY ORIG: every file under COPY is whole (the same bytes as
# under ORIG), and nothing else is there (no temporary, no part).
whole_only() {
	wrong=$( (cd "$1" 2>/dev/null && find . -type f) | while read -r f; do
		cmp -s "$1/$f" "$2/$f" || echo "$f"
	done)
	[ -z "$wrong" ] || { echo "partial or stray: $wrong"; false; }
}
# no_failed_stored FROM TO: no "put FROM/X: ..." error line names a file
# that the server holds as TO/X, unless it says that whether it was
# stored is not known.
no_failed_stored() {
	wrong=$(grep "^put $1/" "$top/err" | grep -v 'not known' |
	    sed -n "s|^put $1/\([^:]*\):.*|\1|p" | while read -r f; do
		[ -e "$srv/$2/$f" ] && echo "$f"
	done)
	[ -z "$wrong" ] || { echo "reported failed, stored: $wrong"; false; }
}

# The tree: 1,000 files of 100 bytes to 20 kB in 10 directories, and one
# of 3 MB.
mkdir "$top/tree"
d=0
while [ $d -lt 10 ]; do
	mkdir "$top/tree/d$d"
	head -c $((d * 2000 + 100)) /dev/urandom > "$top/tree/d$d/seed"
	i=1
	while [ $i -lt 100 ]; do
		cp "$top/tree/d$d/seed" "$top/tree/d$d/f$i"
		printf '%d' "$i" >> "$top/tree/d$d/f$i"
		i=$((i + 1))
	done
	d=$((d + 1))
done
head -c 3000000 /dev/urandom > "$top/tree/big"
nfiles=$(find "$top/tree" -type f | wc -l)
check "the tree: 1,001 files" [ "$nfiles" = 1001 ]
disk=$srv
[ -n "$shm" ] && srv=$shm
cp -r "$top/tree" "$srv/tree"
start_server

# get -r and put -r of 1,001 files through 20 ms round trips: a small
# constant of round trips (2.5 a file without the extension).  About 4 on
# a quiet machine; the relay also counts as a turn any moment a process
# busy elsewhere leaves nothing in flight (26 seen with 8 builds running),
# so the bound says "not one a file", not "exactly so few": 1 for 10 files.
start_delay -d 10
client -q 127.0.0.1 "$dport" get -r tree
check "get -r: exit 0" [ "$rc" = 0 ]
check "get -r: the tree, byte-exact" diff -r "$top/tree" "$loc/tree"
rt=$(round_trips)
echo "note: get -r of 1,001 files: $rt round trips"
check "get -r: $rt round trips for 1,001 files (< 100)" [ "$rt" -lt 100 ]
stop_delay
start_delay -d 10
client -q 127.0.0.1 "$dport" put -r tree up
check "put -r: exit 0" [ "$rc" = 0 ]
check "put -r: the tree, byte-exact" diff -r "$top/tree" "$srv/up"
rt=$(round_trips)
echo "note: put -r of 1,001 files: $rt round trips"
check "put -r: $rt round trips for 1,001 files (< 100)" [ "$rt" -lt 100 ]
stop_delay
rm -rf "$loc/tree" "$srv/up"
stop_server
srv=$disk
cp -r "$top/tree" "$srv/tree"

# Files that hit -m, a bad name or an existing name fail alone; the
# others of the same pipeline are stored.
start_server -m 5000
mkdir "$loc/m"
head -c 100 /dev/urandom > "$loc/m/a"
head -c 6000 /dev/urandom > "$loc/m/b_big"
head -c 200 /dev/urandom > "$loc/m/c"
head -c 300 /dev/urandom > "$loc/m/d_exists"
head -c 5000 /dev/urandom > "$loc/m/e_exact"
bad=$(printf 'f\342\200\256x')
head -c 10 /dev/urandom > "$loc/m/$bad"
mkdir "$srv/m"
printf 'old' > "$srv/m/d_exists"
client -q 127.0.0.1 "$port" put -r m
check "mixed: exit 1" [ "$rc" = 1 ]
check "mixed: three failures" [ "$(lines "$top/err")" = 3 ]
check "mixed: -m" grep -q '^put m/b_big: .*server error 3' "$top/err"
check "mixed: existing" grep -q '^put m/d_exists: .*server error 6' "$top/err"
check "mixed: bad name" grep -q 'not a valid name' "$top/err"
check "mixed: the others stored" sh -c "cmp -s '$loc/m/a' '$srv/m/a' &&
    cmp -s '$loc/m/c' '$srv/m/c' && cmp -s '$loc/m/e_exact' '$srv/m/e_exact'"
check "mixed: nothing of the failed" sh -c "[ ! -e '$srv/m/b_big' ] &&
    [ \"\$(cat '$srv/m/d_exists')\" = old ]"
(cd "$loc/m" && "$CLIENT_BIN" -q 127.0.0.1 "$port" put a c d_exists x_missing \
    m > "$top/out" 2> "$top/err" < /dev/null)
rc=$?
check "several files: exit 1" [ "$rc" = 1 ]
check "several files: the existing ones and the missing one fail" \
    [ "$(lines "$top/err")" = 4 ]
rm -rf "$loc/m"
stop_server

start_server
# A link cut mid-tree, both ways: what arrived is whole, the rest absent,
# and the command fails.
start_delay -d 2 -k 6000000
client -q 127.0.0.1 "$dport" get -r tree
check "cut get -r: exit 3" [ "$rc" = 3 ]
check "cut get -r: some files came" wait_files "$loc/tree" 1
check "cut get -r: only whole files" whole_only "$loc/tree" "$top/tree"
stop_delay
rm -rf "$loc/tree"
cp -r "$top/tree" "$loc/tree"
start_delay -d 2 -k 6000000
client -q 127.0.0.1 "$dport" put -r tree cut
check "cut put -r: exit 3" [ "$rc" = 3 ]
check "cut put -r: only whole files stored" whole_only "$srv/cut" "$top/tree"
check "cut put -r: none reported failed that was stored" \
    no_failed_stored tree cut
stop_delay
rm -rf "$srv/cut"

# SIGKILL of the client, and of the server's child, mid-pipeline.
start_delay -d 5
client_bg -q 127.0.0.1 "$dport" put -r tree killed
check "kill client, put -r: under way" wait_files "$srv/killed" 20
kill -9 "$client_pid"
wait_gone "$client_pid"
sleep 0.3
check "kill client, put -r: only whole files" whole_only "$srv/killed" \
    "$top/tree"
rm -rf "$srv/killed" "$loc/tree"
client_bg -q 127.0.0.1 "$dport" get -r tree
check "kill client, get -r: under way" wait_files "$loc/tree" 20
kill -9 "$client_pid"
wait_gone "$client_pid"
check "kill client, get -r: only whole files" whole_only "$loc/tree" \
    "$top/tree"
rm -rf "$loc/tree"
client_bg -q 127.0.0.1 "$dport" get -r tree
check "kill server, get -r: under way" wait_files "$loc/tree" 20
pkill -9 -P "$server_pid"
wait_gone "$client_pid"
check "kill server, get -r: exit 3" [ "$rc" = 3 ]
check "kill server, get -r: only whole files" whole_only "$loc/tree" \
    "$top/tree"
cp -r "$top/tree" "$loc/tree2"
client_bg -q 127.0.0.1 "$dport" put -r tree2 killed2
check "kill server, put -r: under way" wait_files "$srv/killed2" 20
pkill -9 -P "$server_pid"
wait_gone "$client_pid"
check "kill server, put -r: exit 3" [ "$rc" = 3 ]
check "kill server, put -r: only whole files" whole_only "$srv/killed2" \
    "$top/tree"
check "kill server, put -r: none reported failed that was stored" \
    no_failed_stored tree2 killed2
rm -rf "$loc/tree" "$srv/killed2"

# Ctrl-C: the command stops at once, says what was done, leaves nothing
# partial, and reports no stored file failed.
ms_now() { date +%s%3N; }
client_bg -q 127.0.0.1 "$dport" get -r tree
check "Ctrl-C get -r: under way" wait_files "$loc/tree" 20
t0=$(ms_now)
kill -INT "$client_pid"
wait_gone "$client_pid"
t1=$(ms_now)
check "Ctrl-C get -r: exit 1" [ "$rc" = 1 ]
check "Ctrl-C get -r: within a second ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 1000 ]
check "Ctrl-C get -r: says what was done" \
    grep -q '^get: interrupted: [0-9]* of [0-9]* files done' "$top/err"
check "Ctrl-C get -r: only whole files" whole_only "$loc/tree" "$top/tree"
n1=$(find "$loc/tree" -type f | wc -l)
sleep 0.3
check "Ctrl-C get -r: no file after" [ "$(find "$loc/tree" -type f | wc -l)" = "$n1" ]
rm -rf "$loc/tree"
cp -r "$top/tree" "$loc/tree"
client_bg -q 127.0.0.1 "$dport" put -r tree int
check "Ctrl-C put -r: under way" wait_files "$srv/int" 20
t0=$(ms_now)
kill -INT "$client_pid"
wait_gone "$client_pid"
t1=$(ms_now)
check "Ctrl-C put -r: exit 1" [ "$rc" = 1 ]
check "Ctrl-C put -r: within a second ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 1000 ]
check "Ctrl-C put -r: says what was done" \
    grep -q '^put: interrupted: [0-9]* of [0-9]* files done' "$top/err"
sleep 0.3
check "Ctrl-C put -r: only whole files" whole_only "$srv/int" "$top/tree"
check "Ctrl-C put -r: none reported failed that was stored" \
    no_failed_stored tree int
stored=$(find "$srv/int" -type f | wc -l)
said=$(sed -n 's/^put: interrupted: \([0-9]*\) of.*/\1/p' "$top/err")
unknown=$(grep -c 'not known' "$top/err")
check "Ctrl-C put -r: $said said done, $unknown not known, $stored stored" \
    [ -n "$said" ]
check "Ctrl-C put -r: no more stored than said and not known" \
    [ "$stored" -ge "$said" -a "$stored" -le $((said + unknown)) ]
stop_delay
stop_server

echo "pipeline: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
