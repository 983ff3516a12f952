#!/bin/sh
# End-to-end tests of what hearth serve -scrape shows in its UI (issue 10,
# items 3 and 5), in headless Chromium (tests/e2e/scrape.js):
#
#   - a real Go program (tests/subjects/netsubject, under hey load when hey
#     is there) and a dead address are scraped every second by
#     `hearth serve -scrape` into the tenant acme; once gc_count has a few
#     points, the page shows the GC charts over a fixed window, and every
#     point each chart plots (GC rate, pause quantiles, GC CPU share, heap
#     and goal) equals what GET /api/v1/metrics answers for that window
#     (the rate: the slope of gc_count between two scrapes, computed here);
#   - the targets page shows the rows of the /api/v1/targets answer the
#     page got, the program up, the dead address down with its error;
#     another tenant gets 404 there and no Targets button.
#
#   tests/cli/e2e_scrape.sh BUILD_DIR
#
# Needs node, Debian's chromium, curl, go and tests/e2e/node_modules;
# SKIPs (0 passed, 0 failed) without them.  Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/e2e_scrape.sh BUILD_DIR}
hearth=$build/hearth
chromium=${CHROMIUM:-/usr/bin/chromium}
export TZ=UTC

for c in node curl go; do
	if ! command -v $c >/dev/null 2>&1; then
		echo "SKIP: e2e_scrape needs $c"
		echo "0 passed, 0 failed"
		exit 0
	fi
done
if [ ! -x "$chromium" ]; then
	echo "SKIP: e2e_scrape needs $chromium"
	echo "0 passed, 0 failed"
	exit 0
fi
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
	npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error >/dev/null 2>&1 || {
		echo "FAIL: tests/e2e/node_modules missing and npm ci failed (run make deps)"
		echo "0 passed, 1 failed"
		exit 1
	}
fi

tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() {
	echo "FAIL: $*"
	[ -f "$tmp/serve.err" ] && sed 's/^/  serve: /' "$tmp/serve.err" | tail -n 20
	echo "0 passed, 1 failed"
	exit 1
}

(cd tests/subjects/netsubject && go build -o "$tmp/netsubject" .) >"$tmp/build.log" 2>&1 ||
	fail "go build tests/subjects/netsubject: $(tail -n 5 "$tmp/build.log")"
"$tmp/netsubject" -addr_file "$tmp/addr" -parked 5 >/dev/null 2>&1 &
pids="$pids $!"
n=0
while [ ! -s "$tmp/addr" ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
[ -s "$tmp/addr" ] || fail "netsubject did not start"
A=$(cat "$tmp/addr")
if command -v hey >/dev/null 2>&1; then
	hey -z 90s -c 1 -q 40 "http://$A/work" >/dev/null 2>&1 &
	pids="$pids $!"
fi
# A port nobody listens on: bound and closed again, so connections are refused.
dead=127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/scrape.yaml" <<YAML
scrape_configs:
  - job_name: gcjob
    scrape_interval: 1s
    profiling_config:
      pprof_config:
        cpu: {enabled: false}
        allocs: {enabled: false}
        block: {enabled: false}
        mutex: {enabled: false}
        goroutine: {enabled: false}
        threadcreate: {enabled: false}
    static_configs:
      - targets: ['$A']
        labels: {env: e2e}
      - targets: ['$dead']
        labels: {env: gone}
YAML
mkdir -p "$tmp/data"
t0=$(date +%s)
"$hearth" serve -listen=127.0.0.1:0 -data="$tmp/data" -scrape="$tmp/scrape.yaml" -scrape_tenant=acme \
	>"$tmp/serve.out" 2>"$tmp/serve.err" &
pids="$pids $!"
url=
n=0
while [ -z "$url" ] && [ $n -lt 300 ]; do
	url=$(sed -n 's|^Serving hearth on \(http://[^/]*\)/$|\1|p' "$tmp/serve.out")
	sleep 0.1
	n=$((n + 1))
done
[ -n "$url" ] || fail "hearth serve did not say where it serves"
tok=$("$hearth" token create -data="$tmp/data" -tenant=acme -scope=read 2>>"$tmp/token.err" | tail -n 1)
other=$("$hearth" token create -data="$tmp/data" -tenant=other -scope=read,push 2>>"$tmp/token.err" | tail -n 1)
[ -n "$tok" ] && [ -n "$other" ] || fail "hearth token create: $(cat "$tmp/token.err")"
# At least six scrapes of the MemStats stored (up to 40 s).
n=0
got=0
while [ $n -lt 160 ]; do
	got=$(curl -s -H "Authorization: Bearer $tok" "$url/api/v1/metrics?service=gcjob&name=gc_count&from=$((t0 - 60))&until=now" |
		python3 -c 'import json,sys; print(sum(len(s["points"]) for s in json.load(sys.stdin)["series"]))' 2>/dev/null)
	[ "${got:-0}" -ge 6 ] && break
	sleep 0.25
	n=$((n + 1))
done
[ "${got:-0}" -ge 6 ] || fail "only ${got:-0} gc_count points stored after 40 s"

mkdir -p "$build/test-logs/e2e-scrape"
E2E_URL=$url E2E_TOKEN=$tok E2E_OTHER_TOKEN=$other E2E_FROM=$((t0 - 60)) E2E_UNTIL=$(($(date +%s) + 1)) \
	E2E_UP=$A E2E_DEAD=$dead E2E_SHOTS=$build/test-logs/e2e-scrape CHROMIUM=$chromium \
	node tests/e2e/scrape.js >"$tmp/e2e.log" 2>&1
rc=$?
cat "$tmp/e2e.log"
if ! tail -n 1 "$tmp/e2e.log" | grep -q '^[0-9]* passed, [0-9]* failed$'; then
	echo "FAIL: scrape.js ended without its count (exit $rc)"
	echo "0 passed, 1 failed"
	exit 1
fi
exit $rc
