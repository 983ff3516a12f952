#!/bin/bash
# One `hearth scrape` process holding a fleet (issue 10's bench): 1000
# stub targets on loopback (bench/scrape_stub: recorded netsubject
# profiles, served on 4 ports of 250 127.0.x.y addresses; cpu answers after
# its seconds=), scraped every 15 s, every type, for BENCH_SCRAPE_SECONDS
# (default 60), without pushing.  Measures the scraper's CPU (of one core)
# and peak RSS, and checks that no scrape failed.  Run by bench/run.sh
# (make bench) or alone:
#
#   bench/scrape.sh HEARTH OUT_MD
set -u
if [ $# -ne 2 ]; then
	echo "usage: $0 HEARTH OUT_MD" >&2
	exit 2
fi
cd "$(dirname "$0")/.." || exit 1
H=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
OUT=$2
SECS=${BENCH_SCRAPE_SECONDS:-60}
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
command -v go >/dev/null || { echo "bench/scrape.sh: no go" >&2; exit 1; }
(cd tests/subjects/netsubject && go build -o "$tmp/netsubject" .) || exit 1
(cd bench/scrape_stub && go build -o "$tmp/stub" .) || exit 1
# One real scrape of netsubject gives the recorded profiles.
"$tmp/netsubject" -addr_file "$tmp/addr" >/dev/null 2>&1 &
pids="$pids $!"
for _ in $(seq 100); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
printf 'scrape_configs:\n  - job_name: one\n    scrape_interval: 2s\n    static_configs: [{targets: ["%s"]}]\n' \
	"$(cat "$tmp/addr")" >"$tmp/one.yaml"
"$H" scrape -config="$tmp/one.yaml" -rounds=1 -save="$tmp/raw" >/dev/null 2>&1 || exit 1
rec=$(ls -d "$tmp"/raw/one/*/)
ports="23101 23102 23103 23104"
"$tmp/stub" "$rec" 0.0.0.0 $ports 2>"$tmp/stub.err" &
pids="$pids $!"
sleep 1
python3 - "$tmp/fleet.yaml" $ports <<'PY'
import sys
t = ["'127.0.%d.%d:%s'" % (n // 250, n % 250 + 1, p) for n in range(250) for p in sys.argv[2:]]
open(sys.argv[1], "w").write("scrape_configs:\n  - job_name: fleet\n    scrape_interval: 15s\n"
                             "    static_configs:\n      - targets: [%s]\n" % ", ".join(t))
PY
"$H" scrape -config="$tmp/fleet.yaml" -listen=127.0.0.1:0 >"$tmp/sc.out" 2>"$tmp/sc.err" &
sp=$!
pids="$pids $sp"
sleep "$SECS"
M=$(sed -n 's|^Serving hearth scrape metrics on \(http://[^/]*\)/metrics$|\1|p' "$tmp/sc.out")
curl -s "$M/metrics" >"$tmp/metrics"
read -r utime stime <<<"$(awk '{print $14, $15}' /proc/$sp/stat)"
hwm=$(awk '/VmHWM/ {print $2}' /proc/$sp/status)
fds=$(ls /proc/$sp/fd | wc -l)
tck=$(getconf CLK_TCK)
cpu=$(awk -v u="$utime" -v s="$stime" -v t="$tck" -v d="$SECS" 'BEGIN {printf "%.1f", 100 * (u + s) / t / d}')
read -r scrapes failures <<<"$(awk '/^hearth_scrape_scrapes_total/ {a += $2} /^hearth_scrape_failures_total/ {b += $2} END {print a + 0, b + 0}' "$tmp/metrics")"
targets=$(awk '/^hearth_scrape_targets / {print $2}' "$tmp/metrics")
ok=yes
[ "${failures:-1}" = 0 ] && [ "${targets:-0}" = 1000 ] || ok=no
echo "scrape: $targets targets, 15 s, ${SECS} s: $scrapes scrapes, $failures failed; CPU $cpu % of a core, peak RSS $((hwm / 1024)) MB, $fds descriptors"
{
	echo "## hearth scrape: 1000 targets"
	echo
	echo "\`bench/scrape.sh\`: one \`hearth scrape\` process, 1000 stub targets on loopback"
	echo "(recorded netsubject profiles; cpu answers after its seconds=), every type"
	echo "at a 15 s interval, for $SECS s, no push."
	echo
	echo "| targets | scrapes | failed | CPU (of one core) | peak RSS | descriptors | all scraped |"
	echo "|---|---|---|---|---|---|---|"
	echo "| $targets | $scrapes | $failures | $cpu % | $((hwm / 1024)) MB | $fds | $ok |"
} >"$OUT"
[ "$ok" = yes ]
