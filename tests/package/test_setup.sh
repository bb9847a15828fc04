#!/bin/sh
# The set-up split (issue 15): what `make run` would install on a fresh
# machine is what building and running need and no test tool; the test
# targets install the rest; set-up does nothing when all is there; and a
# tree with no test library builds the programs (and says, in one line,
# which package the tests need).  Run from the top of the tree.
set -u
top=$(pwd)
tmp=$(mktemp -d /tmp/fs-setup.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# Not the calling make's jobs or flags.
unset MAKEFLAGS MFLAGS MAKELEVEL
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

# The set-up command each target runs, as make would run it.
setup_of() {
	make -n --no-print-directory "$1" 2>/dev/null |
	    grep '^\./scripts/setup' | head -1
}
run_cmd=$(setup_of run)
check_cmd=$(setup_of check)
[ "$run_cmd" = "./scripts/setup" ] || bad "make run sets up with '$run_cmd'"
[ "$check_cmd" = "./scripts/setup test" ] ||
    bad "make check sets up with '$check_cmd'"

# A fresh machine: no probe is found below a root that does not exist.
# shellcheck disable=SC2086 # the arguments make gives it, split
fresh_run=$(SETUP_ROOT=/nonexistent ./scripts/setup --dry-run \
    ${run_cmd#./scripts/setup} | sort)
# shellcheck disable=SC2086
fresh_test=$(SETUP_ROOT=/nonexistent ./scripts/setup --dry-run \
    ${check_cmd#./scripts/setup} | sort)
echo "make run, on a fresh machine, would install:" $fresh_run
echo "make check would install besides:" \
    $(echo "$fresh_test" | grep -vxF "$fresh_run")

# What running needs is what the package needs to build: debian/control's
# Build-Depends (less debhelper) and a compiler.  So a test tool cannot
# slip into the run list, nor a new library miss the package.
build_deps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control |
    sed 's/^Build-Depends://; /^[A-Z]/d' | tr ',' '\n' |
    sed 's/(.*)//; s/[[:space:]]//g' | grep -v '^debhelper-compat$' |
    grep -v '^$')
want_run=$(printf '%s\ngcc\n' "$build_deps" | sort)
[ "$fresh_run" = "$want_run" ] ||
    bad "run list '$fresh_run' is not Build-Depends + gcc '$want_run'"
for tool in check clang libclang-rt-14-dev cppcheck clang-tidy valgrind \
    debhelper lintian mandoc systemd; do
	echo "$fresh_run" | grep -qxF "$tool" &&
	    bad "make run would install the test tool $tool"
	echo "$fresh_test" | grep -qxF "$tool" ||
	    bad "make check would not install $tool"
done

# Nothing to do once all is installed (make check has just set up).
left=$(./scripts/setup --dry-run test)
[ -z "$left" ] || bad "set-up is not a no-op: it would install $left"

# A machine without Check: a pkg-config that cannot see check.pc.
cat > "$tmp/pkg-config" <<'EOF'
#!/bin/sh
for a; do [ "$a" = check ] && exit 1; done
exec pkg-config "$@"
EOF
chmod +x "$tmp/pkg-config"
# The programs build from a dist tarball (no git there: VERSION file).
version=$(./scripts/version)
make -s --no-print-directory dist > /dev/null ||
    bad "make dist failed"
tar -C "$tmp" -xzf "build/fileserver-$version.tar.gz" ||
    bad "no dist tarball"
src="$tmp/fileserver-$version"
# (and the benchmark's tools, which `make bench` builds after the run
# list's set-up).
if make -s -C "$src" -j2 PKG_CONFIG="$tmp/pkg-config" all \
    build/rel/tests/bench/ceiling build/rel/tests/bench/loadgen \
    > "$tmp/out" 2>&1
then
	[ "$("$src/bin/server" -V)" = "server $version" ] ||
	    bad "the tarball's server -V: $("$src/bin/server" -V)"
	[ "$("$src/bin/client" -V)" = "client $version" ] ||
	    bad "the tarball's client -V: $("$src/bin/client" -V)"
else
	bad "make without Check failed:"; cat "$tmp/out"
fi
# The tests need it, and say so in one line that names the package (one
# test object shows it, without building the rest first).
if make -s -C "$src" build/rel/tests/protocol/check_packet.o \
    PKG_CONFIG="$tmp/pkg-config" > "$tmp/out" 2>&1; then
	bad "the tests built without Check"
else
	grep -v '^  ' "$tmp/out" > "$tmp/err"
	[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q 'install check' \
	    "$tmp/err" || { bad "without Check:"; cat "$tmp/err"; }
fi
cd "$top" || exit 1

[ "$fail" -eq 0 ] && echo "set-up: ok"
exit "$fail"
