#!/bin/sh
# Delete and rename (docs/protocol.md, "Delete and rename"): rm, rmdir
# and rename for a user with the delete right over TLS with --users;
# refused everywhere else, with a line saying why; a rename never
# replaces; nothing is left half done when the child dies mid-request.
# Driven with the real client and with openssl s_client (raw packets past
# the client).  Each check fails when its behaviour breaks.  Needs
# SERVER_BIN and CLIENT_BIN; the last part needs the test build's hooks
# (make SAN=1) and is skipped, saying so, without them.
set -u

. "$(dirname "$0")/lib.sh"

export XDG_DATA_HOME="$top/data"
state="$top/state"
users="$top/users"
printf 'keep\n' > "$srv/keep"

# s_client FILE ARGS...: a TLS connection to the server whose decrypted
# output lands in FILE; what to send comes on standard input.
s_client() {
	out=$1
	shift
	timeout 20 openssl s_client -quiet -connect "127.0.0.1:$port" "$@" \
	    > "$out" 2> /dev/null
}
# count FILE TEXT: how many times TEXT is in FILE.
count() { grep -ao "$2" "$1" | wc -l | tr -d ' '; }

# Plaintext: the client refuses before it sends; the server, sent the
# bytes anyway, knows no such opcode (ERR 4, closed).
start_server -t 2
client 127.0.0.1 "$port" rm keep
check "plaintext rm: exit 1" [ "$rc" = 1 ]
check "plaintext rm: one line saying why" sh -c "grep -q 'rm: only over \
TLS, as a user with the delete right' '$top/err' && [ \$(wc -l < \
'$top/err') = 1 ]"
check "plaintext rm: nothing sent" sh -c "! grep -q DEL '$top/server.log'"
for cmd in "rmdir sub" "rename keep k2"; do
	client 127.0.0.1 "$port" $cmd
	check "plaintext $cmd: exit 1, says why" sh -c "[ $rc = 1 ] && \
	    grep -q 'only over TLS' '$top/err'"
done
check "plaintext: all kept" sh -c "[ -f '$srv/keep' ] && [ -d '$srv/sub' ] \
    && [ ! -e '$srv/k2' ]"
stop_server

# TLS without --users: the server knows no DEL either, and says why.
start_server -t 2 --tls --state "$state"
client --tls --accept-new 127.0.0.1 "$port" rm keep
check "TLS without --users: exit 1" [ "$rc" = 1 ]
check "TLS without --users: says --users is needed" grep -q \
    "server --tls --users" "$top/err"
check "TLS without --users: kept" [ -f "$srv/keep" ]
stop_server

# Keys: the client's own (a delete user), two more by openssl.
me=$("$CLIENT_BIN" --fingerprint)
new_key writer reader
cat > "$users" <<EOF
me $me read,write,delete
writer $(key_fp "$top/writer.pem") read,write
reader $(key_fp "$top/reader.pem") read
EOF
start_server -v -t 5 --tls --state "$state" --users "$users"
tls() { client --tls --accept-new 127.0.0.1 "$port" "$@"; }

mkdir -p "$srv/d/e" "$srv/empty"
for f in a.txt b.txt x.log y.log d/e/deep; do printf '%s\n' "$f" > "$srv/$f"; done
tls rm a.txt
check "rm: exit 0" [ "$rc" = 0 ]
check "rm: gone" [ ! -e "$srv/a.txt" ]
check "rm: the log line" grep -q 'DEL "a.txt" 0 bytes .*: ok' \
    "$top/server.log"
tls rm '*.log'
check "rm PATTERN: exit 0, every match gone, the rest kept" sh -c \
    "[ $rc = 0 ] && [ ! -e '$srv/x.log' ] && [ ! -e '$srv/y.log' ] && \
    [ -f '$srv/b.txt' ]"
tls rm empty
check "rm DIR: exit 1, says it is a directory" sh -c "[ $rc = 1 ] && \
    grep -q 'rm empty: .*is a directory' '$top/err'"
check "rm DIR: kept" [ -d "$srv/empty" ]
tls rm nosuch
check "rm missing: exit 1, names it" sh -c "[ $rc = 1 ] && \
    grep -q 'rm nosuch: .*File not found' '$top/err'"
tls rm '*.none'
check "rm PATTERN with no match: exit 1" [ "$rc" = 1 ]
tls rmdir d
check "rmdir full: exit 1, not empty" sh -c "[ $rc = 1 ] && \
    grep -q 'rmdir d: .*directory not empty' '$top/err'"
tls rmdir b.txt
check "rmdir FILE: exit 1, not a directory" sh -c "[ $rc = 1 ] && \
    grep -q 'rmdir b.txt: .*not a directory' '$top/err'"
tls rmdir empty
check "rmdir: exit 0, gone" sh -c "[ $rc = 0 ] && [ ! -e '$srv/empty' ]"

# rename: moves, across directories too, never replaces.
tls rename b.txt c.txt
check "rename: exit 0, moved whole" sh -c "[ $rc = 0 ] && \
    [ ! -e '$srv/b.txt' ] && [ \"\$(cat '$srv/c.txt')\" = b.txt ]"
tls rename c.txt keep
check "rename onto a file: exit 1, exists" sh -c "[ $rc = 1 ] && \
    grep -q 'rename c.txt: .*File already exists' '$top/err'"
check "rename onto a file: both intact" sh -c "[ \"\$(cat \
    '$srv/c.txt')\" = b.txt ] && [ \"\$(cat '$srv/keep')\" = keep ]"
tls rename c.txt d
check "rename onto a directory: exit 1, nothing moved into it" sh -c \
    "[ $rc = 1 ] && [ -f '$srv/c.txt' ] && [ ! -e '$srv/d/c.txt' ]"
tls rename c.txt c.txt
check "rename onto itself: exit 1, kept" sh -c "[ $rc = 1 ] && \
    [ -f '$srv/c.txt' ]"
tls rename c.txt d/e/c2
check "rename into a directory: exit 0" sh -c "[ $rc = 0 ] && \
    [ -f '$srv/d/e/c2' ] && [ ! -e '$srv/c.txt' ]"
tls rename d d/e/d
check "rename beneath itself: exit 1, says so" sh -c "[ $rc = 1 ] && \
    grep -q 'cannot move beneath itself' '$top/err'"
tls rename d d2
check "rename a directory: exit 0, its files with it" sh -c "[ $rc = 0 ] \
    && [ -f '$srv/d2/e/deep' ] && [ ! -e '$srv/d' ]"

# Links are removed and renamed themselves, never what they point to.
ln -s keep "$srv/lnk"
ln -s / "$srv/outside"
ln -s d2 "$srv/dirlink"
tls rename lnk lnk2
check "rename a link: still a link to keep" sh -c "[ $rc = 0 ] && \
    [ \"\$(readlink '$srv/lnk2')\" = keep ]"
tls rm lnk2 outside dirlink
check "rm links: exit 0, the links gone" sh -c "[ $rc = 0 ] && \
    [ ! -L '$srv/lnk2' ] && [ ! -L '$srv/outside' ] && \
    [ ! -L '$srv/dirlink' ]"
check "rm links: what they pointed to kept" sh -c "[ -f '$srv/keep' ] && \
    [ -d '$srv/d2/e' ] && [ -f /etc/passwd ]"

# Several names: each failure one line, the rest done, exit 1.
printf '1\n' > "$srv/one"
printf '2\n' > "$srv/two"
tls rm one nosuch two
check "rm several, one missing: exit 1, one line" sh -c "[ $rc = 1 ] && \
    [ \$(wc -l < '$top/err') = 1 ] && [ ! -e '$srv/one' ] && \
    [ ! -e '$srv/two' ]"

# Users without the right: ERR 2 saying why, through the client and as
# raw packets past it (ACK 1, DEL keep, RMD d2, RNM keep z: three ERR 2,
# the session going on), nothing touched.
client --tls --accept-new -i "$top/writer.pem" 127.0.0.1 "$port" rm keep
check "write user, rm: exit 1, may not delete" sh -c "[ $rc = 1 ] && \
    grep -q 'user writer may not delete' '$top/err'"
for k in writer reader; do
	printf '\000\004\000\001\000\013keep\000\000\014d2\000\000\015keep\000z\000' |
	    s_client "$top/sc.$k" -cert "$top/$k.crt" -key "$top/$k.pem"
	check "raw, $k user: DEL, RMD, RNM each ERR 2" [ "$(count \
	    "$top/sc.$k" "user $k may not delete")" = 3 ]
done
check "raw: nothing touched" sh -c "[ -f '$srv/keep' ] && [ -d '$srv/d2' ] \
    && [ ! -e '$srv/z' ]"
# The delete user's bad names, past the client (which resolves `..`
# itself): RNM to ../z, DEL of an empty path, DEL of a/./b: ERR 7 each.
openssl req -x509 -key "$XDG_DATA_HOME/fileserver/client-key.pem" \
    -subj /CN=me -days 1 -out "$top/me.crt" 2>/dev/null
printf '\000\004\000\001\000\015keep\000../z\000\000\013\000\000\013d2/./e\000' |
    s_client "$top/sc.me" -cert "$top/me.crt" \
    -key "$XDG_DATA_HOME/fileserver/client-key.pem"
check "raw, delete user: three bad names, ERR 7 each" [ "$(count \
    "$top/sc.me" "Bad file name")" = 3 ]
check "raw, delete user: nothing touched" sh -c "[ -f '$srv/keep' ] && \
    [ -d '$srv/d2/e' ]"
stop_server

# The last part uses the test build's hooks (server/testhook.h): a file
# system without RENAME_NOREPLACE, and a pause between link and unlink.
FS_TEST_NO_NOREPLACE=1
export FS_TEST_NO_NOREPLACE
start_server -v -t 5 --tls --state "$state" --users "$users"
: > "$srv/probe"
mkdir "$srv/dd"
tls rename dd dd2
if ! grep -q 'cannot rename without replacing' "$top/err"; then
	echo "no test hooks in this server: the rename fallback not tested"
	stop_server
	echo "entries: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
fi
check "no NOREPLACE: a directory is not renamed" sh -c "[ $rc = 1 ] && \
    [ -d '$srv/dd' ] && [ ! -e '$srv/dd2' ]"
tls rename probe probe2
check "no NOREPLACE: a file is renamed by link and unlink" sh -c \
    "[ $rc = 0 ] && [ -f '$srv/probe2' ] && [ ! -e '$srv/probe' ]"
tls rename probe2 keep
check "no NOREPLACE: never onto a name, both intact" sh -c "[ $rc = 1 ] \
    && [ -f '$srv/probe2' ] && [ \"\$(cat '$srv/keep')\" = keep ]"
stop_server

# A child killed between the link and the unlink: the file is under
# both names, never under neither, and the client cannot say.
FS_TEST_PAUSE_RENAME="$top/go"
export FS_TEST_PAUSE_RENAME
start_server -v -t 5 --tls --state "$state" --users "$users"
printf 'moved\n' > "$srv/m1"
(cd "$loc" && exec "$CLIENT_BIN" --tls --accept-new 127.0.0.1 "$port" rename m1 m2 \
    > "$top/out" 2> "$top/err" < /dev/null) &
cpid=$!
wait_line "$top/server.log" "RNM linked, not yet unlinked" "$server_pid" \
    "the paused rename"
child=$(sed -n 's/.*\[\([0-9]*\)\] test hook: RNM linked.*/\1/p' \
    "$top/server.log" | head -1)
kill -9 "$child"
wait "$cpid"
rc=$?
check "killed mid-rename: the client exits 3" [ "$rc" = 3 ]
check "killed mid-rename: the client cannot say whether" grep -q \
    "whether it was done is not known" "$top/err"
check "killed mid-rename: the file under both names, whole" sh -c \
    "[ \"\$(cat '$srv/m1')\" = moved ] && [ \"\$(cat '$srv/m2')\" = moved ]"
: > "$top/go"
stop_server
unset FS_TEST_NO_NOREPLACE FS_TEST_PAUSE_RENAME

echo "entries: $passed passed, $failed failed"
[ "$failed" = 0 ]
