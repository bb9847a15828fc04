#!/bin/sh
# The link with latency (tests/tools/delay.c) that the tree and TLS tests
# and the benchmark run through: it carries a session intact, delays each
# turn by its delay (a lower bound, so no timing luck), caps the rate,
# cuts where told, and counts turns.  Needs SERVER_BIN, CLIENT_BIN and
# DELAY_BIN.
set -u

. "$(dirname "$0")/lib.sh"
: "${DELAY_BIN:?}"

# The stats line of the one connection, once its child has written it.
stat_of() {	# stat_of FIELD
	i=0
	while [ ! -s "$top/stats" ] && [ $i -lt 200 ]; do
		i=$((i + 1)); sleep 0.05
	done
	awk -v f="$1" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' \
	    "$top/stats"
}
ms_now() { date +%s%3N; }

head -c 300000 /dev/urandom > "$srv/file"
start_server

# Intact, counted both ways.
start_delay -d 0
client -q 127.0.0.1 "$dport" get file
check "no delay: get exit 0" [ "$rc" = 0 ]
check "no delay: byte-exact" cmp -s "$srv/file" "$loc/file"
s2c=$(stat_of s2c)
check "no delay: the server's bytes counted" [ "${s2c:-0}" -gt 300000 ]
check "no delay: turns counted" [ "$(stat_of turns)" -ge 4 ]
stop_delay
rm -f "$loc/file"

# Every turn waits at least the delay: the session takes at least
# (turns - 1) x delay, whatever the machine's speed.
start_delay -d 100
t0=$(ms_now)
client -q 127.0.0.1 "$dport" ls
t1=$(ms_now)
check "delay: ls exit 0" [ "$rc" = 0 ]
check "delay: ls lists the file" grep -q ' file$' "$top/out"
turns=$(stat_of turns)
check "delay: at least two round trips" [ "${turns:-0}" -ge 4 ]
check "delay: each turn waited 100 ms ($turns turns, $((t1 - t0)) ms)" \
    [ $((t1 - t0)) -ge $(((turns - 1) * 100)) ]
stop_delay

# A rate cap of 1 MB/s: 300 kB take at least 0.3 s.
start_delay -r 1000000
t0=$(ms_now)
client -q 127.0.0.1 "$dport" get file
t1=$(ms_now)
check "rate: get exit 0" [ "$rc" = 0 ]
check "rate: byte-exact" cmp -s "$srv/file" "$loc/file"
check "rate: 1 MB/s held ($((t1 - t0)) ms for 300 kB)" [ $((t1 - t0)) -ge 300 ]
stop_delay
rm -f "$loc/file"

# A cut: the client sees a lost connection (exit 3), keeps nothing.
start_delay -k 100000
client -q 127.0.0.1 "$dport" get file
check "cut: exit 3" [ "$rc" = 3 ]
check "cut: nothing kept" no_stray_files
stop_delay

echo "link: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
