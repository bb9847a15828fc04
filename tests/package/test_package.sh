#!/bin/sh
# make install, then the Debian package (issue 15): builds it from the
# dist tarball (`make deb`, so the tree stays clean), checks it with
# lintian, installs it with dpkg -i, runs the installed server as
# fileserver.service would (as root, with -u fileserver, within the
# unit's capability bounding set, on port 0 in place of the socket),
# moves a file each way with the installed client, stops the server by
# its PID, and purges the package, which must leave nothing behind: no
# file, no user, no group, no served directory.  Then once more with a
# served file left, which purge must keep (and its owner).  The package
# part needs root.  Run from the top of the tree.
set -u
top=$(pwd)
unset MAKEFLAGS MFLAGS MAKELEVEL
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

# make install: stripped (INSTALL_PROGRAM), under DESTDIR and PREFIX, as
# fileserver and fileclient; unstripped when INSTALL_PROGRAM says so; the
# pages lint clean but for their cross references, found once installed.
inst=$(mktemp -d /tmp/fs-install.XXXXXX)
make -s --no-print-directory install DESTDIR="$inst/s" PREFIX=/opt/fs \
    > /dev/null || bad "make install"
make -s --no-print-directory install DESTDIR="$inst/u" PREFIX=/opt/fs \
    INSTALL_PROGRAM='install -m 755' > /dev/null || bad "make install"
for p in fileserver fileclient; do
	f=$inst/s/opt/fs/bin/$p
	[ "$(stat -c %a "$f" 2>&1)" = 755 ] || bad "$f: $(stat -c %a "$f" 2>&1)"
	readelf -S "$f" | grep -q '\.symtab' && bad "$f is not stripped"
	readelf -S "$inst/u/opt/fs/bin/$p" | grep -q '\.symtab' ||
	    bad "INSTALL_PROGRAM without -s stripped $p"
	grep -qx ".Nm $p" "$inst/s/opt/fs/share/man/man1/$p.1" ||
	    bad "no $p.1"
done
[ -x bin/server ] && [ -x bin/client ] || bad "the build tree lost bin/"
mandoc -T lint -W warning "$inst/s/opt/fs/share/man/man1/fileserver.1" \
    "$inst/s/opt/fs/share/man/man1/fileclient.1" server/server.1 \
    client/client.1 || bad "mandoc -T lint -W warning"
rm -rf "$inst"

if [ "$(id -u)" -ne 0 ]; then
	echo "package: skipped, needs root (dpkg -i)"
	exit "$fail"
fi
# One package test at a time on this machine (other clones run theirs).
lockdir=/run/lock
[ -d "$lockdir" ] || lockdir=/tmp
exec 9> "$lockdir/fileserver-package-test"
flock -w 300 9 || { echo "FAIL: another package test holds the lock"; exit 1; }
# Never touch an installation that is not ours.
if dpkg-query -W -f='${Status}' fileserver 2>/dev/null | grep -q installed ||
    getent passwd fileserver > /dev/null || [ -e /srv/fileserver ] ||
    [ -e /var/lib/fileserver ]; then
	echo "package: skipped, a fileserver package, user, /srv/fileserver" \
	    "or /var/lib/fileserver is already here"
	exit "$fail"
fi

tmp=$(mktemp -d /tmp/fs-package.XXXXXX)
server_pid=""
ours=0
# Whatever happened: none of the package, its user or its directory was
# here before (above), so none may stay.
cleanup() {
	[ -n "$server_pid" ] && kill -KILL "$server_pid" 2> /dev/null
	if [ "$ours" -eq 1 ]; then
		dpkg_do --purge fileserver > /dev/null 2>&1
		rm -rf /srv/fileserver /var/lib/fileserver
		getent passwd fileserver > /dev/null &&
		    deluser --system --quiet fileserver > /dev/null 2>&1
		getent group fileserver > /dev/null &&
		    delgroup --system --quiet fileserver > /dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# dpkg, waiting (bounded) while another engineer's apt-get holds its lock.
dpkg_do() {
	i=0
	while :; do
		dpkg "$@" > "$tmp/dpkg.out" 2>&1 && return 0
		grep -q 'lock' "$tmp/dpkg.out" && [ "$i" -lt 120 ] || {
			cat "$tmp/dpkg.out"
			return 1
		}
		i=$((i + 1))
		sleep 1
	done
}

# Waits (bounded) for the server's listening line; sets port.
wait_listening() {
	i=0
	while ! grep -q ' port [0-9]*$' "$tmp/out" 2> /dev/null; do
		kill -0 "$server_pid" 2> /dev/null || return 1
		[ "$i" -lt 200 ] || return 1
		i=$((i + 1))
		sleep 0.1
	done
	port=$(sed -n 's/^File server listening on .* port \([0-9]*\)$/\1/p' \
	    "$tmp/out")
	[ -n "$port" ]
}

# SIGTERM, then waits (bounded) for the exit; sets status.
stop_server() {
	kill -TERM "$server_pid"
	i=0
	while kill -0 "$server_pid" 2> /dev/null; do
		[ "$i" -lt 200 ] || { kill -KILL "$server_pid"; break; }
		i=$((i + 1))
		sleep 0.1
	done
	wait "$server_pid"
	status=$?
	server_pid=""
}

# The build: from the tarball, in build/deb; the tree as it was.
before=$(git status --porcelain 2> /dev/null)
if ! make -s --no-print-directory deb > "$tmp/build" 2>&1; then
	cat "$tmp/build"
	echo "FAIL: make deb"
	exit 1
fi
[ "$(git status --porcelain 2> /dev/null)" = "$before" ] ||
    bad "building the package changed the tree"
version=$(./scripts/version)
deb=build/deb/fileserver_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { echo "FAIL: no $deb"; exit 1; }
echo "built $deb"
lintian --fail-on error,warning build/deb/*.changes > "$tmp/lintian" 2>&1 ||
    { bad "lintian:"; cat "$tmp/lintian"; }

# Installed, with its user and its served directory.
ours=1
dpkg_do -i "$deb" || { echo "FAIL: dpkg -i"; exit 1; }
cp "$tmp/dpkg.out" "$tmp/install.out"
for f in /usr/bin/fileserver /usr/bin/fileclient \
    /usr/share/man/man1/fileserver.1.gz /usr/share/man/man1/fileclient.1.gz \
    /lib/systemd/system/fileserver.service \
    /lib/systemd/system/fileserver.socket; do
	[ -f "$f" ] || bad "not installed: $f"
done
user=$(getent passwd fileserver)
case $user in
fileserver:*:*:*:*:/nonexistent:/usr/sbin/nologin) ;;
*) bad "fileserver user: '$user'" ;;
esac
uid=$(echo "$user" | cut -d: -f3)
[ -n "$uid" ] && [ "$uid" -lt 1000 ] || bad "not a system user: $uid"
[ "$(stat -c %U:%G:%a /srv/fileserver 2>&1)" = fileserver:fileserver:755 ] ||
    bad "/srv/fileserver: $(stat -c %U:%G:%a /srv/fileserver 2>&1)"
# One version: the package's, -V's, and git describe's.
pkgver=$(dpkg-query -W -f='${Version}' fileserver)
[ "$pkgver" = "$version" ] || bad "package $pkgver, tree $version"
[ "$(fileserver -V)" = "server $version" ] ||
    bad "fileserver -V: $(fileserver -V)"
[ "$(fileclient -V)" = "client $version" ] ||
    bad "fileclient -V: $(fileclient -V)"
# The installed pages lint clean, at every level: their cross references
# are found now.  (mandoc's note that its own index is stale is no lint.)
for page in fileserver fileclient; do
	zcat "/usr/share/man/man1/$page.1.gz" > "$tmp/$page.1"
done
mandoc -T lint "$tmp/fileserver.1" "$tmp/fileclient.1" > "$tmp/lint" 2>&1 ||
    bad "mandoc -T lint failed"
if grep -v 'outdated mandoc.db' "$tmp/lint"; then
	bad "mandoc -T lint of the installed pages"
fi
man=""
command -v man > /dev/null || man=--man=no
systemd-analyze verify $man /lib/systemd/system/fileserver.socket \
    /lib/systemd/system/fileserver.service > "$tmp/verify" 2>&1 ||
    { bad "systemd-analyze verify:"; cat "$tmp/verify"; }

# The server as the unit starts it: its ExecStart, as root, within its
# CapabilityBoundingSet and NoNewPrivileges, on port 0 (systemd would
# hand it fileserver.socket instead).
unit=/lib/systemd/system/fileserver.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z ' 'a-z\n' |
    sed -n 's/^cap_/+/p' | tr '\n' ',' | sed 's/,$//')
grep -qx 'NoNewPrivileges=yes' "$unit" || bad "unit without NoNewPrivileges"
case $exec_start in
"/usr/bin/fileserver -u fileserver /srv/fileserver") ;;
*) bad "ExecStart: $exec_start" ;;
esac
head -c 100000 /dev/urandom > /srv/fileserver/down.bin
head -c 70000 /dev/urandom > "$tmp/up.bin"
# shellcheck disable=SC2086 # ExecStart's words
setpriv --no-new-privs --bounding-set="-all,$caps" -- $exec_start 0 \
    > "$tmp/out" 2> "$tmp/log" &
server_pid=$!
if wait_listening; then
	# Confined to the directory, as the fileserver user.
	[ "$(readlink "/proc/$server_pid/root")" = /srv/fileserver ] ||
	    bad "not chrooted: $(readlink "/proc/$server_pid/root")"
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$server_pid/status")" = \
	    "$uid" ] || bad "not running as fileserver"
	(cd "$tmp" && fileclient -q -t 10 127.0.0.1 "$port" get down.bin) ||
	    bad "get failed"
	cmp -s /srv/fileserver/down.bin "$tmp/down.bin" || bad "get differs"
	fileclient -q -t 10 127.0.0.1 "$port" put "$tmp/up.bin" up.bin ||
	    bad "put failed"
	cmp -s "$tmp/up.bin" /srv/fileserver/up.bin || bad "put differs"
	[ "$(stat -c %U /srv/fileserver/up.bin 2>&1)" = fileserver ] ||
	    bad "upload owned by $(stat -c %U /srv/fileserver/up.bin 2>&1)"
	stop_server
	[ "$status" -eq 0 ] || bad "server exit status $status"
else
	bad "installed server did not listen:"; cat "$tmp/out" "$tmp/log"
	kill -KILL "$server_pid" 2> /dev/null
	wait "$server_pid"
	server_pid=""
fi

# The TLS identity postinst made, as openssh-server makes its host keys:
# root's key (the server reads it before it drops to fileserver), shown
# at install, the one `fileserver --fingerprint` names and openssl sees,
# and the one the installed server presents with --tls.
key=/var/lib/fileserver/tls-key.pem
[ "$(stat -c %U:%a "$key" 2>&1)" = root:600 ] ||
    bad "TLS key: $(stat -c %U:%a "$key" 2>&1)"
fp=$(fileserver --fingerprint) || bad "fileserver --fingerprint failed"
grep -q "fileserver: made the TLS key $fp" "$tmp/install.out" ||
    bad "dpkg -i did not show the TLS key $fp"
[ "$fp" = "SHA256:$(openssl x509 -in /var/lib/fileserver/tls-cert.pem \
    -noout -pubkey | openssl pkey -pubin -outform DER |
    openssl dgst -sha256 -binary | openssl base64 -A | tr -d =)" ] ||
    bad "fingerprint $fp is not the certificate's"
# shellcheck disable=SC2086 # ExecStart's words
setpriv --no-new-privs --bounding-set="-all,$caps" -- $exec_start --tls 0 \
    > "$tmp/out" 2> "$tmp/log" &
server_pid=$!
if wait_listening; then
	grep -q "TLS 1.3, key $fp" "$tmp/log" || bad "TLS server: not $fp"
	(cd "$tmp" && rm -f down.bin && XDG_DATA_HOME="$tmp/data" \
	    fileclient --tls --host-key "$fp" -q -t 10 127.0.0.1 "$port" \
	    get down.bin) || bad "get over TLS failed"
	cmp -s /srv/fileserver/down.bin "$tmp/down.bin" ||
	    bad "get over TLS differs"
	stop_server
else
	bad "installed server did not listen with --tls:"
	cat "$tmp/out" "$tmp/log"
	kill -KILL "$server_pid" 2> /dev/null
	wait "$server_pid"
	server_pid=""
fi
# Configured again (an upgrade, a reinstall): the key is kept.
dpkg_do -i "$deb" || bad "dpkg -i over the installed package"
[ "$(fileserver --fingerprint)" = "$fp" ] || bad "reinstall changed the key"

# Purged: nothing of it left.
rm -f /srv/fileserver/down.bin /srv/fileserver/up.bin
files=$(dpkg-query -L fileserver | while read -r f; do
	[ -d "$f" ] || echo "$f"
done)
dpkg_do --purge fileserver || bad "dpkg --purge"
for f in $files /srv/fileserver; do
	[ -e "$f" ] && bad "left after purge: $f"
done
ls /var/lib/dpkg/info/fileserver.* > /dev/null 2>&1 &&
    bad "dpkg still knows fileserver"
getent passwd fileserver > /dev/null && bad "user left after purge"
getent group fileserver > /dev/null && bad "group left after purge"
[ -e /var/lib/fileserver ] && bad "left after purge: /var/lib/fileserver"
left=$(find /etc /var/lib/systemd -name '*fileserver*' 2> /dev/null)
[ -n "$left" ] && bad "left after purge: $left"

# Once more, with a served file left: purge keeps it and its owner.
dpkg_do -i "$deb" || bad "second dpkg -i"
echo data > /srv/fileserver/kept
chown fileserver:fileserver /srv/fileserver/kept
dpkg_do --purge fileserver || bad "second dpkg --purge"
[ -f /srv/fileserver/kept ] || bad "purge removed a served file"
getent passwd fileserver > /dev/null ||
    bad "purge removed the owner of a served file"
# (cleanup removes them.)

cd "$top" || exit 1
[ "$fail" -eq 0 ] && echo "package: ok"
exit "$fail"
