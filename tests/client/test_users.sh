#!/bin/sh
# Users (docs/protocol.md, "Users"): server --tls --users FILE admits the
# listed keys only, each with its rights and root, and names the user in
# the greeting and the log.  Driven with the real client and with
# openssl s_client (raw packets past the client).  Each check fails when
# its behaviour breaks.  Needs SERVER_BIN and CLIENT_BIN.
set -u

. "$(dirname "$0")/lib.sh"

export XDG_DATA_HOME="$top/data"
state="$top/state"
users="$top/users"
mkdir -p "$srv/alice" "$srv/bob"
printf 'hello\n' > "$srv/a.txt"
printf 'bob only\n' > "$srv/bob/secret"
printf 'x\n' > "$loc/up.txt"

# Keys: the client's own (made on first use), and two more by openssl,
# each in a self-signed certificate for s_client.
"$CLIENT_BIN" --fingerprint > "$top/fp" 2> "$top/err"
check "client --fingerprint: exit 0" [ $? = 0 ]
me=$(cat "$top/fp")
new_key reader stranger
reader=$(key_fp "$top/reader.pem")
stranger=$(key_fp "$top/stranger.pem")
check "openssl's fingerprint of the client's key" [ "$me" = "$(key_fp \
    "$XDG_DATA_HOME/fileserver/client-key.pem")" ]

# refused CONTENT WHY: a users file holding CONTENT stops the server
# before it listens, exit 2, with FILE:LINE and WHY on standard error.
refused() {
	printf "$1" > "$top/bad"
	"$SERVER_BIN" --tls --state "$state" --users "$top/bad" "$srv" 0 \
	    > "$top/out" 2> "$top/err"
	s=$?
	check "bad users file ($2): exit 2" [ "$s" = 2 ]
	check "bad users file ($2): no listening line" [ ! -s "$top/out" ]
	check "bad users file ($2): says where and why" \
	    grep -q "$top/bad:$3: $2" "$top/err"
}
refused "alice $me read\nbob\n" "expected NAME FINGERPRINT RIGHTS" 2
refused "# c\n\nalice $me read,writ\n" "a right is read, write or delete" 3
refused "alice $me read,read\n" "a right named twice" 1
refused "alice $me \n" "expected NAME FINGERPRINT RIGHTS" 1
refused "alice SHA256:abc read\n" "a FINGERPRINT is SHA256:" 1
refused "alice $me read\nbob $me read\n" "the key is on an earlier line" 2
refused "alice $me read\nalice $reader read\n" \
    "the name is on an earlier line" 2
refused "al/ice $me read\n" "a NAME is 1 to 32" 1
refused "anonymous $me read\n" "the name anonymous is reserved" 1
refused "* $me read\n" "the \* line's fingerprint is \*" 1
refused "* * read\n* * write\n" "a second \* line" 2
refused "alice $me read ../bob\n" "a ROOT is a relative path" 1
refused "alice $me read /etc\n" "a ROOT is a relative path" 1
refused "alice $me read nowhere\n" "root nowhere: No such file" 1
refused "alice $me read a.txt\n" "root a.txt: Not a directory" 1
ln -s bob "$srv/link"
refused "alice $me read link\n" "root link: a symbolic link" 1
rm "$srv/link"
refused "alice $me read x y\n" "expected NAME FINGERPRINT RIGHTS" 1
refused "alice $me read\r\n" "a carriage return" 1
"$SERVER_BIN" --tls --state "$state" --users "$top/none" "$srv" 0 \
    > "$top/out" 2> "$top/err"
check "missing users file: exit 2" [ $? = 2 ]
check "missing users file: says so" grep -q "$top/none: No such file" \
    "$top/err"
printf "alice $me read\n" > "$users"
"$SERVER_BIN" --users "$users" "$srv" 0 > "$top/out" 2> "$top/err"
check "--users without --tls: exit 2" [ $? = 2 ]
check "--users without --tls: says so" grep -q "needs --tls" "$top/err"

# The server's key: pinned once for every later client.
cat > "$users" <<EOF
# name  fingerprint  rights  [root]
me	$me   read,write,delete
reader $reader read
EOF
start_server -v -t 2 --tls --state "$state" --users "$users"
client --tls --accept-new 127.0.0.1 "$port" ls
check "a listed key: exit 0" [ "$rc" = 0 ]
check "a listed key: greeted by name" grep -q \
    "^Hello me, this is .*'s fileserver$" "$top/out"
check "a listed key: the log names the user and, at -v, the key" grep -q \
    "\] User me, key $me$" "$top/server.log"
client --tls 127.0.0.1 "$port" put up.txt
check "a write user: put works" cmp -s "$loc/up.txt" "$srv/up.txt"

# An unknown key: ERR 2 in place of the greeting, naming it; no request.
: > "$top/server.log"
client --tls -i "$top/stranger.pem" 127.0.0.1 "$port" ls
check "unknown key: exit 3" [ "$rc" = 3 ]
check "unknown key: one line naming the key" sh -c "grep -q \
    'key $stranger is not admitted' '$top/err' && [ \$(wc -l < \
    '$top/err') = 1 ]"
check "unknown key: no greeting" sh -c "! grep -q Hello '$top/out'"
check "unknown key: ERR 2 logged" grep -q \
    "Sent ERR 2: Access violation: key $stranger is not admitted" \
    "$top/server.log"
check "unknown key: no request read" sh -c "! grep -q 'DRQ\|User' \
    '$top/server.log'"

# s_client FILE ARGS...: a TLS connection to the server whose decrypted
# output lands in FILE; what to send comes on standard input.
s_client() {
	out=$1
	shift
	timeout 20 openssl s_client -quiet -connect "127.0.0.1:$port" "$@" \
	    > "$out" 2> /dev/null
}
s_client "$top/sc.none" < /dev/null
check "no certificate: ERR 2, no greeting" sh -c "grep -aq \
    'no client key' '$top/sc.none' && ! grep -aq Hello '$top/sc.none'"
s_client "$top/sc.stranger" -cert "$top/stranger.crt" \
    -key "$top/stranger.pem" < /dev/null
check "s_client, unknown key: ERR 2 naming it" grep -aq \
    "key $stranger is not admitted" "$top/sc.stranger"
check "s_client, unknown key: no greeting" sh -c "! grep -aq Hello \
    '$top/sc.stranger'"

# A read-only user, past the client: ACK 1, WRQ "w" and MKD "m" as raw
# packets, each answered ERR 2; the session goes on, then times out.
printf '\000\004\000\001\000\002w\000\000\011m\000' |
    s_client "$top/sc.reader" -cert "$top/reader.crt" -key "$top/reader.pem"
check "raw, read user: greeted by name" grep -aq \
    "Hello reader, this is" "$top/sc.reader"
check "raw, read user: WRQ and MKD each ERR 2" [ "$(grep -ao \
    'Access violation: user reader may not write' "$top/sc.reader" |
    wc -l)" = 2 ]
check "raw, read user: nothing made" sh -c "[ ! -e '$srv/w' ] && \
    [ ! -e '$srv/m' ]"
client --tls -i "$top/reader.pem" 127.0.0.1 "$port" get a.txt
check "client, read user: get works" cmp -s "$srv/a.txt" "$loc/a.txt"
client --tls -i "$top/reader.pem" 127.0.0.1 "$port" mkdir d
check "client, read user: mkdir refused" [ "$rc" = 1 ]
check "client, read user: says why" grep -q "user reader may not write" \
    "$top/err"
check "client, read user: nothing made" [ ! -e "$srv/d" ]
stop_server

# A user rooted in DIR/alice sees only that directory, and reaches
# DIR/bob by no path and no link (relative or absolute).
printf 'in alice\n' > "$srv/alice/mine"
ln -s ../bob "$srv/alice/up"
ln -s "$(cd "$srv" && pwd -P)/bob/secret" "$srv/alice/abs"
ln -s "$(cd "$srv" && pwd -P)/alice/mine" "$srv/alice/inside"
printf "me $me read,write alice\n" > "$users"
start_server -t 2 --tls --state "$state" --users "$users"
client --tls --accept-new 127.0.0.1 "$port" ls
check "rooted: the listing is DIR/alice's" sh -c "grep -q ' mine$' \
    '$top/out' && ! grep -q ' a.txt$\| bob$' '$top/out'"
for p in ../bob/secret bob/secret up/secret abs /bob/secret ../a.txt; do
	rm -f "$loc/secret" "$loc/abs" "$loc/a.txt"
	client --tls 127.0.0.1 "$port" get "$p"
	check "rooted: get $p refused" [ "$rc" != 0 ]
	check "rooted: get $p: nothing fetched" sh -c "! ls '$loc' | \
	    grep -q 'secret\|abs\|a.txt'"
done
client --tls 127.0.0.1 "$port" get inside
check "rooted: an absolute link inside the root is followed" \
    cmp -s "$srv/alice/mine" "$loc/inside"
client --tls 127.0.0.1 "$port" put up.txt
check "rooted: put lands in DIR/alice" cmp -s "$loc/up.txt" \
    "$srv/alice/up.txt"
client --tls 127.0.0.1 "$port" put up.txt up/x
check "rooted: put through a link out refused" [ ! -e "$srv/bob/x" ]
stop_server

# The kernel enforces each right and the root: a test-only hook tries,
# from inside the child confined to its user and past every check of the
# code, to create a file or a directory in the root, or to read DIR/bob's
# file from the root's parent.  Landlock refuses what the rights do not
# allow; without Landlock (FS_TEST_NO_LANDLOCK) the same tries succeed,
# which shows it is the kernel refusing.
printf "reader $reader read\nme $me write alice\n" > "$users"
hook() {	# hook WHAT KEY [ENV...]: one connection, its hook's line
	what=$1
	key=$2
	shift 2
	: > "$top/server.log"
	env FS_TEST_USER_ESCAPE="$what" FS_TEST_USER_ESCAPE_FILE=bob/secret \
	    "$@" "$SERVER_BIN" -t 2 --tls --state "$state" --users "$users" \
	    "$srv" 0 > "$top/server.out" 2> "$top/server.log" &
	server_pid=$!
	wait_line "$top/server.out" listening "$server_pid" server
	port=$(sed -n 's/.* port \([0-9]*\)$/\1/p' "$top/server.out")
	client --tls --accept-new -i "$key" 127.0.0.1 "$port" ls
	stop_server
	sed -n "s/.*test hook: user $what: //p" "$top/server.log"
}
cp "$XDG_DATA_HOME/fileserver/client-key.pem" "$top/me.pem"
check "hook: a read user's child may not create a file" [ "$(hook write \
    "$top/reader.pem")" = "Permission denied" ]
check "hook: nor a directory" [ "$(hook mkdir "$top/reader.pem")" = \
    "Permission denied" ]
check "hook: nothing made" sh -c "[ ! -e '$srv/hook-write' ] && \
    [ ! -e '$srv/hook-mkdir' ]"
check "hook: a write user's child may" [ "$(hook write "$top/me.pem")" = \
    done ]
check "hook: in its root" [ -f "$srv/alice/hook-write" ]
rm -f "$srv/alice/hook-write"
check "hook: a user rooted in DIR/alice may not read DIR/bob" \
    [ "$(hook up "$top/me.pem")" = "Permission denied" ]
check "hook: without Landlock, a read user's child could create one" \
    [ "$(hook write "$top/reader.pem" FS_TEST_NO_LANDLOCK=1)" = done ]
rm -f "$srv/hook-write"
check "hook: without Landlock, DIR/bob could be read from the root's \
parent" [ "$(hook up "$top/me.pem" FS_TEST_NO_LANDLOCK=1)" = done ]

# Without Landlock the code's checks still hold.
start_server -t 2 --tls --state "$state" --users "$users"
export FS_TEST_NO_LANDLOCK=1
client --tls --accept-new -i "$top/reader.pem" 127.0.0.1 "$port" mkdir d
check "no Landlock: a read user's mkdir refused" grep -q \
    "user reader may not write" "$top/err"
client --tls -i "$top/me.pem" 127.0.0.1 "$port" get ../bob/secret
check "no Landlock: a rooted user still reaches no DIR/bob" sh -c \
    "[ $rc != 0 ] && [ ! -e '$loc/secret' ]"
unset FS_TEST_NO_LANDLOCK
stop_server

# A root removed since start-up: ERR 0 in place of the greeting.
mkdir "$srv/gone"
printf "me $me read gone\n" > "$top/users.gone"
start_server -t 2 --tls --state "$state" --users "$top/users.gone"
rmdir "$srv/gone"
client --tls --accept-new 127.0.0.1 "$port" ls
check "root gone: refused" [ "$rc" = 3 ]
check "root gone: says why" grep -q "Cannot serve user me: root gone" \
    "$top/err"
stop_server

# A write-only user (a drop box): uploads into its root, reads nothing.
start_server -t 2 --tls --state "$state" --users "$users"
client --tls --accept-new -i "$top/me.pem" 127.0.0.1 "$port" put up.txt \
    drop.txt
check "write-only: put works" cmp -s "$loc/up.txt" "$srv/alice/drop.txt"
client --tls -i "$top/me.pem" 127.0.0.1 "$port" get drop.txt
check "write-only: get refused" grep -q "user me may not read" "$top/err"
client --tls -i "$top/me.pem" 127.0.0.1 "$port" ls
check "write-only: ls refused" grep -q "user me may not read" "$top/err"
stop_server

# -r takes write from every user; a `*` line admits any other key, or
# none, with its rights, greeted as anonymous.
printf "me $me read,write\n* * read\n" > "$users"
start_server -t 2 -r --tls --state "$state" --users "$users"
client --tls --accept-new 127.0.0.1 "$port" put up.txt
check "-r: a write user's put refused" grep -q "read-only" "$top/err"
client --tls -i "$top/stranger.pem" 127.0.0.1 "$port" ls
check "* line: an unknown key admitted" [ "$rc" = 0 ]
check "* line: greeted as anonymous" grep -q \
    "^Hello anonymous, this is" "$top/out"
check "* line: logged as anonymous" grep -q "\] User anonymous$" \
    "$top/server.log"
s_client "$top/sc.none" < /dev/null
check "* line: no certificate is anonymous too" grep -aq \
    "Hello anonymous" "$top/sc.none"
stop_server

echo "users: $passed passed, $failed failed"
[ "$failed" = 0 ]
