#!/bin/sh
# clients/go (ppclient) in a real program (tests/subjects/goclient), built
# with Go 1.19 (Debian's /usr/bin/go) and with the newest Go on PATH:
#
# - pushing to a real `hearth serve` through Pyroscope's /ingest while hey
#   keeps it busy: every profile type arrives (cpu, heap, allocs, goroutine,
#   mutex, block), with the service and labels it was given, and the server
#   stores exactly as many profiles as the client says it uploaded;
# - pointed at a dead server: the program keeps answering every request,
#   stops cleanly, and the client's counts add up (all failed or dropped).
#
#   tests/cli/goclient.sh BUILD_DIR      (HEARTH_SERVE: another binary for serve)
#
# Needs go and hey (skipped without them).  Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/goclient.sh BUILD_DIR}
H=$PWD/$build/hearth
HS=${HEARTH_SERVE:-$H}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "     $l"; done; }

if ! command -v go >/dev/null 2>&1 || ! command -v hey >/dev/null 2>&1 || ! "$HS" serve -h >/dev/null 2>&1; then
	echo "SKIP: needs go, hey and hearth serve"
	echo "$pass passed, $fail failed"
	exit 0
fi
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$HS" serve -listen=127.0.0.1:0 -data="$tmp/data" >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!
pids="$pids $!"
n=0
while ! grep -q "^Serving hearth on" "$tmp/serve.out" && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
URL=$(sed -n 's|^Serving hearth on \(http://[^/]*\)/$|\1|p' "$tmp/serve.out")
TOKEN=$("$HS" token create -data="$tmp/data" -tenant=goclient | tail -n 1)

gos="/usr/local/go/bin/go"
[ -x /usr/bin/go ] && gos="/usr/bin/go $gos"
for g in $gos; do
	v=$("$g" env GOVERSION 2>/dev/null || "$g" version | awk '{print $3}')
	bin=$tmp/goclient-$v
	if ! (cd tests/subjects/goclient && GOFLAGS=-mod=mod "$g" build -o "$bin" .) >"$tmp/build.log" 2>&1; then
		bad "$v: go build tests/subjects/goclient" "$(tail -n 5 "$tmp/build.log")"
		continue
	fi
	ok "$v: clients/go builds (standard library only)"

	# A live server.
	svc=goclient-$(echo "$v" | tr -c 'a-z0-9\n' '-')
	rm -f "$tmp/addr"
	"$bin" -server="$URL" -token="$TOKEN" -service="$svc" -addr_file="$tmp/addr" >"$tmp/out" 2>&1 &
	p=$!
	pids="$pids $p"
	n=0
	while [ ! -s "$tmp/addr" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	hey -z 5s -c 2 "http://$(cat "$tmp/addr")/work" >/dev/null 2>&1
	kill "$p"
	wait "$p"
	stats=$(grep '^stats ' "$tmp/out")
	up=$(echo "$stats" | sed -n 's/.*uploaded=\([0-9]*\).*/\1/p')
	fl=$(echo "$stats" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
	# What the server answered 200 for is stored; an upload that Stop
	# cancelled may be stored too (the client counts it failed).  The
	# list is asked again for a few seconds: it may lag the last pushes.
	n=0
	while :; do
		curl -s -H "Authorization: Bearer $TOKEN" \
			"$URL/api/v1/profiles?query=%7Bservice%3D%22$svc%22%7D&from=-1h&until=now&limit=1000" >"$tmp/p.json"
		python3 - "$tmp/p.json" "${up:-x}" "${fl:-x}" <<'PY' >"$tmp/check" 2>&1
import json, sys
ps = json.load(open(sys.argv[1]))["profiles"]
types = sorted(set(p["type"] for p in ps))
want = ["allocs", "block", "cpu", "goroutine", "heap", "mutex"]
labels_ok = all(p["labels"].get("env") == "test" and p["labels"].get("go") == "v" for p in ps)
count = {}
for p in ps:
    count[p["type"]] = count.get(p["type"], 0) + 1
up, fl = int(sys.argv[2]), int(sys.argv[3])
print("stored %d (%s), client uploaded %d (and %d failed), labels %s" % (len(ps), ",".join("%s:%d" % (t, count[t]) for t in types), up, fl, labels_ok))
sys.exit(0 if types == want and up <= len(ps) <= up + fl and labels_ok else 1)
PY
		st=$?
		[ $st -eq 0 ] || [ $n -ge 10 ] && break
		sleep 0.5
		n=$((n + 1))
	done
	[ $n -gt 0 ] && echo "     (the profile list caught up after $n retries)"
	[ $st -eq 0 ]
	if [ $? -eq 0 ]; then
		ok "$v: every type pushed, every upload stored ($(cat "$tmp/check"))"
	else
		bad "$v: pushed to hearth serve" "$(cat "$tmp/check")" "$stats"
	fi

	# A dead server.
	rm -f "$tmp/addr"
	"$bin" -server=http://127.0.0.1:1 -token=x -addr_file="$tmp/addr" >"$tmp/out" 2>&1 &
	p=$!
	pids="$pids $p"
	n=0
	while [ ! -s "$tmp/addr" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	hey -z 4s -c 2 "http://$(cat "$tmp/addr")/work" >"$tmp/hey" 2>&1
	kill "$p"
	wait "$p"
	st=$?
	stats=$(grep '^stats ' "$tmp/out")
	eval "$(echo "$stats" | sed 's/^stats //')"
	errs=$(grep -c -E '^\s+\[[0-9]+\]' "$tmp/hey")
	if [ $st -eq 0 ] && [ "${uploaded:-1}" -eq 0 ] && [ "${failed:-0}" -gt 0 ] &&
		[ $((failed + dropped)) -eq "$collected" ] && [ "$errs" -eq 1 ] && grep -q '\[200\]' "$tmp/hey"; then
		ok "$v: dead server: every request answered 200, clean stop, $failed uploads failed, none stuck"
	else
		bad "$v: dead server" "exit $st; $stats" "$(grep -A3 'Status code' "$tmp/hey")"
	fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
