#!/bin/sh
# The benchmark's TLS rows (issue 24): a BENCH_TLS_MIB (1024) MiB file
# got and put by our client over TLS (server --tls), in plaintext, and by
# OpenSSH's sftp (sshd on loopback with its own keys, tests/bench/sshd.sh,
# stopped by its PID); and 1 KiB gets, a client process each, over TLS
# and in plaintext (BENCH_TLS_SESSIONS, 200, per run).  Every repetition
# (BENCH_TLS_REPS, 5) runs each group sandwiched (A B C C B A: each row
# the mean of its two runs, so a drift of the machine falls on all
# alike); the table shows medians and the spread (min-max), and the
# ratios are the medians of the ratios within each repetition.  Uploads
# are synced by our server (section 5); sftp's by -f (fsync@openssh.com),
# so that both pay for durability.  Every download is compared with the
# file.  scripts/bench runs it after its table; it runs alone too:
#
#   sh tests/bench/tls.sh          (after make all)
#
# Needs bin/server, bin/client, and OpenSSH's server and client
# (scripts/setup test installs them); without them it says so, exits 0.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
REPS=${BENCH_TLS_REPS:-5}
MIB=${BENCH_TLS_MIB:-1024}
SESSIONS=${BENCH_TLS_SESSIONS:-200}
SERVER=$top/bin/server
CLIENT=$top/bin/client
SSHD=/usr/sbin/sshd

say() { printf '%s\n' "$*" >&2; }
for need in "$SERVER" "$CLIENT" "$SSHD"; do
	[ -x "$need" ] || { say "TLS rows skipped: no $need"; exit 0; }
done
for need in sftp ssh-keygen; do
	command -v "$need" > /dev/null ||
	    { say "TLS rows skipped: no $need"; exit 0; }
done

# On disk, not tmpfs: durability is part of an upload.
work=$(mktemp -d /var/tmp/fs-tls.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
now() { date +%s.%N; }
mkdir -p "$work/srv" "$work/loc" "$work/res"
# The client's known_hosts and key are the run's own.
export XDG_DATA_HOME="$work/data"

say "TLS rows: preparing a $MIB MiB file in $work"
head -c $((MIB * 1048576)) /dev/urandom > "$work/srv/big"
head -c 1024 "$work/srv/big" > "$work/srv/1k"
cp "$work/srv/big" "$work/loc/big.up"

# start_server NAME OPTIONS...: our server; its port in NAME_port.
start_server() {
	name=$1
	shift
	"$SERVER" -q "$@" "$work/srv" 0 > "$work/$name.out" 2>/dev/null &
	pids="$pids $!"
	i=0
	until grep -q listening "$work/$name.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 200 ] || { say "$name server did not start"; exit 1; }
		sleep 0.05
	done
	eval "${name}_port=$(sed -n 's/.* port \([0-9]*\)$/\1/p' \
	    "$work/$name.out")"
}
start_server plain
start_server tls --tls --state "$work/state"
plain_port=${plain_port:?} tls_port=${tls_port:?}
fp=$("$SERVER" --fingerprint --state "$work/state")
# Pinned once, out of band, as a user would (--host-key).
(cd "$work/loc" && "$CLIENT" -q --tls --host-key "$fp" 127.0.0.1 \
    "$tls_port" get 1k) || { say "TLS: first contact failed"; exit 1; }
. "$top/tests/bench/sshd.sh"
# shellcheck disable=SC2086 # the options, split
sftp_b() { sftp -q -P "$sport" $ssh_opts "$@" -b - "$remote" > /dev/null; }

# The rows.  Downloads are checked after the clock (check_get).
put_n=0
plain_get() { (cd "$work/loc" && "$CLIENT" -q 127.0.0.1 "$plain_port" get big); }
tls_get() { (cd "$work/loc" && "$CLIENT" -q --tls 127.0.0.1 "$tls_port" get big); }
sftp_get() { echo "get $work/srv/big $work/loc/big" | sftp_b; }
plain_put() {
	put_n=$((put_n + 1))
	(cd "$work/loc" && "$CLIENT" -q 127.0.0.1 "$plain_port" put big.up \
	    "up$put_n")
}
tls_put() {
	put_n=$((put_n + 1))
	(cd "$work/loc" && "$CLIENT" -q --tls 127.0.0.1 "$tls_port" put \
	    big.up "up$put_n")
}
sftp_put() {
	put_n=$((put_n + 1))
	echo "put $work/loc/big.up $work/srv/up$put_n" | sftp_b -f
}
sessions() {	# sessions [--tls] PORT: SESSIONS gets of 1 KiB, a process each
	s=0
	while [ $s -lt "$SESSIONS" ]; do
		"$CLIENT" -q -f "$@" get 1k "$work/loc/1k" || return 1
		s=$((s + 1))
	done
}
plain_sess() { sessions 127.0.0.1 "$plain_port"; }
tls_sess() { sessions --tls 127.0.0.1 "$tls_port"; }

# record NAME: one timed run of the function NAME, seconds to res/NAME.x;
# a download is then compared with the file, an upload removed.
record() {
	sync
	sleep 1
	t0=$(now)
	if "$1" > "$work/row.out" 2>&1; then
		t1=$(now)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' \
		    >> "$work/res/$1.x"
	else
		say "$1 failed: $(tail -n 3 "$work/row.out")"
		echo fail >> "$work/res/$1.x"
	fi
	case $1 in
	*_get)	cmp -s "$work/srv/big" "$work/loc/big" ||
		    { say "$1: the file differs"; exit 1; } ;;
	*_put)	cmp -s "$work/loc/big.up" "$work/srv/up$put_n" ||
		    { say "$1: the upload differs"; exit 1; } ;;
	esac
	rm -f "$work/loc/big" "$work/srv/up"[0-9]*
}
# sandwich ROW...: A B C C B A; each row gets the mean of its two runs.
sandwich() {
	for r in "$@"; do record "$r"; done
	for r in $(printf '%s\n' "$@" | sed -n '1!G;h;$p'); do record "$r"; done
	for r in "$@"; do
		awk '$1 == "fail" { f = 1 } { s += $1 }
		    END { if (f || NR != 2) print "fail"
			  else printf "%.6f\n", s / 2 }' "$work/res/$r.x" \
		    >> "$work/res/$r"
		rm -f "$work/res/$r.x"
	done
}

rep=0
while [ $rep -lt "$REPS" ]; do
	rep=$((rep + 1))
	say "TLS rows: repetition $rep of $REPS"
	sandwich plain_get tls_get sftp_get
	sandwich plain_put tls_put sftp_put
	sandwich plain_sess tls_sess
done

# rate NAME AMOUNT: AMOUNT per median second, and the spread.
rate() {
	grep -v fail "$work/res/$1" | sort -g | awk -v a="$2" '
	    { v[NR] = $1 }
	    END { if (NR == 0) { print "failed"; exit }
		  m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		  printf "%10.1f   (%.1f-%.1f)\n", a / m, a / v[NR], a / v[1] }'
}
# ratio A B: the median over repetitions of B's seconds / A's (A's speed
# as a multiple of B's).
ratio() {
	paste "$work/res/$1" "$work/res/$2" | awk '
	    $1 != "fail" && $2 != "fail" && $1 > 0 { r[++n] = $2 / $1 }
	    END { if (n == 0) { print "-"; exit }
		  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		      if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
		  printf "%.2f", n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2 }'
}
row() { printf '  %-40s %s %s\n' "$1" "$(rate "$2" "$3")" "$4"; }
echo "TLS: $MIB MiB and $SESSIONS sessions on loopback, median of $REPS" \
    "(spread), each repetition sandwiched"
row "get, plaintext" plain_get "$MIB" MiB/s
row "get, TLS 1.3" tls_get "$MIB" MiB/s
row "get, sftp (OpenSSH)" sftp_get "$MIB" MiB/s
row "put (synced), plaintext" plain_put "$MIB" MiB/s
row "put (synced), TLS 1.3" tls_put "$MIB" MiB/s
row "put (fsync), sftp -f" sftp_put "$MIB" MiB/s
row "1 KiB gets, a process each, plaintext" plain_sess "$SESSIONS" sessions/s
row "1 KiB gets, a process each, TLS 1.3" tls_sess "$SESSIONS" sessions/s
echo "  TLS get / plaintext get        $(ratio tls_get plain_get)  [>= 0.5]"
echo "  TLS get / sftp get             $(ratio tls_get sftp_get)  [>= 4]"
echo "  TLS put / plaintext put        $(ratio tls_put plain_put)"
echo "  TLS put / sftp -f put          $(ratio tls_put sftp_put)"
echo "  TLS sessions / plaintext's     $(ratio tls_sess plain_sess)  [>= 0.5]"
