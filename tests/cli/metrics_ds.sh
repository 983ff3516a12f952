#!/bin/sh
# The GC charts' downsampling: GET /api/v1/metrics?width=W over a week of
# 15 s scrapes of two targets answers at most 4W points a series, each a
# stored one, and per bucket the first, last, lowest and highest stored
# point, as computed from the raw answer (tests/cli/metrics_ds.py); on the
# SQLite store, and on PostgreSQL (Debian's, a cluster of its own,
# tests/cli/pg.inc) when it can be started.
#
#   tests/cli/metrics_ds.sh BUILD_DIR
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/metrics_ds.sh BUILD_DIR}
H=$PWD/$build/hearth
. tests/cli/pg.inc
tmp=$(mktemp -d)
spid=""
stop_serve() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	spid=""
}
cleanup() {
	stop_serve
	pg_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
pass=0
fail=0
# run STORE DATA_FLAG: fills the store, starts hearth serve on it, checks.
run() {
	store=$1
	TOKEN=$("$H" token create -data="$store" -tenant=ds -scope=read 2>"$tmp/tok.err" | tail -n 1)
	if [ -z "$TOKEN" ]; then
		echo "FAIL hearth token create on $store: $(cat "$tmp/tok.err")"
		fail=$((fail + 1))
		return
	fi
	case $store in
	postgres://*)
		TID=$(PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -At "$store" -c "select id from tenants where name='ds'")
		db=$store
		;;
	*)
		TID=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select id from tenants where name=?", ("ds",)).fetchone()[0])' "$store/hearth.db")
		db=$store/hearth.db
		;;
	esac
	NOW=$(($(date +%s) * 1000000000))
	if [ -z "$TID" ] || ! PSQL=${PG_BIN:-}/psql python3 tests/cli/metrics_ds.py fill "$db" "$TID" gcweek "$NOW"; then
		echo "FAIL filling $store (tenant id '$TID')"
		fail=$((fail + 1))
		return
	fi
	: >"$tmp/serve.out"
	case $store in
	postgres://*) "$H" serve -listen=127.0.0.1:0 -data="$tmp/pgdata" -store="$store" >"$tmp/serve.out" 2>"$tmp/serve.err" & ;;
	*) "$H" serve -listen=127.0.0.1:0 -data="$store" >"$tmp/serve.out" 2>"$tmp/serve.err" & ;;
	esac
	spid=$!
	n=0
	while ! grep -q "^Serving hearth on http://" "$tmp/serve.out" && kill -0 "$spid" 2>/dev/null && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	URL=$(sed -n 's|^Serving hearth on \(http://[^/]*\)/$|\1|p' "$tmp/serve.out")
	if [ -z "$URL" ]; then
		echo "FAIL hearth serve on $store did not start: $(tail -n 3 "$tmp/serve.err")"
		fail=$((fail + 1))
		stop_serve
		return
	fi
	python3 tests/cli/metrics_ds.py check "$URL" "$TOKEN" gcweek "$NOW" >"$tmp/check.out" 2>&1
	awk -v t="$2" '/^[0-9]+ passed, [0-9]+ failed$/ { next }
		{ sub(/^ok   /, "ok   [" t "] "); sub(/^FAIL /, "FAIL [" t "] "); print }' "$tmp/check.out"
	last=$(tail -n 1 "$tmp/check.out")
	p=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-1}))
	stop_serve
}
run "$tmp/data" sqlite
if pg_start && pg_createdb hds; then
	run "$PG_URL/hds" postgres
else
	echo "SKIP PostgreSQL: ${PG_WHY:-createdb failed}"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
