# Shared by the client's scripts: the real server on loopback, port 0,
# in a temporary directory, and the real client run in $loc.  Sourced;
# needs SERVER_BIN and CLIENT_BIN (tests/run sets them).
#
# With TEST_TLS=1 the same scripts run over TLS: the server is started
# with --tls and a state directory of the test's own, and CLIENT_BIN
# becomes a script that runs the client with --tls (exec: its PID is the
# client's).  Every port the client is pointed at (the server's, a
# relay's, a delay's) is pinned to the server's key beforehand in a
# known_hosts of the test's own, so that the client's output is what it
# is in plaintext, without a "pinned" line.
: "${SERVER_BIN:?}" "${CLIENT_BIN:?}"
top=$(mktemp -d /tmp/fs-client.XXXXXX)
tls_server_opts=
if [ "${TEST_TLS:-0}" = 1 ]; then
	export XDG_DATA_HOME="$top/data"
	mkdir -m 0700 -p "$XDG_DATA_HOME/fileserver"
	tls_server_opts="--tls --state $top/state"
	# shellcheck disable=SC2086 # the options, split
	tls_fp=$("$SERVER_BIN" --fingerprint $tls_server_opts \
	    2> "$top/fingerprint.err") ||
	    { cat "$top/fingerprint.err"; exit 1; }
	printf '#!/bin/sh\nexec "%s" --tls "$@"\n' "$CLIENT_BIN" \
	    > "$top/client-tls"
	chmod +x "$top/client-tls"
	CLIENT_BIN=$top/client-tls
fi
srv=$top/srv
loc=$top/local
mkdir -p "$srv/sub" "$loc"
# The client's cache of interrupted downloads, the test's own.
XDG_CACHE_HOME=$top/cache
export XDG_CACHE_HOME
cache=$XDG_CACHE_HOME/fileserver
server_pid=
relay_pid=
delay_pid=
passed=0
failed=0

cleanup() {
	stop_delay
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null &&
	    wait "$server_pid" 2>/dev/null
	[ -n "$relay_pid" ] && pkill -P "$relay_pid" 2>/dev/null
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null &&
	    wait "$relay_pid" 2>/dev/null
	rm -rf "$top"
}
trap cleanup EXIT INT TERM

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() {	# check DESCRIPTION COMMAND...: the command must succeed
	desc=$1
	shift
	if "$@"; then ok; else fail "$desc"; fi
}

# wait_line FILE PATTERN PID WHAT: until FILE has a line matching
# PATTERN, for ten seconds at most, while PID lives.
wait_line() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$3" 2>/dev/null; then
			echo "$4 did not start"; exit 1
		fi
		sleep 0.05
	done
}

# over_tls: true when the scripts run over TLS (TEST_TLS=1).
over_tls() { [ -n "$tls_server_opts" ]; }

# pin_tls PORT: with TEST_TLS=1, PORT on loopback (each name the
# scripts use for it) is pinned to the server's key (docs/protocol.md,
# "Known hosts"); else nothing.
pin_tls() {
	over_tls || return 0
	for host in 127.0.0.1 '[::1]' localhost; do
		printf '%s:%s %s tls\n' "$host" "$1" "$tls_fp"
	done >> "$XDG_DATA_HOME/fileserver/known_hosts"
}

# Starts the server with extra options; sets $port and $server_pid.
start_server() {
	: > "$top/server.out"
	# shellcheck disable=SC2086 # the TLS options, split
	"$SERVER_BIN" $tls_server_opts "$@" "$srv" 0 > "$top/server.out" \
	    2> "$top/server.log" &
	server_pid=$!
	wait_line "$top/server.out" listening "$server_pid" server
	port=$(sed -n 's/.* port \([0-9]*\)$/\1/p' "$top/server.out")
	pin_tls "$port"
}

stop_server() {
	kill "$server_pid"
	wait "$server_pid"
	server_pid=
}

# client ARGS...: runs the client in $loc; status in $rc, output files.
client() {
	(cd "$loc" && "$CLIENT_BIN" "$@" > "$top/out" 2> "$top/err" < /dev/null)
	rc=$?
}
client_stdin() {	# client_stdin INPUT ARGS...
	input=$1
	shift
	(cd "$loc" && printf '%s' "$input" | "$CLIENT_BIN" "$@" > "$top/out" \
	    2> "$top/err")
	rc=$?
}
lines() { wc -l < "$1" | tr -d ' '; }
one_error_line() { [ "$(lines "$top/err")" = 1 ]; }
no_stray_files() {	# no_stray_files NAME...: $loc holds exactly these
	want=
	[ $# -gt 0 ] && want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	have=$(find "$loc" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort |
	    tr '\n' ' ')
	[ "$want" = "$have" ] || { echo "local dir: $have, wanted $want"; false; }
}


# start_relay ARGS...: the test relay (tests/tools/relay.c) in front of
# the server; sets $rport and $relay_pid.  Needs RELAY_BIN.
start_relay() {
	: "${RELAY_BIN:?}"
	: > "$top/relay.out"
	"$RELAY_BIN" "$@" "$port" > "$top/relay.out" 2>&1 &
	relay_pid=$!
	wait_line "$top/relay.out" "^relay port" "$relay_pid" relay
	rport=$(sed -n 's/^relay port //p' "$top/relay.out")
	pin_tls "$rport"
}

stop_relay() {
	pkill -P "$relay_pid" 2>/dev/null	# its connections' children
	kill "$relay_pid"
	wait "$relay_pid" 2>/dev/null
	relay_pid=
}

# start_delay ARGS...: the link with latency (tests/tools/delay.c) in
# front of the server; sets $dport and $delay_pid, its per-connection
# stats in $top/stats.  Needs DELAY_BIN.
start_delay() {
	: "${DELAY_BIN:?}"
	: > "$top/delay.out"
	: > "$top/stats"
	"$DELAY_BIN" -o "$top/stats" "$@" "$port" > "$top/delay.out" 2>&1 &
	delay_pid=$!
	wait_line "$top/delay.out" "^delay port" "$delay_pid" delay
	dport=$(sed -n 's/^delay port //p' "$top/delay.out")
	pin_tls "$dport"
}

stop_delay() {
	[ -n "$delay_pid" ] || return 0
	pkill -P "$delay_pid" 2>/dev/null	# its connections' children
	kill "$delay_pid" 2>/dev/null
	wait "$delay_pid" 2>/dev/null
	delay_pid=
}

# Keys for users (docs/protocol.md, "Users"), made by openssl.
key_fp() {	# key_fp PEM: the fingerprint of a private key (tls.h)
	printf 'SHA256:%s\n' "$(openssl pkey -in "$1" -pubout -outform DER |
	    openssl dgst -sha256 -binary | openssl base64 -A | tr -d '=')"
}
new_key() {	# new_key NAME...: $top/NAME.pem and its certificate NAME.crt
	for k in "$@"; do
		openssl genpkey -algorithm ed25519 -out "$top/$k.pem" \
		    2>/dev/null
		openssl req -x509 -key "$top/$k.pem" -subj "/CN=$k" -days 1 \
		    -out "$top/$k.crt" 2>/dev/null
	done
}
