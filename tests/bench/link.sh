#!/bin/sh
# The benchmark's rows over a link (issue 23): a real tree, /usr/include
# as installed (regular files and directories; symbolic links left out,
# as our server shows none that leads outside), moved through the delay
# relay (tests/tools/delay.c) at BENCH_LINK_DELAY ms each way (10: a
# 20 ms round trip), by our client and by rsync -a over ssh through the
# same relay, each row BENCH_LINK_REPS times (default 1), medians shown.
# sshd is started here, on loopback, with its own host and user keys and
# configuration in a temporary directory, and stopped by its PID, as
# every other process this script starts.  scripts/bench runs it last;
# it runs alone too:
#
#   sh tests/bench/link.sh          (after make all and the test build)
#
# Needs bin/server, bin/client, build/rel/tests/delay, and OpenSSH's
# server and rsync (scripts/setup test installs both); without them it
# says so and exits 0.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
REPS=${BENCH_LINK_REPS:-1}
DELAY=${BENCH_LINK_DELAY:-10}
TREE=${BENCH_LINK_TREE:-/usr/include}
SERVER=$top/bin/server
CLIENT=$top/bin/client
DELAYBIN=$top/build/rel/tests/delay
SSHD=/usr/sbin/sshd

say() { printf '%s\n' "$*" >&2; }
for need in "$SERVER" "$CLIENT" "$DELAYBIN" "$SSHD"; do
	[ -x "$need" ] || { say "link rows skipped: no $need"; exit 0; }
done
for need in rsync ssh ssh-keygen; do
	command -v "$need" > /dev/null ||
	    { say "link rows skipped: no $need"; exit 0; }
done

# On disk, not tmpfs: durability is part of an upload.
work=$(mktemp -d /var/tmp/fs-link.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do
		pkill -P "$p" 2>/dev/null	# a relay's connections
		kill "$p" 2>/dev/null
	done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
now() { date +%s.%N; }

# wait_line FILE PATTERN PID: until FILE has a line matching PATTERN
# (ten seconds at most, while PID lives).
wait_line() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$3" 2>/dev/null; then
			say "did not start: $(cat "$1" 2>/dev/null)"
			exit 1
		fi
		sleep 0.05
	done
}

# The tree, regular files and directories only.
mkdir -p "$work/srv" "$work/loc"
rsync -a --no-links "$TREE/" "$work/srv/tree/" 2> /dev/null
files=$(find "$work/srv/tree" -type f | wc -l)
bytes=$(du -sb "$work/srv/tree" | cut -f1)

# Our server, and a relay in front of it.
"$SERVER" "$work/srv" 0 > "$work/server.out" 2> "$work/server.log" &
server_pid=$!
pids="$pids $server_pid"
wait_line "$work/server.out" listening "$server_pid"
port=$(sed -n 's/.* port \([0-9]*\)$/\1/p' "$work/server.out")

# sshd on loopback (sshd.sh): sets sport, ssh_opts and remote.
. "$top/tests/bench/sshd.sh"

# start_delay PORT: a relay in front of it; prints the relay's port.
start_delay() {
	"$DELAYBIN" -d "$DELAY" "$1" > "$work/delay.$1" 2>&1 &
	pids="$pids $!"
	wait_line "$work/delay.$1" '^delay port' "$!"
	sed -n 's/^delay port //p' "$work/delay.$1"
}
dport=$(start_delay "$port")
sdport=$(start_delay "$sport")
ssh_cmd="ssh -p $sdport $ssh_opts"

# record NAME COMMAND...: one timed run, its seconds appended to NAME.
record() {
	name=$1
	shift
	sync
	t0=$(now)
	if ! "$@" > "$work/row.out" 2>&1; then
		say "$name failed: $(tail -3 "$work/row.out")"
		echo fail >> "$work/res.$name"
		return
	fi
	t1=$(now)
	echo "$t1 - $t0" | bc >> "$work/res.$name"
}
median() {
	sort -n "$work/res.$1" 2>/dev/null | grep -v fail |
	    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

n=0
while [ $n -lt "$REPS" ]; do
	n=$((n + 1))
	rm -rf "$work/loc/tree" "$work/loc/rs" "$work/loc/rsf"
	record ours_get sh -c "cd '$work/loc' && '$CLIENT' -q 127.0.0.1 \
	    $dport get -r tree"
	record rsync_get rsync -a -e "$ssh_cmd" "$remote:$work/srv/tree/" \
	    "$work/loc/rs/"
	record ours_put sh -c "cd '$work/loc' && '$CLIENT' -q 127.0.0.1 \
	    $dport put -r tree up$n"
	record rsync_fsync_put rsync -a --fsync -e "$ssh_cmd" \
	    "$work/loc/tree/" "$remote:$work/srv/rsf$n/"
	record rsync_put rsync -a -e "$ssh_cmd" "$work/loc/tree/" \
	    "$remote:$work/srv/rs$n/"
	if ! diff -r "$work/srv/tree" "$work/loc/tree" > /dev/null ||
	    ! diff -r "$work/srv/tree" "$work/srv/up$n" > /dev/null; then
		say "our copies differ from the tree"
		exit 1
	fi
	rm -rf "$work/srv/up$n" "$work/srv/rsf$n" "$work/srv/rs$n"
done

row() {	# row LABEL NAME [PEER]
	m=$(median "$2")
	[ -n "$m" ] || { printf '  %-44s %s\n' "$1" failed; return; }
	if [ $# -gt 2 ] && p=$(median "$3") && [ -n "$p" ]; then
		printf '  %-44s %8.2f s   %6.2fx %s\n' "$1" "$m" \
		    "$(echo "$p / $m" | bc -l)" "$4"
	else
		printf '  %-44s %8.2f s\n' "$1" "$m"
	fi
}
echo "Over a link: $DELAY ms each way (delay relay), $files files, $bytes bytes ($TREE), median of $REPS"
row "get -r (ours)" ours_get rsync_get "the speed of rsync -a"
row "rsync -a over ssh, from the server" rsync_get
row "put -r (ours, every file synced)" ours_put rsync_fsync_put \
    "the speed of rsync -a --fsync"
row "rsync -a --fsync over ssh, to the server" rsync_fsync_put
row "rsync -a over ssh, to the server" rsync_put
