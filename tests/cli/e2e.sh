#!/bin/sh
# End-to-end tests of `hearth web` in a browser (issue 5): starts the server on
# three sources and runs tests/e2e/e2e.js (playwright-core driving Debian's
# headless chromium) against them:
#
#   - tests/data/leaky.cpu.pb.gz: the flame graph draws, hover, click to zoom,
#     search (its share against `hearth top -focus -nodefraction=0`), the top
#     table row by row against `hearth top`, sorting, filter, row menu,
#     refine bar, sample types against `hearth top -sample_index`, the graph
#     view's SVG, source and peek against `hearth list` and `hearth peek`,
#     sandwich, keyboard, a URL that reloads to the same state, bad input (a
#     regexp that does not compile, an unknown sample type, a file not given
#     on the command line) said in the page while the server keeps serving;
#   - a diff (-diff_base=leaky.series.01 on leaky.series.02): red and green
#     in the flame graph and the table;
#   - folded stacks whose names are HTML: shown as text, nothing injected;
#   - leaky.cpu with -lines -focus=main: the command line's options are the
#     page's defaults (refine bar, granularity) and can be undone;
#   - ../shared/bench/mid.cpu.pb.gz (when present): the page says how much
#     the server merged, and zooming in loads a finer graph.
#
# tests/e2e/views.js (issue 14) adds the both view's highlights (against
# hearth folded), the call graph's first scale, labels, search's dimming and
# walk, chips, source shading, exports, download names, the diff's columns
# (against hearth top of each file), axe-core on every view light and dark,
# and every view at 1400/800/420 px with an overflow check.
#
# Screenshots of every view, light and dark, go to BUILD_DIR/test-logs/e2e/
# (and BUILD_DIR/test-logs/e2e/views/VIEW-WIDTH-SCHEME.png).
#
#   tests/cli/e2e.sh BUILD_DIR
#
# Needs node, Debian's chromium and tests/e2e/node_modules (`make deps` runs
# `npm ci --prefix tests/e2e`); SKIPs (0 passed, 0 failed) only without node
# or chromium.  Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
. tests/cli/go.inc
build=${1:?usage: tests/cli/e2e.sh BUILD_DIR}
hearth=$build/hearth
chromium=${CHROMIUM:-/usr/bin/chromium}
export TZ=UTC

if ! command -v node >/dev/null 2>&1 || [ ! -x "$chromium" ]; then
	echo "SKIP: e2e needs node and $chromium"
	echo "0 passed, 0 failed"
	exit 0
fi
if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/axe-core ]; then
	npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error >/dev/null 2>&1 || {
		echo "FAIL: tests/e2e/node_modules missing and npm ci failed (run make deps)"
		echo "0 passed, 1 failed"
		exit 1
	}
fi

tmp=$(mktemp -d)
pids=
# running PID: the process is there and not a zombie
running() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in '' | Z*) return 1 ;; esac
	return 0
}
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	# a server that does not stop on SIGTERM within 5 s is killed
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

# start NAME ARGS...: runs hearth web ARGS, sets $url from its first line.
url=
start() {
	name=$1
	shift
	"$hearth" web -no_browser -http=127.0.0.1:0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids="$pids $!"
	i=0
	url=
	while [ $i -lt 300 ]; do
		url=$(head -n 1 "$tmp/$name.out" 2>/dev/null | grep -o 'http://[^ ]*' | sed 's,/$,,' || true)
		[ -n "$url" ] && return 0
		running "$!" || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "FAIL: hearth web $* did not say where it serves:"
	cat "$tmp/$name.err" "$tmp/$name.out"
	return 1
}

# Folded stacks with names that are markup.
printf '%s\n' \
	'main.main;<img src=x onerror="window.__pwned=1">;</script><b id=inj>bold</b> 30' \
	'main.main;safe.fn 10' \
	"main.main;a'b\"c&amp;<!--x 5" >"$tmp/weird.folded"

profile=tests/data/leaky.cpu.pb.gz
base=tests/data/leaky.series.01.cpu.pb.gz
after=tests/data/leaky.series.02.cpu.pb.gz
start main "$profile" || { echo "0 passed, 1 failed"; exit 1; }
main_url=$url
start diff -diff_base="$base" "$after" || { echo "0 passed, 1 failed"; exit 1; }
diff_url=$url
start weird "$tmp/weird.folded" || { echo "0 passed, 1 failed"; exit 1; }
weird_url=$url
start defaults -lines -focus=main "$profile" || { echo "0 passed, 1 failed"; exit 1; }
defaults_url=$url

# A profile big enough for the server to merge frames (when ../shared is there).
mid_url=
mid=../shared/bench/mid.cpu.pb.gz
if [ -f "$mid" ]; then
	start mid "$mid" || { echo "0 passed, 1 failed"; exit 1; }
	mid_url=$url
fi
nservers=$(echo $pids | wc -w)

mkdir -p "$build/test-logs/e2e"
HEARTH=$hearth E2E_URL=$main_url E2E_PROFILE=$profile \
	E2E_DIFF_URL=$diff_url E2E_DIFF_BASE=$base E2E_DIFF_PROFILE=$after \
	E2E_WEIRD_URL=$weird_url E2E_WEIRD_PROFILE=$tmp/weird.folded E2E_MID_URL=$mid_url \
	E2E_DEFAULTS_URL=$defaults_url \
	E2E_SHOTS=$build/test-logs/e2e CHROMIUM=$chromium \
	node tests/e2e/e2e.js >"$tmp/e2e.log" 2>&1
rc=$?
cat "$tmp/e2e.log"
# every server must still be up after all that
alive=0
for p in $pids; do running "$p" && alive=$((alive + 1)); done
if ! tail -n 1 "$tmp/e2e.log" | grep -q '^[0-9]* passed, [0-9]* failed$'; then
	echo "FAIL: e2e.js ended without its count (exit $rc)"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ "$alive" -ne "$nservers" ]; then
	echo "FAIL: a hearth web server died during the tests"
	for n in main diff weird defaults mid; do [ -f "$tmp/$n.err" ] || continue; echo "--- $n:"; cat "$tmp/$n.err"; done
	p=$(tail -n 1 "$tmp/e2e.log" | cut -d' ' -f1)
	f=$(tail -n 1 "$tmp/e2e.log" | cut -d' ' -f3)
	echo "$p passed, $((f + 1)) failed"
	exit 1
fi
exit $rc
