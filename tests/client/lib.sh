# Shared by the client's scripts: the real server on loopback, port 0,
# in a temporary directory, and the real client run in $loc.  Sourced;
# needs SERVER_BIN and CLIENT_BIN (tests/run sets them).
: "${SERVER_BIN:?}" "${CLIENT_BIN:?}"
top=$(mktemp -d /tmp/fs-client.XXXXXX)
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

# Starts the server with extra options; sets $port and $server_pid.
start_server() {
	: > "$top/server.out"
	"$SERVER_BIN" "$@" "$srv" 0 > "$top/server.out" 2> "$top/server.log" &
	server_pid=$!
	wait_line "$top/server.out" listening "$server_pid" server
	port=$(sed -n 's/.* port \([0-9]*\)$/\1/p' "$top/server.out")
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
}

stop_delay() {
	[ -n "$delay_pid" ] || return 0
	pkill -P "$delay_pid" 2>/dev/null	# its connections' children
	kill "$delay_pid" 2>/dev/null
	wait "$delay_pid" 2>/dev/null
	delay_pid=
}
