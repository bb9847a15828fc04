#!/bin/sh
# TLS (docs/protocol.md, "TLS" and "Known hosts"), end to end: the server
# with --tls against programs no one here wrote (openssl s_client), and
# the client's verification: first contact, pinning, a changed key, a man
# in the middle, plaintext to a pinned host.  Each check fails when its
# behaviour breaks.  Needs SERVER_BIN, CLIENT_BIN, TLS_MITM_BIN and
# DELAY_BIN.
set -u

. "$(dirname "$0")/lib.sh"

: "${TLS_MITM_BIN:?}"
mitm_pid=
# The client's known_hosts and key, and the server's state, are the
# test's own.
export XDG_DATA_HOME="$top/data"
known="$XDG_DATA_HOME/fileserver/known_hosts"
state="$top/state"
printf 'hello\n' > "$srv/a.txt"
head -c 3000000 /dev/urandom > "$srv/big"

stop_mitm() {
	[ -n "$mitm_pid" ] && kill "$mitm_pid" && wait "$mitm_pid" 2>/dev/null
	mitm_pid=
}
trap 'stop_mitm; cleanup' EXIT INT TERM

# What openssl says the fingerprint of a certificate's key is.
openssl_fp() {
	printf 'SHA256:%s\n' "$(openssl x509 -in "$1" -noout -pubkey |
	    openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary |
	    openssl base64 -A | tr -d '=')"
}

# s_client ARGS...: a TLS connection that reads until the server ends it
# (-t 2: the greeting is never acknowledged).
s_client() {
	timeout 20 openssl s_client -ign_eof -connect "127.0.0.1:$port" \
	    "$@" < /dev/null > "$top/sc.out" 2>&1
	rc=$?
}

# Start-up: a state directory inside DIR is refused, before listening.
"$SERVER_BIN" --tls --state "$srv/keys" "$srv" 0 > "$top/out" \
    2> "$top/err"
check "state inside DIR: refused" [ $? -ne 0 ]
check "state inside DIR: says why" grep -q "inside the served" "$top/err"
check "state inside DIR: nothing made" [ ! -e "$srv/keys" ]
check "state inside DIR: no listening line" [ ! -s "$top/out" ]

# --fingerprint makes the identity on first use, as openssl sees it.
"$SERVER_BIN" --fingerprint --state "$state" > "$top/fp" 2> "$top/err"
check "--fingerprint: exit 0" [ $? = 0 ]
fp=$(cat "$top/fp")
check "--fingerprint: SHA256: and 43 characters" \
    sh -c "printf '%s' '$fp' | grep -Eqx 'SHA256:[A-Za-z0-9+/]{43}'"
check "--fingerprint: openssl's" [ "$fp" = "$(openssl_fp "$state/tls-cert.pem")" ]
check "key: mode 0600" [ "$(stat -c %a "$state/tls-key.pem")" = 600 ]
check "key: Ed25519" sh -c "openssl pkey -in '$state/tls-key.pem' -noout \
    -text 2>/dev/null | grep -q ED25519"
"$SERVER_BIN" --fingerprint --state "$state" > "$top/fp2" 2>&1
check "--fingerprint again: the same key" cmp -s "$top/fp" "$top/fp2"

start_server -v -t 2 --tls --state "$state"
check "fingerprint logged at start" grep -q "TLS 1.3, key $fp" \
    "$top/server.log"

# openssl s_client: TLS 1.3 is spoken, 1.2 and other suites are not.
s_client -tls1_3
check "s_client -tls1_3: connects" [ "$rc" = 0 ]
check "s_client -tls1_3: TLSv1.3" grep -q "New, TLSv1.3" "$top/sc.out"
check "s_client -tls1_3: AES-128-GCM first" \
    grep -q "Cipher is TLS_AES_128_GCM_SHA256" "$top/sc.out"
check "s_client -tls1_3: the greeting inside" \
    grep -aq "Hello from .*'s fileserver" "$top/sc.out"
check "s_client: no session ticket" sh -c "! grep -qi 'session ticket' \
    '$top/sc.out'"
check "s_client: ERR 5 inside TLS when the greeting is not acknowledged" \
    grep -aq "Idle timeout (2 s)" "$top/sc.out"
s_client -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256
check "ChaCha20-Poly1305: accepted" grep -q \
    "Cipher is TLS_CHACHA20_POLY1305_SHA256" "$top/sc.out"
s_client -tls1_3 -ciphersuites TLS_AES_128_CCM_SHA256
check "AES-128-CCM: refused" sh -c "! grep -q 'New, TLSv1.3' '$top/sc.out'"
s_client -tls1_2
check "s_client -tls1_2: refused" [ "$rc" != 0 ]
check "s_client -tls1_2: protocol version alert" \
    grep -q "alert protocol version" "$top/sc.out"
check "s_client -tls1_2: no greeting" sh -c "! grep -aq 'Hello from' \
    '$top/sc.out'"
check "the server logs why" grep -q "TLS handshake: unsupported protocol" \
    "$top/server.log"
check "-v: the version and suite logged" grep -q \
    "TLSv1.3, TLS_CHACHA20_POLY1305_SHA256" "$top/server.log"

# The handshake counts against the idle timeout (-t 2): a peer that
# connects and sends nothing is closed.
bash -c "exec 3<> /dev/tcp/127.0.0.1/$port && exec sleep 30" &
silent=$!
i=0
while ! grep -q "TLS handshake: timed out" "$top/server.log" &&
    [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
check "silent peer: closed by the idle timeout" \
    grep -q "Closed: TLS handshake: timed out" "$top/server.log"
kill "$silent" 2>/dev/null
wait "$silent" 2>/dev/null

# The child that serves a session holds no descriptor to the key.
( sleep 3 | openssl s_client -connect "127.0.0.1:$port" -tls1_3 -quiet \
    > /dev/null 2>&1 ) &
held=$!
i=0
while [ "$(pgrep -P "$server_pid" | wc -l)" = 0 ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
child=$(pgrep -P "$server_pid" | head -n 1)
check "a session's child found" [ -n "$child" ]
check "the child holds no key file" sh -c "! ls -l /proc/$child/fd 2>/dev/null \
    | grep -q 'tls-'"
check "the parent holds no key file" sh -c "! ls -l /proc/$server_pid/fd \
    | grep -q 'tls-'"
pkill -P "$held" 2>/dev/null
kill "$held" 2>/dev/null
wait "$held" 2>/dev/null

# First contact in batch use: refused without --accept-new, nothing pinned.
client -q --tls 127.0.0.1 "$port" ls
check "first contact, batch: exit 3" [ "$rc" = 3 ]
check "first contact: one line" one_error_line
check "first contact: names the key" grep -q "$fp" "$top/err"
check "first contact: nothing pinned" [ ! -e "$known" ]
check "first contact: no request served" sh -c "! grep -q 'DRQ' \
    '$top/server.log'"

# --accept-new pins it; it is reused without the option.
client --tls --accept-new 127.0.0.1 "$port" ls
check "--accept-new: exit 0" [ "$rc" = 0 ]
check "--accept-new: listing" grep -q ' a.txt$' "$top/out"
check "--accept-new: the line" [ "$(cat "$known")" = "127.0.0.1:$port $fp tls" ]
check "known_hosts: mode 0600" [ "$(stat -c %a "$known")" = 600 ]
client -q --tls 127.0.0.1 "$port" get a.txt
check "pinned: get" cmp -s "$loc/a.txt" "$srv/a.txt"
client -q --tls 127.0.0.1 "$port" get big
check "pinned: get 3 MB" cmp -s "$loc/big" "$srv/big"
client -q --tls --digest sha256 -B 512 -w 1 127.0.0.1 "$port" put big up.bin
check "pinned: put, 512-byte blocks" cmp -s "$loc/big" "$srv/up.bin"
client -q --tls 127.0.0.1 "$port" put a.txt up.bin
check "pinned: an ERR inside TLS: exit 1" [ "$rc" = 1 ]
check "pinned: the ERR's text" grep -q "already exists" "$top/err"
client -q --tls 127.0.0.1 "$port" mkdir made
check "pinned: mkdir" [ -d "$srv/made" ]
check "one line for the host" [ "$(lines "$known")" = 1 ]
rm -f "$loc/a.txt" "$loc/big"

# First contact at a terminal (script(1) gives the client one): asked
# as ssh asks; "no" pins nothing, "yes" pins and goes on.
at_terminal() {	# at_terminal INPUT HOST
	printf '%b' "$1" | (cd "$loc" && timeout 20 script -qec \
	    "'$CLIENT_BIN' --tls $2 $port" /dev/null) > "$top/tty" 2>&1
	rc=$?
}
at_terminal 'no\n' localhost
check "terminal, no: exit 3" [ "$rc" = 3 ]
check "terminal: the question" grep -q \
    "Are you sure you want to continue connecting (yes/no)?" "$top/tty"
check "terminal: the fingerprint shown" grep -qF "$fp" "$top/tty"
check "terminal, no: not pinned" sh -c "! grep -q '^localhost:' '$known'"
at_terminal 'maybe\nyes\nls\nquit\n' localhost
check "terminal, yes: exit 0" [ "$rc" = 0 ]
check "terminal: asked again after neither" grep -q \
    "Please type 'yes' or 'no'" "$top/tty"
check "terminal, yes: pinned" grep -q "^localhost:$port $fp tls" "$known"
check "terminal, yes: the session went on" grep -q ' a.txt' "$top/tty"
sed -i "/^localhost:/d" "$known"

# A host pinned to TLS is never spoken to in plaintext.
before=$(grep -c 'Received a connection' "$top/server.log")
client -q 127.0.0.1 "$port" ls
check "plaintext to a pinned host: exit 3" [ "$rc" = 3 ]
check "plaintext to a pinned host: one line" one_error_line
check "plaintext to a pinned host: not even a connection" \
    [ "$(grep -c 'Received a connection' "$top/server.log")" = "$before" ]

# --host-key: the right one pins, a wrong one is refused.
client -q --tls --host-key "$fp" localhost "$port" ls
check "--host-key right: exit 0" [ "$rc" = 0 ]
check "--host-key right: pinned" grep -q "^localhost:$port $fp tls\$" "$known"
client -q --tls --host-key "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
    ::1 "$port" ls
check "--host-key wrong: exit 3" [ "$rc" = 3 ]
check "--host-key wrong: one line" one_error_line
check "--host-key wrong: not pinned" sh -c "! grep -q '^\[::1\]' '$known'"
client -q --tls --host-key "SHA256:short" ::1 "$port" ls
check "--host-key malformed: usage, exit 2" [ "$rc" = 2 ]

# The client's own key: made on first TLS use, shown by --fingerprint.
check "client key: made, 0600" [ "$(stat -c %a \
    "$XDG_DATA_HOME/fileserver/client-key.pem")" = 600 ]
client --fingerprint
check "client --fingerprint: exit 0" [ "$rc" = 0 ]
check "client --fingerprint: the form" grep -Eqx 'SHA256:[A-Za-z0-9+/]{43}' \
    "$top/out"
client --fingerprint -i "$top/nothing.pem"
check "-i FILE missing: exit 1" [ "$rc" = 1 ]
check "-i FILE missing: not made" [ ! -e "$top/nothing.pem" ]

# A man in the middle with a key of its own: refused, nothing sent.
: > "$top/mitm.out"
"$TLS_MITM_BIN" "$port" > "$top/mitm.out" 2>&1 &
mitm_pid=$!
wait_line "$top/mitm.out" "^mitm key" "$mitm_pid" mitm
mport=$(sed -n 's/^mitm port //p' "$top/mitm.out")
mkey=$(sed -n 's/^mitm key //p' "$top/mitm.out")
# As if the client had met the real server at the relay's address.
printf '127.0.0.1:%s %s tls\n' "$mport" "$fp" >> "$known"
before=$(grep -c 'RQ ' "$top/server.log")
printf 'x' > "$loc/mitm.txt"
client -q --tls 127.0.0.1 "$mport" put mitm.txt
check "man in the middle: exit 3" [ "$rc" = 3 ]
check "man in the middle: one line" one_error_line
check "man in the middle: names both keys" sh -c "grep -q 'CHANGED' \
    '$top/err' && grep -qF '$fp' '$top/err' && grep -qF '$mkey' '$top/err'"
wait_line "$top/mitm.out" "^from client" "$mitm_pid" "the relayed session"
check "man in the middle: nothing sent through it" \
    grep -qx "from client 0 bytes" "$top/mitm.out"
check "man in the middle: no request reached the server" \
    [ "$(grep -c 'RQ ' "$top/server.log")" = "$before" ]
check "man in the middle: no upload" [ ! -e "$srv/mitm.txt" ]
# The control: the same relay passes a session once its key is pinned.
sed -i "s|^127.0.0.1:$mport .*|127.0.0.1:$mport $mkey tls|" "$known"
client -q --tls 127.0.0.1 "$mport" get a.txt
check "relay, its key pinned: the session passes" \
    cmp -s "$loc/a.txt" "$srv/a.txt"
rm -f "$loc/a.txt"
stop_mitm
stop_server

# The server's key changed (a new state directory): refused, exit 3.
start_server --tls --state "$top/state2"
newfp=$("$SERVER_BIN" --fingerprint --state "$top/state2")
printf '127.0.0.1:%s %s tls\n' "$port" "$fp" >> "$known"
client -q --tls 127.0.0.1 "$port" put mitm.txt
check "changed key: exit 3" [ "$rc" = 3 ]
check "changed key: one line" one_error_line
check "changed key: both fingerprints" sh -c "grep -qF '$fp' '$top/err' &&
    grep -qF '$newfp' '$top/err'"
check "changed key: nothing uploaded" [ ! -e "$srv/mitm.txt" ]
check "changed key: no request" sh -c "! grep -q 'WRQ' '$top/server.log'"
stop_server

# Behind a balancer: the PROXY header comes before the ClientHello.
start_server --tls --state "$state" --proxy-protocol
: > "$top/mitm.out"
"$TLS_MITM_BIN" -p "$port" > "$top/mitm.out" 2>&1 &
mitm_pid=$!
wait_line "$top/mitm.out" "^mitm key" "$mitm_pid" balancer
mport=$(sed -n 's/^mitm port //p' "$top/mitm.out")
mkey=$(sed -n 's/^mitm key //p' "$top/mitm.out")
client -q --tls --host-key "$mkey" 127.0.0.1 "$mport" get a.txt
check "PROXY then TLS: a session" cmp -s "$loc/a.txt" "$srv/a.txt"
check "PROXY then TLS: the client's address from the header" \
    grep -q "Received a connection from 192.0.2.7, port 5555" \
    "$top/server.log"
rm -f "$loc/a.txt"
stop_mitm
stop_server

# Spare children, forked and confined ahead: the handshake in the spare.
start_server --tls --state "$state" --spares 2
client -q --tls --host-key "$fp" 127.0.0.1 "$port" get big
check "--spares: a TLS session" cmp -s "$loc/big" "$srv/big"
rm -f "$loc/big"
stop_server

# A TLS client at a plaintext server: one line, exit 3.
start_server
client -q --tls --accept-new 127.0.0.1 "$port" ls
check "--tls at a plaintext server: exit 3" [ "$rc" = 3 ]
check "--tls at a plaintext server: one line saying so" sh -c \
    "[ \$(wc -l < '$top/err') = 1 ] && grep -q 'started with --tls' '$top/err'"
stop_server

# Trees go as a pipeline over TLS too (docs/protocol.md, "Pipelining"):
# the requests written ahead pass through TLS records, never around them
# (once they went to the socket in plaintext, and the server's TLS failed
# with "protocol version"); through 10 ms each way, 100 files take far
# fewer round trips than one a file.
mkdir "$srv/tree"
i=0
while [ $i -lt 100 ]; do
	head -c $((i * 97)) /dev/urandom > "$srv/tree/f$i"
	i=$((i + 1))
done
start_server --tls --state "$state"
start_delay -d 10
client -q --tls --host-key "$fp" 127.0.0.1 "$dport" get -r tree
check "get -r over TLS: exit 0" [ "$rc" = 0 ]
check "get -r over TLS: the tree, byte-exact" diff -r "$srv/tree" "$loc/tree"
client -q --tls --host-key "$fp" 127.0.0.1 "$dport" put -r tree up
check "put -r over TLS: exit 0" [ "$rc" = 0 ]
check "put -r over TLS: the tree, byte-exact" diff -r "$loc/tree" "$srv/up"
i=0	# the relay writes a connection's line when it ends
while [ "$(wc -l < "$top/stats")" -lt 2 ] && [ $i -lt 200 ]; do
	i=$((i + 1)); sleep 0.05
done
rt=$(awk '{ for (i = 1; i < NF; i++) if ($i == "turns") t += $(i + 1) }
    END { print int(t / 2) }' "$top/stats")
echo "note: get -r and put -r of 100 files over TLS: $rt round trips"
check "trees over TLS: $rt round trips for 200 files (< 50)" [ "$rt" -lt 50 ]
stop_delay
stop_server
rm -rf "$srv/tree" "$srv/up" "$loc/tree"

# --tls-cert and --tls-key: a key of one's own, PEM (a P-256 one here).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$top/own.key" -out "$top/own.crt" -days 2 -subj /CN=own \
    2> /dev/null
chmod 600 "$top/own.key"
ownfp=$("$SERVER_BIN" --fingerprint --tls-cert "$top/own.crt" \
    --tls-key "$top/own.key")
check "--tls-cert: openssl's fingerprint" [ "$ownfp" = "$(openssl_fp \
    "$top/own.crt")" ]
start_server --tls --tls-cert "$top/own.crt" --tls-key "$top/own.key"
client -q --tls --host-key "$ownfp" 127.0.0.1 "$port" get a.txt
check "--tls-cert: a session" cmp -s "$loc/a.txt" "$srv/a.txt"
rm -f "$loc/a.txt"
stop_server
"$SERVER_BIN" --tls --tls-cert "$top/own.crt" "$srv" 0 > /dev/null 2>&1
check "--tls-cert without --tls-key: usage, exit 2" [ $? = 2 ]
"$SERVER_BIN" --tls-cert "$top/own.crt" --tls-key "$top/own.key" "$srv" 0 \
    > /dev/null 2>&1
check "--tls-cert without --tls: usage, exit 2" [ $? = 2 ]
cp "$top/own.key" "$srv/own.key"
"$SERVER_BIN" --tls --tls-cert "$top/own.crt" --tls-key "$srv/own.key" \
    "$srv" 0 > "$top/out" 2> "$top/err"
check "--tls-key inside DIR: refused" [ $? -ne 0 ]
check "--tls-key inside DIR: no listening line" [ ! -s "$top/out" ]
check "--tls-key inside DIR: says why" grep -q "inside the served" \
    "$top/err"
rm -f "$srv/own.key"

echo "tls: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
