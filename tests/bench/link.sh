#!/bin/sh
# The benchmark's rows over a link (issue 23): a real tree, /usr/include
# as installed (regular files and directories; symbolic links left out,
# as our server shows none that leads outside), moved through the delay
# relay (tests/tools/delay.c) at BENCH_LINK_DELAY ms each way (10: a
# 20 ms round trip), by our client, by rsync -a (and rsync -a --fsync)
# over ssh and by OpenSSH's sftp -r through the same relay; then a
# BENCH_LINK_BIG_MIB (1024) file through it, by our get and by a raw TCP
# copy (tests/bench/ceiling tcpsend to tcpsink); the relay's own
# throughput at zero delay, beside the same copy without it; and on
# loopback, without the relay, the tree by get -r and put -r beside
# cp -r and cp -r + sync.
#
# Each row runs BENCH_LINK_REPS times (default 3), the rows of a group
# sandwiched: in order in odd repetitions, in reverse in even ones, so
# that a slow moment of this shared machine falls on every row alike.
# Each row shows its median and spread (min-max); each ratio is the
# median of the ratios within one repetition, the issue's target in
# brackets.  No target is enforced here: this measures, it does not
# judge.  sftp costs about a round trip and a half per file here (780 s
# for /usr/include in issue 23), so it moves BENCH_LINK_SFTP_FILES (300)
# files sampled evenly from the tree, and our client and rsync move the
# same subset beside it: those rows compare files per second, and say so.
#
# sshd is started here, on loopback, with its own host and user keys and
# configuration in a temporary directory, and stopped by its PID, as
# every other process this script starts, on failure too.  scripts/bench
# runs it last; it runs alone too:
#
#   sh tests/bench/link.sh          (after make bench's tools are built)
#
# Needs bin/server, bin/client, build/rel/tests/delay and
# build/rel/tests/bench/ceiling, and OpenSSH's server and rsync
# (scripts/setup test installs both); without them it says so and exits 0.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
REPS=${BENCH_LINK_REPS:-3}
DELAY=${BENCH_LINK_DELAY:-10}
TREE=${BENCH_LINK_TREE:-/usr/include}
BIG_MIB=${BENCH_LINK_BIG_MIB:-1024}
SFTP_FILES=${BENCH_LINK_SFTP_FILES:-300}
SERVER=$top/bin/server
CLIENT=$top/bin/client
DELAYBIN=$top/build/rel/tests/delay
CEILING=$top/build/rel/tests/bench/ceiling
SSHD=/usr/sbin/sshd

say() { printf '%s\n' "$*" >&2; }
for need in "$SERVER" "$CLIENT" "$DELAYBIN" "$CEILING" "$SSHD"; do
	[ -x "$need" ] || { say "link rows skipped: no $need"; exit 0; }
done
for need in rsync ssh sftp ssh-keygen; do
	command -v "$need" > /dev/null ||
	    { say "link rows skipped: no $need"; exit 0; }
done

# On disk, not tmpfs: durability is part of an upload.
work=$(mktemp -d /var/tmp/fs-link.XXXXXX)
pids=""
# A process started inside $(...) is recorded in this file, since the
# subshell's $pids is lost.
track() { echo "$1" >> "$work/pids"; }
cleanup() {
	pids="$pids $(cat "$work/pids" 2>/dev/null)"
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

# The tree, regular files and directories only; the sftp subset, every
# k-th file of it, in the same directories; the big file.
mkdir -p "$work/srv" "$work/loc" "$work/res"
# (rsync names each link it skips on its standard output.)
rsync -a --no-links "$TREE/" "$work/srv/tree/" > /dev/null 2>&1
files=$(find "$work/srv/tree" -type f | wc -l)
bytes=$(du -sb "$work/srv/tree" | cut -f1)
(cd "$work/srv/tree" && find . -type f | sort |
    awk -v k=$(( files / SFTP_FILES > 1 ? files / SFTP_FILES : 1 )) \
    -v n="$SFTP_FILES" 'NR % k == 0 && m < n { print; m++ }') \
    > "$work/sub.list"
rsync -a --files-from="$work/sub.list" "$work/srv/tree/" "$work/srv/sub/" \
    > /dev/null
sub_files=$(find "$work/srv/sub" -type f | wc -l)
sub_bytes=$(du -sb "$work/srv/sub" | cut -f1)
head -c $((BIG_MIB * 1048576)) /dev/urandom > "$work/srv/big"

# Our server, and a relay in front of it.
"$SERVER" "$work/srv" 0 > "$work/server.out" 2> "$work/server.log" &
server_pid=$!
pids="$pids $server_pid"
wait_line "$work/server.out" listening "$server_pid"
port=$(sed -n 's/.* port \([0-9]*\)$/\1/p' "$work/server.out")

# sshd on loopback (sshd.sh): sets sport, ssh_opts and remote.
. "$top/tests/bench/sshd.sh"

# The raw copy's receivers: one storing into loc/raw on this disk (behind
# a relay with the delay), one discarding (behind a relay without).
start_sink() {	# start_sink OUT NAME: prints the sink's port
	"$CEILING" tcpsink "$1" > "$work/sink.$2" 2>&1 &
	track $!
	wait_line "$work/sink.$2" '^port' "$!"
	sed -n 's/^port //p' "$work/sink.$2"
}
raw_port=$(start_sink "$work/loc/raw" disk)
null_port=$(start_sink /dev/null null)

# start_delay PORT [MS [STATS]]: a relay in front of it; prints the
# relay's port.  With STATS, each connection's line goes there (-o).
start_delay() {
	"$DELAYBIN" -d "${2:-$DELAY}" ${3:+-o "$3"} "$1" > "$work/delay.$1" 2>&1 &
	track $!
	wait_line "$work/delay.$1" '^delay port' "$!"
	sed -n 's/^delay port //p' "$work/delay.$1"
}
dport=$(start_delay "$port")
sdport=$(start_delay "$sport")
draw=$(start_delay "$raw_port")
dnull=$(start_delay "$null_port" 0 "$work/relay0.stats")
for p in "$raw_port" "$null_port" "$dport" "$sdport" "$draw" "$dnull"; do
	[ -n "$p" ] || { say "a relay or a sink did not start"; exit 1; }
done
ssh_cmd="ssh -p $sdport $ssh_opts"

# record NAME COMMAND...: one timed run, its seconds appended to
# res/NAME ("fail" when it failed).  Settled first: what the row before
# wrote is on the disk, so that no row pays for another's.
record() {
	name=$1
	shift
	sync
	t0=$(now)
	if ! "$@" > "$work/row.out" 2>&1; then
		say "$name failed: $(tail -3 "$work/row.out")"
		echo fail >> "$work/res/$name"
		return
	fi
	t1=$(now)
	echo "$t1 - $t0" | bc >> "$work/res/$name"
}
# record_out NAME COMMAND...: the same; the command prints its seconds.
record_out() {
	name=$1
	shift
	sync
	if ! "$@" > "$work/row.out" 2>&1; then
		say "$name failed: $(tail -3 "$work/row.out")"
		echo fail >> "$work/res/$name"
		return
	fi
	tail -1 "$work/row.out" >> "$work/res/$name"
}

# group REP ROW...: runs the rows (functions named row_ROW, each its own
# row ROW) in order when REP is odd, in reverse when even.
group() {
	g_rep=$1
	shift
	if [ $((g_rep % 2)) = 1 ]; then
		for g_row in "$@"; do "row_$g_row"; done
	else
		g_i=$#
		while [ "$g_i" -gt 0 ]; do
			eval "g_row=\${$g_i}"
			"row_$g_row"
			g_i=$((g_i - 1))
		done
	fi
}

client() { (cd "$work/loc" && "$CLIENT" -q "$@"); }
verify() {	# verify A B: the copies alike, else the run stops
	diff -r "$1" "$2" > /dev/null ||
	    { say "$2 differs from $1"; exit 1; }
}
ssh_sftp() {	# ssh_sftp COMMAND: one sftp batch through the relay
	printf '%s\n' "$1" | sftp -q -b - -P "$sdport" $ssh_opts "$remote"
}

# The tree through the relay.
row_get() {
	record ours_get client 127.0.0.1 "$dport" get -r tree
	verify "$work/srv/tree" "$work/loc/tree"
	rm -rf "$work/loc/tree"
}
row_rsync_get() {
	record rsync_get rsync -a -e "$ssh_cmd" "$remote:$work/srv/tree/" \
	    "$work/loc/rs/"
	rm -rf "$work/loc/rs"
}
row_put() {
	record ours_put client 127.0.0.1 "$dport" put -r "$work/srv/tree" up
	verify "$work/srv/tree" "$work/srv/up"
	rm -rf "$work/srv/up"
}
row_rsync_fsync_put() {
	record rsync_fsync_put rsync -a --fsync -e "$ssh_cmd" \
	    "$work/srv/tree/" "$remote:$work/srv/rsf/"
	rm -rf "$work/srv/rsf"
}
row_rsync_put() {
	record rsync_put rsync -a -e "$ssh_cmd" "$work/srv/tree/" \
	    "$remote:$work/srv/rs/"
	rm -rf "$work/srv/rs"
}
# The subset, by sftp and beside it by ours and rsync.
row_sub_get() {
	record sub_ours_get client 127.0.0.1 "$dport" get -r sub
	verify "$work/srv/sub" "$work/loc/sub"
	rm -rf "$work/loc/sub"
}
row_sub_sftp_get() {
	record sub_sftp_get ssh_sftp "get -r $work/srv/sub $work/loc/sf"
	verify "$work/srv/sub" "$work/loc/sf"
	rm -rf "$work/loc/sf"
}
row_sub_rsync_get() {
	record sub_rsync_get rsync -a -e "$ssh_cmd" "$remote:$work/srv/sub/" \
	    "$work/loc/rs/"
	rm -rf "$work/loc/rs"
}
row_sub_put() {
	record sub_ours_put client 127.0.0.1 "$dport" put -r "$work/srv/sub" \
	    subup
	verify "$work/srv/sub" "$work/srv/subup"
	rm -rf "$work/srv/subup"
}
row_sub_sftp_put() {
	record sub_sftp_put ssh_sftp "put -r $work/srv/sub $work/srv/sfup"
	verify "$work/srv/sub" "$work/srv/sfup"
	rm -rf "$work/srv/sfup"
}
row_sub_rsync_fsync_put() {
	record sub_rsync_fsync_put rsync -a --fsync -e "$ssh_cmd" \
	    "$work/srv/sub/" "$remote:$work/srv/rsf/"
	rm -rf "$work/srv/rsf"
}
# The big file through the relay: our get, a raw TCP copy.
row_big_get() {
	record big_get client -f 127.0.0.1 "$dport" get big
	rm -f "$work/loc/big"
}
# The same asking for a window of 4096 blocks (256 MiB) instead of 32
# (2 MiB): the sender waits a round trip after each window.
row_big_get_w() {
	record big_get_w client -f -w 4096 127.0.0.1 "$dport" get big
	rm -f "$work/loc/big"
}
row_big_raw() {
	record_out big_raw "$CEILING" tcpsend "$work/srv/big" "$draw"
	rm -f "$work/loc/raw"
}
# The relay at zero delay, and the same copy without it (discarded).
row_relay0() { record_out relay0 "$CEILING" tcpsend "$work/srv/big" "$dnull"; }
row_direct0() {
	record_out direct0 "$CEILING" tcpsend "$work/srv/big" "$null_port"
}
# Loopback, no relay: the tree by ours, by cp -r (+ sync).
row_lo_get() {
	record lo_get client 127.0.0.1 "$port" get -r tree
	verify "$work/srv/tree" "$work/loc/tree"
	rm -rf "$work/loc/tree"
}
row_lo_cp() {
	record lo_cp cp -r "$work/srv/tree" "$work/loc/cp"
	rm -rf "$work/loc/cp"
}
row_lo_put() {
	record lo_put client 127.0.0.1 "$port" put -r "$work/srv/tree" loup
	verify "$work/srv/tree" "$work/srv/loup"
	rm -rf "$work/srv/loup"
}
cp_sync() { cp -r "$work/srv/tree" "$work/srv/cpup" && sync; }
row_lo_cp_sync() {
	record lo_cp_sync cp_sync
	rm -rf "$work/srv/cpup"
}

n=0
while [ $n -lt "$REPS" ]; do
	n=$((n + 1))
	say "link rows: repetition $n of $REPS"
	group $n get rsync_get put rsync_fsync_put rsync_put
	group $n sub_get sub_sftp_get sub_rsync_get sub_put sub_sftp_put \
	    sub_rsync_fsync_put
	group $n big_get big_get_w big_raw
	group $n relay0 direct0
	group $n lo_get lo_cp lo_put lo_cp_sync
done

# stat NAME: "median min max" of its seconds, or nothing.
stat() {
	grep -v fail "$work/res/$1" 2>/dev/null | sort -g | awk '
	    { v[NR] = $1 }
	    END { if (NR == 0) exit
		  m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		  printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'
}
# pair OURS OTHER: the median over repetitions of OTHER's time over
# OURS's, each pair from one repetition; "-" when none.
pair() {
	paste "$work/res/$1" "$work/res/$2" 2>/dev/null | awk '
	    $1 != "fail" && $2 != "fail" && $1 > 0 { r[++n] = $2 / $1 }
	    END { if (n == 0) { print "-"; exit }
		  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		      if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
		  m = n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
		  printf "%.2f (%.2f-%.2f)", m, r[1], r[n] }'
}
# row LABEL NAME AMOUNT UNIT: median seconds (spread), and AMOUNT per
# median second.
row() {
	s=$(stat "$2")
	if [ -z "$s" ]; then
		printf '  %-46s %s\n' "$1" failed
		return
	fi
	echo "$s" | awk -v l="$1" -v a="$3" -v u="$4" '{
	    printf "  %-46s %7.2f s (%.2f-%.2f)  %9.1f %s\n", l, $1, $2, $3,
		a / $1, u }'
}
ratio() {	# ratio LABEL OURS OTHER TARGET
	printf '  %-52s %s  %s\n' "$1" "$(pair "$2" "$3")" "$4"
}
mib=$(echo "$bytes / 1048576" | bc -l)
sub_mib=$(echo "$sub_bytes / 1048576" | bc -l)
big_gb=$(echo "$BIG_MIB * 1048576 / 1000000000" | bc -l)
echo "Over a link: $DELAY ms each way (delay relay), $TREE: $files files, $bytes bytes; median of $REPS (spread min-max)"
row "get -r (ours)" ours_get "$files" files/s
row "rsync -a over ssh, from the server" rsync_get "$files" files/s
row "put -r (ours, every file synced)" ours_put "$files" files/s
row "rsync -a --fsync over ssh, to the server" rsync_fsync_put "$files" files/s
row "rsync -a over ssh, to the server (not synced)" rsync_put "$files" files/s
echo "sftp -r, on a subset: $sub_files of the files (every $(( files / SFTP_FILES > 1 ? files / SFTP_FILES : 1 ))th), $sub_bytes bytes; beside it ours and rsync on the same subset"
row "sftp -r get, subset" sub_sftp_get "$sub_files" files/s
row "get -r (ours), subset" sub_ours_get "$sub_files" files/s
row "rsync -a, from the server, subset" sub_rsync_get "$sub_files" files/s
row "sftp -r put, subset (not synced)" sub_sftp_put "$sub_files" files/s
row "put -r (ours, every file synced), subset" sub_ours_put "$sub_files" files/s
row "rsync -a --fsync, to the server, subset" sub_rsync_fsync_put "$sub_files" files/s
echo "$BIG_MIB MiB through the same relay, into a file on this disk"
row "get (ours)" big_get "$BIG_MIB" MiB/s
row "get (ours), -w 4096" big_get_w "$BIG_MIB" MiB/s
row "raw TCP copy (ceiling tcpsend to tcpsink)" big_raw "$BIG_MIB" MiB/s
echo "The delay relay at zero delay (spliced), $BIG_MIB MiB discarded"
row "raw TCP copy through the relay" relay0 "$big_gb" GB/s
row "the same copy without the relay" direct0 "$big_gb" GB/s
# The relay's own cost, whatever else this machine runs: bytes carried
# per second of the relay's CPU time (its -o line's cpu_us).
awk '{ for (i = 1; i < NF; i++) { if ($i == "c2s") b = $(i + 1)
	if ($i == "cpu_us") c = $(i + 1) }
    if (c > 0) print b / c / 1000 }' "$work/relay0.stats" 2>/dev/null |
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "  %-46s %7.2f GB/s (%.2f-%.2f) [>= 1]\n",
	    "the relay, bytes per second of its own CPU", m, v[1], v[NR] }'
echo "Loopback, no relay: the same tree ($files files, $(printf '%.0f' "$mib") MiB)"
row "get -r (ours)" lo_get "$files" files/s
row "cp -r" lo_cp "$files" files/s
row "put -r (ours, every file synced)" lo_put "$files" files/s
row "cp -r, then sync" lo_cp_sync "$files" files/s
echo "ratios: ours / other, speed, median of per-repetition ratios (spread) [target]"
ratio "get -r / rsync -a, through the relay" ours_get rsync_get "[>= 1.0]"
ratio "put -r / rsync -a --fsync, through the relay" ours_put rsync_fsync_put "[>= 1.0]"
ratio "put -r / rsync -a (not synced), through the relay" ours_put rsync_put ""
ratio "get -r / sftp -r get, subset" sub_ours_get sub_sftp_get ""
ratio "put -r / sftp -r put, subset" sub_ours_put sub_sftp_put ""
ratio "get -r / rsync -a, subset" sub_ours_get sub_rsync_get ""
ratio "put -r / rsync -a --fsync, subset" sub_ours_put sub_rsync_fsync_put ""
ratio "get $BIG_MIB MiB / raw TCP, through the relay" big_get big_raw "[>= 0.9]"
ratio "get $BIG_MIB MiB -w 4096 / raw TCP, through the relay" big_get_w big_raw ""
ratio "relay at zero delay / no relay" relay0 direct0 ""
ratio "get -r / cp -r, loopback" lo_get lo_cp "[>= 0.8]"
ratio "put -r (synced) / cp -r + sync, loopback" lo_put lo_cp_sync "[>= 0.5]"
echo "  (sftp through the relay: $(printf '%.1f' "$sub_mib") MiB in $sub_files files; at its per-file rate the whole tree would take about $(stat sub_sftp_get | awk -v f="$files" -v s="$sub_files" '{ printf "%.0f", $1 * f / s }') s to get)"
