#!/bin/sh
# scripts/house-check against small made-up trees: a clean one passes, and
# each rule, broken once, fails naming its offender.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
check="$top/scripts/house-check"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# A tree that keeps every rule: three folders, each file in the Layout.
make_clean_tree() {
	rm -rf "$tmp/t"
	mkdir -p "$tmp/t/protocol" "$tmp/t/server" "$tmp/t/client"
	printf '#include "a.h"\n\nint\na(void)\n{\n\treturn 0;\n}\n' \
	    > "$tmp/t/protocol/a.c"
	printf 'int a(void);\n' > "$tmp/t/protocol/a.h"
	printf '#include "a.h"\n#include "b.h"\n' > "$tmp/t/server/b.c"
	printf '#include "a.h"\n' > "$tmp/t/server/b.h"
	printf '#include "b.h"\n' > "$tmp/t/client/b.c"
	printf '.TH C 1\n' > "$tmp/t/client/c.1"
	printf '# t\n\n## Layout\n\n| `a.c` | `b.c` | `c.1` |\n\n## Next\n\n`x.c`\n' \
	    > "$tmp/t/README.md"
}

# expect_fail WHAT PATTERN: the check fails and prints PATTERN.
expect_fail() {
	if out=$("$check" "$tmp/t"); then
		fail "$1: passed"
	elif ! printf '%s\n' "$out" | grep -q -- "$2"; then
		fail "$1: no line matching '$2' in: $out"
	fi
}

make_clean_tree
out=$("$check" "$tmp/t") || fail "clean tree: $out"

# client/x.c includes its own folder's b.h, not server/b.h, which
# includes x.h: client/x and server/b are two modules, no cycle.
make_clean_tree
printf '#include "b.h"\n' > "$tmp/t/client/x.c"
printf '#include "x.h"\n' >> "$tmp/t/server/b.c"
printf 'int x;\n' > "$tmp/t/client/x.h"
printf 'int b;\n' > "$tmp/t/client/b.h"
sed -i 's/| `c.1` |/| `c.1` | `x.c` |/' "$tmp/t/README.md"
out=$("$check" "$tmp/t") || fail "same-named modules: $out"

make_clean_tree
printf '#include "b.h"\n' >> "$tmp/t/client/b.c"
printf '#include "d.h"\n' > "$tmp/t/client/b.h"
printf '#include "b.h"\n' > "$tmp/t/client/d.h"
printf '`d.h`\n' >> "$tmp/t/README.md"
sed -i 's/| `c.1` |/| `c.1` | `d.h` |/' "$tmp/t/README.md"
expect_fail "cycle" "include cycle: client/b -> client/d -> client/b"

make_clean_tree
seq 651 | sed 's/^/\/\/ /' > "$tmp/t/server/b.c"
expect_fail "long file" "server/b.c: 651 lines"

make_clean_tree
{
	printf 'static int\nlong_one(int x)\n{\n'
	seq 79 | sed 's/.*/\tx++;/'
	printf '}\n'
} >> "$tmp/t/protocol/a.c"
expect_fail "long function" "protocol/a.c:9: long_one is 82 lines"

# The allow-list names server/config.c's config_parse.
make_clean_tree
{
	printf 'int\nconfig_parse(int x)\n{\n'
	seq 100 | sed 's/.*/\tx++;/'
	printf '}\n'
} > "$tmp/t/server/config.c"
sed -i 's/| `c.1` |/| `c.1` | `config.c` |/' "$tmp/t/README.md"
out=$("$check" "$tmp/t") || fail "allowed long function: $out"

make_clean_tree
printf 'x\n' > "$tmp/t/server/e.c"
expect_fail "unnamed file" "README.md Layout: server/e.c not named"

[ "$failures" -eq 0 ] && echo "house-check: every case as expected"
[ "$failures" -eq 0 ]
