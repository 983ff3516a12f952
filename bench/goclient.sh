#!/bin/bash
# The Go client's overhead (issue 10's bench): tests/subjects/goclient, a
# program whose /work burns CPU and allocates, under the same hey load
# with and without clients/go pushing to a real hearth serve (CPU every 15 s
# for 5 s, and every other type).  Compares the program's CPU per
# request and hey's p99 latency.  Target: at most 2 % more CPU.  Run by
# bench/run.sh (make bench) or alone:
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
SECS=${BENCH_GOCLIENT_SECONDS:-30}
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
(cd tests/subjects/goclient && go build -o "$tmp/goclient" .) || exit 1
"$H" serve -listen=127.0.0.1:0 -data="$tmp/data" >"$tmp/serve.out" 2>&1 &
pids="$pids $!"
for _ in $(seq 100); do grep -q "^Serving" "$tmp/serve.out" && break; sleep 0.1; done
URL=$(sed -n 's|^Serving hearth on \(http://[^/]*\)/$|\1|p' "$tmp/serve.out")
TOKEN=$("$H" token create -data="$tmp/data" -tenant=bench | tail -n 1)
run() { # label, extra flags
	rm -f "$tmp/addr"
	"$tmp/goclient" -addr_file "$tmp/addr" -interval 15s -duration 5s "${@:2}" >/dev/null 2>&1 &
	local p=$!
	for _ in $(seq 100); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
	hey -z "${SECS}s" -c 4 "http://$(cat "$tmp/addr")/work" >"$tmp/hey.$1"
	read -r ut st <<<"$(awk '{print $14, $15}' /proc/$p/stat)"
	kill $p
	wait $p 2>/dev/null
	local reqs p99
	reqs=$(awk '$1 == "[200]" {print $2; exit}' "$tmp/hey.$1")
	p99=$(awk '/99% in/ {print $3; exit}' "$tmp/hey.$1")
	awk -v u="$ut" -v s="$st" -v r="$reqs" -v t="$(getconf CLK_TCK)" -v p="$p99" -v l="$1" \
		'BEGIN {printf "%s %.4f %s %s\n", l, 1000 * (u + s) / t / r, p * 1000, r}'
}
a=$(run without -noclient)
b=$(run with -server="$URL" -token="$TOKEN")
read -r _ cpu0 p990 r0 <<<"$a"
read -r _ cpu1 p991 r1 <<<"$b"
over=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.1f", 100 * (b - a) / a}')
echo "goclient: CPU ms/request $cpu0 without, $cpu1 with the client ($over %); p99 $p990 ms, $p991 ms"
{
	echo "## The Go client's overhead"
	echo
	echo "\`bench/goclient.sh\`: tests/subjects/goclient under \`hey -c 4\` for $SECS s, without"
	echo "and with clients/go pushing to hearth serve (CPU 5 s of every 15 s, every type; the default is 10 s a minute)."
	echo "Target: at most 2 % more CPU. Noisy on a shared machine."
	echo
	echo "| | CPU ms per request | p99 latency | requests |"
	echo "|---|---|---|---|"
	echo "| without the client | $cpu0 | $p990 ms | $r0 |"
	echo "| with the client | $cpu1 | $p991 ms | $r1 |"
	echo "| difference | $over % | | |"
} >"$OUT"
