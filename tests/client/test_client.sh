#!/bin/sh
# The client, end to end: the real client against the real server on
# loopback, port 0, in a temporary directory.  Each check states one row
# of interface.md's client contract and fails when it breaks.
# Needs SERVER_BIN and CLIENT_BIN (tests/run sets them).
set -u

. "$(dirname "$0")/lib.sh"

printf 'hello\n' > "$srv/a.txt"
printf 'inner' > "$srv/sub/inner.txt"
printf 'spaced' > "$srv/with space"
head -c 3000000 /dev/urandom > "$srv/big"
start_server

# One command, the greeting first.
client 127.0.0.1 "$port" get a.txt
check "get: exit 0" [ "$rc" = 0 ]
check "get: content" cmp -s "$loc/a.txt" "$srv/a.txt"
check "greeting printed" grep -q "^Hello from .*'s fileserver$" "$top/out"
check "nothing on stderr" [ ! -s "$top/err" ]
rm -f "$loc/a.txt"

client -q 127.0.0.1 "$port" get big
check "-q get big: exit 0" [ "$rc" = 0 ]
check "-q: no greeting" [ ! -s "$top/out" ]
check "big: byte-exact" cmp -s "$loc/big" "$srv/big"
rm -f "$loc/big"

client -q --no-options 127.0.0.1 "$port" get big
check "--no-options get: exit 0" [ "$rc" = 0 ]
check "--no-options: byte-exact" cmp -s "$loc/big" "$srv/big"
rm -f "$loc/big"

client -q -B 8 -w 3 127.0.0.1 "$port" get big
check "-B 8 -w 3 get: exit 0" [ "$rc" = 0 ]
check "-B 8 -w 3: byte-exact" cmp -s "$loc/big" "$srv/big"
rm -f "$loc/big"

client -q ::1 "$port" get "with space" copy
check "IPv6 loopback, LOCAL given: exit 0" [ "$rc" = 0 ]
check "IPv6: content" cmp -s "$loc/copy" "$srv/with space"
rm -f "$loc/copy"

# HOST[:PORT]: the port in the host operand; brackets for IPv6.
client -q 127.0.0.1:"$port" get a.txt
check "HOST:PORT COMMAND: exit 0" [ "$rc" = 0 ]
check "HOST:PORT: content" cmp -s "$loc/a.txt" "$srv/a.txt"
rm -f "$loc/a.txt"
client -q "[::1]:$port" get a.txt
check "[IPv6]:PORT: exit 0" [ "$rc" = 0 ]
rm -f "$loc/a.txt"
client -q "[::1]" "$port" get a.txt
check "[IPv6] PORT: exit 0" [ "$rc" = 0 ]
rm -f "$loc/a.txt"
# Without a port, the package's 10000 (whoever answers there, if anyone).
client -q -t 2 127.0.0.1 ls
check "HOST alone: port 10000" sh -c \
    "[ $rc = 0 ] || grep -q 'port 10000' '$top/err'"

mkdir "$loc/into"
client -q localhost "$port" get sub/inner.txt into
check "get into a directory" cmp -s "$loc/into/inner.txt" "$srv/sub/inner.txt"
rm -rf "$loc/into"

# Failures: one line, exit 1, nothing left behind.
client -q 127.0.0.1 "$port" get missing
check "get missing: exit 1" [ "$rc" = 1 ]
check "get missing: one line" one_error_line
check "get missing: names file and reason" \
    grep -q "missing.*File not found" "$top/err"
check "get missing: no file" no_stray_files

printf 'mine\n' > "$loc/a.txt"
client -q 127.0.0.1 "$port" get a.txt
check "existing LOCAL: exit 1" [ "$rc" = 1 ]
check "existing LOCAL: one line" one_error_line
check "existing LOCAL: kept" grep -q mine "$loc/a.txt"
client -q -f 127.0.0.1 "$port" get a.txt
check "-f: exit 0" [ "$rc" = 0 ]
check "-f: replaced" cmp -s "$loc/a.txt" "$srv/a.txt"
check "-f: no temporary left" no_stray_files a.txt
rm -f "$loc/a.txt"
# -f replaces a file, never a device, FIFO or socket (as root, get -f X
# /dev/null once made /dev/null a regular file).
mkfifo "$loc/fifo"
client -q -f 127.0.0.1 "$port" get a.txt fifo
check "-f onto a FIFO: exit 1" [ "$rc" = 1 ]
check "-f onto a FIFO: says why" grep -q "fifo: not a regular file; not \
replaced" "$top/err"
check "-f onto a FIFO: still a FIFO" [ -p "$loc/fifo" ]
rm -f "$loc/fifo"

# Uploads.
head -c 70000 /dev/urandom > "$loc/up.bin"
client -q 127.0.0.1 "$port" put up.bin
check "put: exit 0" [ "$rc" = 0 ]
check "put: content" cmp -s "$loc/up.bin" "$srv/up.bin"
client -q 127.0.0.1 "$port" put up.bin sub/renamed.bin
check "put REMOTE: exit 0" [ "$rc" = 0 ]
check "put REMOTE: content" cmp -s "$loc/up.bin" "$srv/sub/renamed.bin"
client -q 127.0.0.1 "$port" put up.bin
check "put existing: exit 1" [ "$rc" = 1 ]
check "put existing: one line" one_error_line
check "put existing: reason" grep -q "already exists" "$top/err"
client -q 127.0.0.1 "$port" put nothing-here
check "put missing local: exit 1" [ "$rc" = 1 ]
check "put missing local: one line" one_error_line
rm -f "$loc/up.bin"

# Listing: type, size, date, name.
client -q 127.0.0.1 "$port" ls
check "ls: exit 0" [ "$rc" = 0 ]
check "ls: file line" grep -Eq '^f +6 [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{5} a.txt$' "$top/out"
check "ls: dir line" grep -Eq '^d +0 .* sub$' "$top/out"
check "ls: name with a space" grep -q ' with space$' "$top/out"
client -q 127.0.0.1 "$port" ls sub
check "ls PATH" grep -q ' inner.txt$' "$top/out"
client -q 127.0.0.1 "$port" ls nope
check "ls missing: exit 1" [ "$rc" = 1 ]
check "ls missing: one line" one_error_line
# ls takes patterns, -l and a file, as sftp's does (issue 22).
client -q 127.0.0.1 "$port" ls '*.txt'
check "ls PATTERN: exit 0" [ "$rc" = 0 ]
check "ls PATTERN: the match" grep -Eq '^f +6 .* a.txt$' "$top/out"
check "ls PATTERN: only the matches" [ "$(lines "$top/out")" = 1 ]
client -q 127.0.0.1 "$port" ls 'sub/*.txt'
check "ls DIR/PATTERN" grep -q ' inner.txt$' "$top/out"
client -q 127.0.0.1 "$port" ls '*.none'
check "ls PATTERN, no match: exit 1" [ "$rc" = 1 ]
check "ls PATTERN, no match: says so" grep -q '^ls \*.none: no match$' \
    "$top/err"
client -q 127.0.0.1 "$port" ls a.txt
check "ls FILE: exit 0" [ "$rc" = 0 ]
check "ls FILE: its one line" grep -Eq '^f +6 .* a.txt$' "$top/out"
check "ls FILE: one line" [ "$(lines "$top/out")" = 1 ]
client -q 127.0.0.1 "$port" ls -l
check "ls -l: exit 0" [ "$rc" = 0 ]
check "ls -l: a file as ls -l shows it" \
    grep -Eq '^- +6 [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{5} a.txt$' "$top/out"
check "ls -l: a directory" grep -Eq '^d +0 .* sub$' "$top/out"
client -q 127.0.0.1 "$port" ls -l '*.txt' sub
check "ls -l PATTERN DIR: exit 0" [ "$rc" = 0 ]
check "ls -l PATTERN DIR: the match" grep -Eq '^- +6 .* a.txt$' "$top/out"
check "ls -l PATTERN DIR: the directory" grep -q ' inner.txt$' "$top/out"
client -q 127.0.0.1 "$port" ls -x
check "ls -x: exit 1, the usage" grep -q 'unknown flag -x' "$top/err"

# lls runs the local ls with its flags and operands.
printf 'l' > "$loc/.hidden"
printf 'l' > "$loc/seen.c"
client -q 127.0.0.1 "$port" lls -a
check "lls -a: exit 0" [ "$rc" = 0 ]
check "lls -a: a dot file" grep -qx '.hidden' "$top/out"
client -q 127.0.0.1 "$port" lls -l '*.c'
check "lls -l PATTERN: ls -l's line" grep -Eq '^-.* 1 .* seen.c$' "$top/out"
check "lls -l PATTERN: only the match" [ "$(lines "$top/out")" = 1 ]
client -q 127.0.0.1 "$port" lls nothing-here
check "lls missing: exit 1" [ "$rc" = 1 ]
rm -f "$loc/.hidden" "$loc/seen.c"

# Messages name what failed, in plain words (issue 22).
printf 'l' > "$loc/local.txt"
client -q 127.0.0.1 "$port" put local.txt nodir/x.txt
check "put into a missing directory: exit 1" [ "$rc" = 1 ]
check "put into a missing directory: names the remote path" \
    grep -q '^put local.txt: /nodir/x.txt: File not found' "$top/err"
rm -f "$loc/local.txt"
client -q 127.0.0.1 "$port" get sub
check "get DIR: exit 1" [ "$rc" = 1 ]
check "get DIR: is a directory (use get -r)" \
    grep -qx 'get sub: is a directory (use get -r)' "$top/err"
check "get DIR: nothing left" no_stray_files
client -q 127.0.0.1 "$port" cd a.txt
check "cd FILE: not a directory, the code kept" \
    grep -qx 'cd /a.txt: Access violation: not a directory (server error 2)' \
    "$top/err"
client_stdin "cd sub
get -r .
" -q 127.0.0.1 "$port"
check "get -r . in a directory: exit 0" [ "$rc" = 0 ]
check "get -r . in a directory: takes its name" \
    cmp -s "$loc/sub/inner.txt" "$srv/sub/inner.txt"
rm -rf "$loc/sub"
client -q 127.0.0.1 "$port" get -r .
check "get -r . at the root: exit 0" [ "$rc" = 0 ]
check "get -r . at the root: into the local directory" sh -c \
    "cmp -s '$loc/a.txt' '$srv/a.txt' && cmp -s '$loc/sub/inner.txt' \
    '$srv/sub/inner.txt'"
rm -rf "$loc"/*
client -q 127.0.0.1 "$port" get .
check "get . at the root: is a directory (use get -r)" \
    grep -qx 'get /: is a directory (use get -r)' "$top/err"

# The remote directory is the client's: cd, pwd, .., /.
printf 'cd sub\npwd\nget inner.txt\ncd ..\ncd ..\npwd\ncd sub\ncd /\npwd\n' \
    > "$top/batch"
client -q -b "$top/batch" 127.0.0.1 "$port"
check "cd batch: exit 0" [ "$rc" = 0 ]
check "cd then get" cmp -s "$loc/inner.txt" "$srv/sub/inner.txt"
check "pwd after cd sub" [ "$(sed -n 1p "$top/out")" = "/sub" ]
check "cd .. at the root stays there" [ "$(sed -n 2p "$top/out")" = "/" ]
check "cd / is the root" [ "$(sed -n 3p "$top/out")" = "/" ]
rm -f "$loc/inner.txt"
client -q 127.0.0.1 "$port" cd a.txt
check "cd to a file: exit 1" [ "$rc" = 1 ]
check "cd to a file: one line" one_error_line

# Batch: stop at the first failure unless the line starts with '-'.
printf 'get missing\nget a.txt\n' > "$top/batch"
client -q -b "$top/batch" 127.0.0.1 "$port"
check "batch stops: exit 1" [ "$rc" = 1 ]
check "batch stops: later line not run" [ ! -e "$loc/a.txt" ]
printf -- '-get missing\nget a.txt\n' > "$top/batch"
client -q -b "$top/batch" 127.0.0.1 "$port"
check "'-' line: exit 0" [ "$rc" = 0 ]
check "'-' line: went on" cmp -s "$loc/a.txt" "$srv/a.txt"
check "'-' line: its failure still said" one_error_line
rm -f "$loc/a.txt"
client_stdin 'get missing
get a.txt
' -q 127.0.0.1 "$port"
check "stdin: stops at failure, exit 1" [ "$rc" = 1 ]
check "stdin: later line not run" [ ! -e "$loc/a.txt" ]
client_stdin '# a comment

get a.txt
quit
get missing
' -q 127.0.0.1 "$port"
check "stdin: comments, blank lines, quit" [ "$rc" = 0 ]
check "stdin: ran get" [ -e "$loc/a.txt" ]
rm -f "$loc/a.txt"
client_stdin 'bogus
' -q 127.0.0.1 "$port"
check "unknown command in batch: exit 1" [ "$rc" = 1 ]
check "unknown command: one line" one_error_line
client_stdin 'get "a.txt
' -q 127.0.0.1 "$port"
check "unterminated quote: exit 1" [ "$rc" = 1 ]
check "unterminated quote: one line" one_error_line
check "unterminated quote: says so" grep -q '^unterminated "' "$top/err"
check "unterminated quote: not run" [ ! -e "$loc/a.txt" ]

# Usage errors: exit 2, before connecting.
client -b "$top/batch" 127.0.0.1 "$port" get a.txt
check "-b with a command: exit 2" [ "$rc" = 2 ]
client
check "missing host: exit 2" [ "$rc" = 2 ]
check "usage line" grep -q "^usage: client" "$top/err"
client 127.0.0.1:"$port" "$port"
check "HOST:PORT and PORT: exit 2" [ "$rc" = 2 ]
check "HOST:PORT and PORT: says so" grep -q "port given twice" "$top/err"
client '[::1' ls
check "unclosed [: exit 2" [ "$rc" = 2 ]
client 127.0.0.1 frobnicate
check "HOST then a command: the command is checked, exit 2" [ "$rc" = 2 ]
check "HOST then a command: not taken for a port" \
    grep -q "frobnicate" "$top/err"
check "HOST then a command: no port complaint" \
    sh -c "! grep -q '^client: port' '$top/err'"
client -Z 127.0.0.1 "$port"
check "unknown option: exit 2" [ "$rc" = 2 ]
client -t 0 127.0.0.1 "$port" ls
check "-t 0: exit 2" [ "$rc" = 2 ]
client -B 7 127.0.0.1 "$port" ls
check "-B 7: exit 2" [ "$rc" = 2 ]
client 127.0.0.1 "$port" frobnicate
check "unknown command on the command line: exit 2" [ "$rc" = 2 ]
client 127.0.0.1 "$port" get
check "get without REMOTE: exit 2" [ "$rc" = 2 ]
client -b "$top/no-such-batch" 127.0.0.1 "$port"
check "unreadable batch file: exit 2" [ "$rc" = 2 ]

# -h, -V and "--" are documented: in the page, the usage and help.
page=$(dirname "$0")/../../client/client.1
check "client.1: -h" grep -q '^\.It Fl h , Fl Fl help$' "$page"
check "client.1: -V" grep -q '^\.It Fl V , Fl Fl version$' "$page"
check "client.1: -- ends the options" grep -q '^\.It Fl Fl$' "$page"
check "client.1: -- ends a command's flags" \
    grep -q '^\.Ql get \\-\\- \\-notes.txt \.$' "$page"
client -h
check "-h: exit 0, usage on stdout" grep -q "host\[:port\]" "$top/out"
client -q 127.0.0.1 "$port" help
check "help: says what -- does" grep -q "^get -- -NAME.* -- ends the flags" \
    "$top/out"
client -q 127.0.0.1 "$port" help get
check "help COMMAND: its usage" grep -q '^usage: get \[-afpr\]' "$top/out"
check "help COMMAND: each flag" sh -c "grep -q '^  -a  ' '$top/out' &&
    grep -q '^  -f  ' '$top/out' && grep -q '^  -r  ' '$top/out'"
check "help COMMAND: the default" grep -q 'LOCAL defaults to' "$top/out"
check "help COMMAND: an example" grep -q '^example: get ' "$top/out"
client -q 127.0.0.1 "$port" help ls
check "help ls: -l" grep -q '^  -l  long format' "$top/out"

# A client idle past the server's timeout: the server says ERR 5 and
# closes; the next command connects again, quietly, and succeeds.
stop_server
start_server -t 1
(sleep 4; printf 'ls\n') | (cd "$loc" && "$CLIENT_BIN" -q 127.0.0.1 "$port" \
    > "$top/out" 2> "$top/err")
rc=$?
check "idle past the server's timeout, then ls: exit 0" [ "$rc" = 0 ]
check "idle past the server's timeout: nothing on stderr" [ ! -s "$top/err" ]
check "idle past the server's timeout: the listing" grep -q ' a.txt$' "$top/out"

# The server ends a command with ERR: exit 1, one line with its message.
stop_server
start_server -m 1000
head -c 5000 /dev/urandom > "$loc/toolarge"
client -q 127.0.0.1 "$port" put toolarge
check "ERR mid-transfer: exit 1" [ "$rc" = 1 ]
check "ERR mid-transfer: one line" one_error_line
check "ERR mid-transfer: server's message" grep -q "limit" "$top/err"
check "ERR mid-transfer: nothing kept" [ ! -e "$srv/toolarge" ]
rm -f "$loc/toolarge"
stop_server

# Server text is escaped: a greeting with control bytes.
start_server -n "$(printf 'evil\033[2J\007')"
client 127.0.0.1 "$port" pwd
check "escaped greeting: exit 0" [ "$rc" = 0 ]
check "no raw escape byte" sh -c "! grep -q \"$(printf '\033')\" '$top/out'"
check "escaped form shown" grep -q 'evil\\033\[2J\\007' "$top/out"
stop_server

# Could not connect: exit 3.
start_server
dead=$port
stop_server
client -q 127.0.0.1 "$dead" ls
check "nothing listening: exit 3" [ "$rc" = 3 ]
check "nothing listening: one line" one_error_line

# A silent server (stopped, so the kernel accepts but nothing answers).
start_server
kill -STOP "$server_pid"
client -q -t 1 127.0.0.1 "$port" ls
check "silent server: exit 3" [ "$rc" = 3 ]
check "silent server: one line" one_error_line
kill -CONT "$server_pid"
stop_server

# The connection lost mid-download: exit 3, no partial file.  The child
# is stopped first, so the download cannot finish before the kill.
head -c 100000000 /dev/zero > "$srv/huge"
start_server
(cd "$loc" && exec "$CLIENT_BIN" -q --no-options 127.0.0.1 "$port" \
    get huge > "$top/out" 2> "$top/err") &
client_pid=$!
child=
i=0
while [ -z "$child" ] && [ $i -lt 200 ]; do
	child=$(sed -n 's/^.* \[\([0-9]*\)\] Received a connection.*/\1/p' \
	    "$top/server.log" | tail -n 1)
	i=$((i + 1))
	sleep 0.05
done
if [ -n "$child" ]; then
	kill -STOP "$child"
	kill -KILL "$child"
fi
wait "$client_pid"
rc=$?
check "lost connection: exit 3" [ "$rc" = 3 ]
check "lost connection: one line" one_error_line
check "lost connection: no partial file" no_stray_files
rm -f "$srv/huge"
stop_server

echo "client: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
