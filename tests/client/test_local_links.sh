#!/bin/sh
# The client never writes or reads through a local symbolic link in a
# tree (issue 25): a get -r into a target tree whose directory is a
# planted link, with and without -f; a put -r whose entry becomes a
# link between its listing and its opening ($FAULTS_LIB's
# FAULT_SWAP_LINK); passed-over entries said and counted (issue 22).
# And a download's visible temporary, on a file system without
# O_TMPFILE, gone when the client is ended by SIGTERM, SIGHUP or SIGINT.
# Needs SERVER_BIN, CLIENT_BIN and FAULTS_LIB.
set -u

. "$(dirname "$0")/lib.sh"
: "${FAULTS_LIB:?}"

outside=$top/outside
mkdir -p "$srv/tree/sub" "$outside"
printf 'from the server' > "$srv/tree/sub/f.txt"
printf 'top' > "$srv/tree/top.txt"
start_server

# Each protection on both paths: pipelined, as the client goes by
# default with a server that echoes the extension (client/pipeline.c),
# and one request at a time without options (client/transfers.c).
for mode in pipelined plain; do
	nopt=
	[ "$mode" = plain ] && nopt=--no-options
	# get -r: a directory of the target tree that is a link is not
	# entered.
	mkdir -p "$loc/tree"
	ln -s "$outside" "$loc/tree/sub"
	client $nopt -q 127.0.0.1 "$port" get -r tree
	check "$mode: get -r, planted link: exit 1" [ "$rc" = 1 ]
	check "$mode: get -r, planted link: nothing written through it" \
	    [ ! -e "$outside/f.txt" ]
	check "$mode: get -r, planted link: says why" \
	    grep -q "tree/sub: not a directory (a link is not followed)" \
	    "$top/err"
	check "$mode: get -r, planted link: the rest lands" \
	    cmp -s "$loc/tree/top.txt" "$srv/tree/top.txt"
	check "$mode: get -r, planted link: the link left as it was" \
	    [ -L "$loc/tree/sub" ]

	# With -f, a file outside is not replaced through the link either.
	printf 'mine' > "$outside/f.txt"
	rm -f "$loc/tree/top.txt"
	client $nopt -q 127.0.0.1 "$port" get -rf tree
	check "$mode: get -rf, planted link: exit 1" [ "$rc" = 1 ]
	check "$mode: get -rf, planted link: the file outside kept" \
	    [ "$(cat "$outside/f.txt")" = mine ]
	rm -rf "$loc/tree" "$outside"/*

	# The target tree's top that is a link is refused too.
	ln -s "$outside" "$loc/tree"
	client $nopt -q 127.0.0.1 "$port" get -r tree
	check "$mode: get -r, top a link: exit 1" [ "$rc" = 1 ]
	check "$mode: get -r, top a link: nothing outside" \
	    [ -z "$(ls -A "$outside")" ]
	rm -f "$loc/tree"

	# put -r: links, FIFOs passed over, each said on one line, counted.
	up=$loc/up
	mkdir -p "$up"
	printf 'plain' > "$up/plain.txt"
	ln -s plain.txt "$up/link"
	mkfifo "$up/fifo"
	client $nopt -q 127.0.0.1 "$port" put -r up
	check "$mode: put -r, skipped: exit 0" [ "$rc" = 0 ]
	check "$mode: put -r, skipped: the link said" \
	    grep -qx "put -r up: up/link: not a regular file; skipped" "$top/err"
	check "$mode: put -r, skipped: the FIFO said" \
	    grep -qx "put -r up: up/fifo: not a regular file; skipped" "$top/err"
	# Pipelined, in the summary line; plain, on a line of its own.
	if [ "$mode" = pipelined ]; then
		check "$mode: put -r, skipped: counted" grep -q \
		    "^put -r up: 1 file, 5 bytes in .* s; 0 up to date, 2 skipped, 0 failed$" \
		    "$top/out"
	else
		check "$mode: put -r, skipped: counted" \
		    grep -qx "put -r up: 2 skipped" "$top/err"
	fi
	check "$mode: put -r, skipped: the file went" [ -f "$srv/up/plain.txt" ]
	check "$mode: put -r, skipped: no link went" [ ! -e "$srv/up/link" ]
	rm -rf "$up" "$srv/up"

	# put -r: an entry that becomes a link after it was listed is refused.
	mkdir -p "$up"
	printf 'private' > "$top/secret"
	printf 'public' > "$up/swapme"
	(cd "$loc" && env LD_PRELOAD="$FAULTS_LIB" \
	    ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1 \
	    FAULT_SWAP_LINK="swapme:$top/secret" \
	    "$CLIENT_BIN" $nopt -q 127.0.0.1 "$port" put -r up > "$top/out" \
	    2> "$top/err" < /dev/null)
	rc=$?
	check "$mode: put -r, swapped to a link: the swap happened" [ -L "$up/swapme" ]
	check "$mode: put -r, swapped to a link: exit 1" [ "$rc" = 1 ]
	check "$mode: put -r, swapped to a link: refused" \
	    grep -q "up/swapme: not a regular file" "$top/err"
	check "$mode: put -r, swapped to a link: the secret not sent" \
	    sh -c "! grep -rq private '$srv/up'"
	rm -rf "$up" "$srv/up"
done

# No O_TMPFILE: the visible .NAME.PID.part goes on SIGTERM, SIGHUP and
# SIGINT.  Where the client's cache cannot be made there is none
# (client.1), and the temporary is beside the target; else it would be
# in the cache (test_mirror.sh).  A server slowed by $FAULTS_LIB? No: a big file read at a
# pace the delay tool sets is not needed; the client is stopped while
# its temporary exists, found by polling for it.
head -c 300000000 /dev/zero > "$srv/big"
for sig in TERM HUP INT; do
	rm -f "$loc"/.big.* "$loc/big"
	(cd "$loc" && exec env LD_PRELOAD="$FAULTS_LIB" \
	    ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1 \
	    FAULT_NO_TMPFILE=1 XDG_CACHE_HOME=/dev/null/cache \
	    "$CLIENT_BIN" -q 127.0.0.1 "$port" get big \
	    > "$top/out" 2> "$top/err" < /dev/null) &
	cpid=$!
	i=0
	while ! ls "$loc"/.big.*.part > /dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 400 ] && break
		sleep 0.02
	done
	check "SIG$sig: the temporary was there" \
	    sh -c "ls '$loc'/.big.*.part > /dev/null 2>&1"
	kill -"$sig" "$cpid"
	wait "$cpid"
	check "SIG$sig: the client ended" sh -c "! kill -0 $cpid 2>/dev/null"
	check "SIG$sig: no visible temporary left" \
	    sh -c "! ls -A '$loc' | grep -q part"
	check "SIG$sig: no file published" [ ! -e "$loc/big" ]
done
rm -f "$srv/big"

echo "local links: $passed passed, $failed failed"
[ "$failed" = 0 ]
