#!/bin/sh
# testssl.sh (Debian's testssl, a scanner no one here wrote) against
# `server --tls` on loopback: it must find no protocol below TLS 1.3
# offered, TLS 1.3 offered, and no finding of severity HIGH or CRITICAL.
# Its flat JSON findings are read with jq.
#
# Bounded and offline: only the protocol check (-p) and the
# vulnerabilities (-U) run, against 127.0.0.1 with no DNS lookup
# (--nodns none, and NXCONNECT, the address testssl probes its own
# openssl with, set to loopback instead of the name "invalid."); the
# cipher-by-cipher (-e), client simulation (-c) and HTTP header checks,
# which take minutes and add nothing for a server with three suites, are
# not run.  The certificate checks (-S) are not either: testssl 3.0
# cannot retrieve an Ed25519 certificate (it says "Client problem"), and
# the server's identity is pinned, not trusted by a chain (test_tls.sh).
# The whole run is under a timeout.  Needs SERVER_BIN and CLIENT_BIN
# (lib.sh), testssl and jq (scripts/setup, "test").
set -u

. "$(dirname "$0")/lib.sh"

for tool in testssl jq; do
	command -v "$tool" > /dev/null ||
	    { echo "$tool is missing: run scripts/setup test"; exit 1; }
done

# -t 2: testssl's service probe waits for an HTTP answer that never
# comes; the server closes a session whose greeting is not acknowledged.
start_server -t 2 --tls --state "$top/state"
json="$top/testssl.json"
NXCONNECT=127.0.0.1:0 timeout 600 testssl --quiet --color 0 --nodns none \
    --warnings batch --connect-timeout 10 --openssl-timeout 10 \
    --protocols --vulnerable --jsonfile "$json" "127.0.0.1:$port" \
    > "$top/testssl.out" 2>&1
echo "testssl: exit $?, $(jq length "$json" 2>/dev/null) findings"

# finding ID: what testssl found for this ID (empty when none).
finding() {
	jq -r --arg id "$1" '.[] | select(.id == $id) | .finding' "$json" 2>/dev/null
}

check "testssl: JSON written" jq -e 'length > 0' "$json" > /dev/null
scan_seconds=$(finding scanTime)
check "testssl: the scan ran to its end ($scan_seconds s)" \
    expr "$scan_seconds" : '[0-9][0-9]*$' > /dev/null
check "testssl: TLS 1.3 offered" [ "$(finding TLS1_3)" = "offered with final" ]
for proto in SSLv2 SSLv3 TLS1 TLS1_1 TLS1_2; do
	check "testssl: $proto not offered" \
	    [ "$(finding "$proto")" = "not offered" ]
done
for vuln in heartbleed CCS ROBOT secure_client_renego CRIME_TLS; do
	check "testssl: $vuln tested" [ -n "$(finding "$vuln")" ]
done
high=$(jq -r '.[] | select(.severity == "HIGH" or .severity == "CRITICAL") |
    "\(.severity) \(.id): \(.finding)"' "$json")
check "testssl: no finding HIGH or CRITICAL${high:+: $high}" [ -z "$high" ]

if [ "$failed" -ne 0 ]; then
	echo "testssl's report:"
	cat "$top/testssl.out"
fi
echo "testssl: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
