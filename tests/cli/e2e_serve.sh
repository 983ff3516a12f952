#!/bin/sh
# End-to-end tests of hearth serve's UI in a browser (issue 9): starts the
# real `hearth serve` on a free loopback port with a fresh data directory,
# makes tokens with `hearth token create`, pushes real CPU profiles
# (../shared/corpus's leaky.series.NN, ten 1-second profiles, or
# tests/data's when ../shared is missing), their time rewritten to spread them
# over the last hour (tests/cli/retime.py), with curl, and runs tests/e2e/serve.js (playwright-core driving Debian's
# headless chromium):
#
#   - without a token nothing is shown: the login form only, no data request
#     succeeds, a bad token is refused;
#   - log in, pick a service, brush a range of the timeline: the top table and
#     the flame graph's total equal `hearth top` of exactly the files pushed
#     in that range (and the CLI's server source, when it has one);
#   - the label selector (completion, a selector that narrows), the other
#     views (graph, source, peek, sandwich), Back and Forward;
#   - compare: red and green in the flame graph and the table;
#   - the profiles of the range: one opens (its top equals hearth top of its
#     file) and downloads (the same profile);
#   - live refresh picks up a new push; tokens: create, revoke; log out;
#   - on a second server with -signup=open, the login form creates a tenant.
#
# Screenshots of every view go to BUILD_DIR/test-logs/e2e-serve/.
#
#   tests/cli/e2e_serve.sh BUILD_DIR
#
# Needs node, Debian's chromium, curl and tests/e2e/node_modules (`make deps`);
# SKIPs (0 passed, 0 failed) without node, chromium or curl, or when this
# hearth has no `serve` command yet.  Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/e2e_serve.sh BUILD_DIR}
hearth=$build/hearth
chromium=${CHROMIUM:-/usr/bin/chromium}
export TZ=UTC

if ! command -v node >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 ||
	! command -v python3 >/dev/null 2>&1 || [ ! -x "$chromium" ]; then
	echo "SKIP: e2e_serve needs node, curl, python3 and $chromium"
	echo "0 passed, 0 failed"
	exit 0
fi
if ! "$hearth" serve -help 2>&1 | grep -q -- '-data'; then
	echo "SKIP: this hearth has no serve command"
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
running() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in '' | Z*) return 1 ;; esac
	return 0
}
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	i=0
	while [ $i -lt 50 ]; do
		left=
		for p in $pids; do running "$p" && left="$left $p"; done
		[ -z "$left" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	for p in $left; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() {
	echo "FAIL: $*"
	[ -f "$tmp/serve.err" ] && sed 's/^/  serve: /' "$tmp/serve.err" | tail -n 20
	echo "0 passed, 1 failed"
	exit 1
}

# serve NAME ARGS...: starts hearth serve ARGS, sets $url and adds to $pids.
url=
serve() {
	name=$1
	shift
	"$hearth" serve -listen=127.0.0.1:0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	p=$!
	pids="$pids $p"
	url=
	i=0
	while [ $i -lt 300 ]; do
		url=$(grep -o 'http://[^ ]*' "$tmp/$name.out" 2>/dev/null | head -n 1 | sed 's,/$,,')
		[ -n "$url" ] && return 0
		running "$p" || break
		sleep 0.1
		i=$((i + 1))
	done
	fail "hearth serve $* did not say where it serves: $(cat "$tmp/$name.err")"
}
data=$tmp/data
mkdir -p "$data" "$tmp/open"
# a public instance, for the signup of the login form
serve open -data="$tmp/open" -signup=open
open_url=$url
serve serve -data="$data"

token() { "$hearth" token create -data="$data" "$@" 2>>"$tmp/token.err" | tail -n 1; }
tok=$(token -tenant=acme -scope=push,read,admin -description=e2e)
other=$(token -tenant=other -scope=push,read)
[ -n "$tok" ] && [ -n "$other" ] || fail "hearth token create gave no token: $(cat "$tmp/token.err")"

# The profiles: ten CPU profiles of service api, five minutes apart over the
# last hour (env alternating), two of service db, one of another tenant.
corpus=../shared/corpus
if [ -f "$corpus/leaky.series.10.cpu.pb.gz" ]; then
	series=$(for n in 01 02 03 04 05 06 07 08 09 10; do echo "$corpus/leaky.series.$n.cpu.pb.gz"; done)
	dbfile=$corpus/searchsvc.cpu.pb.gz
	late=$corpus/leaky.series.05.cpu.pb.gz
else
	series=$(for n in 1 2 3 4 5; do echo tests/data/leaky.series.01.cpu.pb.gz tests/data/leaky.series.02.cpu.pb.gz; done | tr ' ' '\n')
	dbfile=tests/data/leaky.cpu.pb.gz
	late=tests/data/leaky.series.01.cpu.pb.gz
fi
now=$(date +%s)
: >"$tmp/pushed.tsv"
# push FILE SERVICE LABELS TIME TOKEN: pushes a copy of FILE whose time is
# TIME (the server files a profile under its own time, tests/cli/retime.py)
# and records "time service labels copy id original".
n=0
push() {
	n=$((n + 1))
	copy=$tmp/p$n.pb.gz
	python3 tests/cli/retime.py "$1" "$copy" "$4" || fail "retime.py $1"
	code=$(curl -s -o "$tmp/push.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $5" \
		--data-binary "@$copy" "$url/api/v1/push?service=$2&labels=$3")
	[ "$code" = 200 ] || fail "push of $1 ($2 $3 at $4): HTTP $code $(cat "$tmp/push.out")"
	id=$(sed -n 's/.*"id": *"\{0,1\}\([0-9A-Za-z_-]*\).*/\1/p' "$tmp/push.out")
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$4" "$2" "$3" "$copy" "$id" "$1" >>"$tmp/pushed.tsv"
}
k=0
for f in $series; do
	t=$((now - 3300 + k * 300))
	if [ $((k % 2)) = 0 ]; then env=prod; else env=dev; fi
	push "$f" api "env=$env" "$t" "$tok"
	k=$((k + 1))
done
# the same heap profile twice in one series: an average of snapshots is it
push tests/data/leaky.heap.pb.gz api env=prod $((now - 2000)) "$tok"
push tests/data/leaky.heap.pb.gz api env=prod $((now - 1000)) "$tok"
push "$dbfile" db env=prod $((now - 1500)) "$tok"
push "$dbfile" db env=prod $((now - 900)) "$tok"
push tests/data/leaky.cpu.pb.gz secret "env=prod" $((now - 600)) "$other"

# pushed by the live refresh test while the page shows the last hour
python3 tests/cli/retime.py "$late" "$tmp/late.pb.gz" $((now - 60)) || fail "retime.py $late"

mkdir -p "$build/test-logs/e2e-serve"
HEARTH=$hearth E2E_URL=$url E2E_OPEN_URL=$open_url E2E_TOKEN=$tok E2E_OTHER_TOKEN=$other E2E_PUSHED=$tmp/pushed.tsv \
	E2E_DATA=$data E2E_LATE=$tmp/late.pb.gz \
	E2E_SHOTS=$build/test-logs/e2e-serve CHROMIUM=$chromium \
	node tests/e2e/serve.js >"$tmp/e2e.log" 2>&1
rc=$?
cat "$tmp/e2e.log"
if ! tail -n 1 "$tmp/e2e.log" | grep -q '^[0-9]* passed, [0-9]* failed$'; then
	echo "FAIL: serve.js ended without its count (exit $rc)"
	echo "0 passed, 1 failed"
	exit 1
fi
alive=0
for p in $pids; do running "$p" && alive=$((alive + 1)); done
if [ "$alive" -ne 2 ]; then
	echo "FAIL: a hearth serve died during the tests"
	for n in serve open; do sed "s/^/  $n: /" "$tmp/$n.err" | tail -n 20; done
	p=$(tail -n 1 "$tmp/e2e.log" | cut -d' ' -f1)
	f=$(tail -n 1 "$tmp/e2e.log" | cut -d' ' -f3)
	echo "$p passed, $((f + 1)) failed"
	exit 1
fi
exit $rc
