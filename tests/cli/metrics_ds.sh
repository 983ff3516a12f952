#!/bin/sh
# The GC charts' downsampling: GET /api/v1/metrics?width=W over a week of
# 15 s scrapes of two targets answers at most 4W points a series, each a
# stored one, and per bucket the first, last, lowest and highest stored
# point, as computed from the raw answer (tests/cli/metrics_ds.py).
#
#   tests/cli/metrics_ds.sh BUILD_DIR
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/metrics_ds.sh BUILD_DIR}
H=$PWD/$build/hearth
tmp=$(mktemp -d)
spid=""
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() {
	echo "FAIL $*"
	echo "0 passed, 1 failed"
	exit 1
}
TOKEN=$("$H" token create -data="$tmp/data" -tenant=ds -scope=read 2>"$tmp/tok.err" | tail -n 1)
[ -n "$TOKEN" ] || fail "hearth token create: $(cat "$tmp/tok.err")"
TID=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select id from tenants where name=?", ("ds",)).fetchone()[0])' "$tmp/data/hearth.db") ||
	fail "no tenant ds in the store"
NOW=$(($(date +%s) * 1000000000))
python3 tests/cli/metrics_ds.py fill "$tmp/data/hearth.db" "$TID" gcweek "$NOW" || fail "filling the store"
"$H" serve -listen=127.0.0.1:0 -data="$tmp/data" >"$tmp/serve.out" 2>"$tmp/serve.err" &
spid=$!
n=0
while ! grep -q "^Serving hearth on http://" "$tmp/serve.out" && kill -0 "$spid" 2>/dev/null && [ $n -lt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
URL=$(sed -n 's|^Serving hearth on \(http://[^/]*\)/$|\1|p' "$tmp/serve.out")
[ -n "$URL" ] || fail "hearth serve did not start: $(cat "$tmp/serve.err")"
python3 tests/cli/metrics_ds.py check "$URL" "$TOKEN" gcweek "$NOW"
