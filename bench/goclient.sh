#!/bin/bash
# The Go client's overhead (issue 10's bench): tests/subjects/goclient, a
# program whose /work burns CPU and allocates, under the same hey load
# with and without clients/go pushing to a real hearth serve.  Compares the
# program's CPU per request and hey's p99 latency.  Target: at most 2 % more
# CPU at the client's defaults.
#
#   - defaults: Config with nothing but the server (CPU 10 s of every
#     minute, every default type, no mutex or block rate set), runs of
#     BENCH_GOCLIENT_SECONDS (default 150: two collections and more) in the
#     order without, with, with, without, so that a drift of the machine's
#     load falls on both sides;
#   - aggressive: CPU 5 s of every 15 s, mutex fraction 5, block rate 10 us,
#     one pair of BENCH_GOCLIENT_AGGR_SECONDS (default 30; 0 skips it).
#
# Run by bench/run.sh (make bench) or alone:
#
#   bench/goclient.sh HEARTH OUT_MD
set -u
if [ $# -ne 2 ]; then
	echo "usage: $0 HEARTH OUT_MD" >&2
	exit 2
fi
cd "$(dirname "$0")/.." || exit 1
H=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
OUT=$2
SECS=${BENCH_GOCLIENT_SECONDS:-150}
ASECS=${BENCH_GOCLIENT_AGGR_SECONDS:-30}
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
(cd tests/subjects/goclient && go build -o "$tmp/goclient" .) || exit 1
"$H" serve -listen=127.0.0.1:0 -data="$tmp/data" >"$tmp/serve.out" 2>&1 &
pids="$pids $!"
for _ in $(seq 100); do grep -q "^Serving" "$tmp/serve.out" && break; sleep 0.1; done
URL=$(sed -n 's|^Serving hearth on \(http://[^/]*\)/$|\1|p' "$tmp/serve.out")
TOKEN=$("$H" token create -data="$tmp/data" -tenant=bench | tail -n 1)
DEFAULTS="-interval=0 -duration=0 -mutex_fraction=0 -block_rate=0"
# run LABEL SECONDS FLAGS...: prints "LABEL cpu_ms_per_request p99_ms requests uploads"
run() {
	rm -f "$tmp/addr"
	"$tmp/goclient" -addr_file "$tmp/addr" "${@:3}" >"$tmp/out.$1" 2>&1 &
	local p=$!
	for _ in $(seq 100); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
	hey -z "$2s" -c 4 "http://$(cat "$tmp/addr")/work" >"$tmp/hey.$1"
	read -r ut st <<<"$(awk '{print $14, $15}' /proc/$p/stat)"
	kill $p
	wait $p 2>/dev/null
	local reqs p99 up
	reqs=$(awk '$1 == "[200]" {print $2; exit}' "$tmp/hey.$1")
	p99=$(awk '/99% in/ {print $3; exit}' "$tmp/hey.$1")
	up=$(sed -n 's/.*uploaded=\([0-9]*\).*/\1/p' "$tmp/out.$1")
	awk -v u="$ut" -v s="$st" -v r="$reqs" -v t="$(getconf CLK_TCK)" -v p="$p99" -v l="$1" -v up="${up:--}" \
		'BEGIN {printf "%s %.4f %.1f %s %s\n", l, 1000 * (u + s) / t / r, p * 1000, r, up}'
}
client="-server=$URL -token=$TOKEN"
# shellcheck disable=SC2086
rows=$(
	run d0 "$SECS" -noclient $DEFAULTS
	run d1 "$SECS" $client $DEFAULTS
	run d2 "$SECS" $client $DEFAULTS
	run d3 "$SECS" -noclient $DEFAULTS
	if [ "$ASECS" -gt 0 ]; then
		run a0 "$ASECS" -noclient -interval=15s -duration=5s
		run a1 "$ASECS" $client -interval=15s -duration=5s
	fi
)
echo "$rows" >"$tmp/rows"
f() { awk -v l="$1" -v k="$2" '$1 == l {print $k}' "$tmp/rows"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", 100 * (b - a) / a}'; }
mean() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f", (a + b) / 2}'; }
w=$(mean "$(f d0 2)" "$(f d3 2)")
c=$(mean "$(f d1 2)" "$(f d2 2)")
over=$(pct "$w" "$c")
echo "goclient defaults: CPU ms/request $w without, $c with the client ($over %)"
{
	echo "## The Go client's overhead"
	echo
	echo "\`bench/goclient.sh\`: tests/subjects/goclient under \`hey -c 4\`, without and with"
	echo "clients/go pushing to hearth serve. **Defaults**: a Config with only the server and"
	echo "service (CPU 10 s of every minute, heap, allocs, goroutine, mutex, block; no mutex or"
	echo "block rate set), runs of $SECS s in the order without, with, with, without."
	echo "**Aggressive**: CPU 5 s of every 15 s, mutex fraction 5, block rate 10 µs, $ASECS s each."
	echo "Target: at most 2 % more CPU at the defaults. Noisy on a shared machine: a"
	echo "difference within about ±2 % is noise here."
	echo
	echo "| run | client | CPU ms per request | p99 latency | requests | uploads |"
	echo "|---|---|---|---|---|---|"
	for r in d0 d1 d2 d3 a0 a1; do
		[ -n "$(f $r 1)" ] || continue
		case $r in d*) set_=defaults ;; *) set_=aggressive ;; esac
		case $r in d0 | d3 | a0) cl=without ;; *) cl=with ;; esac
		up=$(f $r 5)
		[ $cl = without ] && up=
		echo "| $set_ | $cl | $(f $r 2) | $(f $r 3) ms | $(f $r 4) | $up |"
	done
	echo
	echo "Defaults: $w ms of CPU per request without the client (mean of the two runs), $c with it: **$over %**."
	if [ -n "$(f a1 2)" ]; then
		echo "Aggressive: $(f a0 2) without, $(f a1 2) with: $(pct "$(f a0 2)" "$(f a1 2)") %."
	fi
} >"$OUT"
