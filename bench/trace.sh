#!/bin/bash
# hearth trace against go tool trace -pprof (issue 12's bench) on a 100 MB
# execution trace of the newest Go: tests/subjects/rtsubject under load
# (two allocators and its blocking patterns) traced until the trace holds
# BENCH_TRACE_MB megabytes (default 100).  The trace is made once and kept
# in the bench work directory (BENCH_CACHE, default bench-cache next to the
# hearth binary, as bench/run.sh's; never in the repository), then reused.
#
# Wall time, CPU time (user + system) and peak memory (GNU time's maximum
# resident set) of `hearth trace -pprof=sync` and `go tool trace
# -pprof=sync`, run alternately BENCH_TRACE_RUNS times each (default 2;
# the median times and the largest RSS are reported), and once each of
# hearth's goroutine analysis and Chrome export; the two profiles are
# checked equal with `hearth top`.  The load average is written next to
# the figures (the machine is shared).  Run by bench/run.sh (make bench)
# or alone:
#
#   bench/trace.sh HEARTH OUT_MD
set -u
if [ $# -ne 2 ]; then
	echo "usage: $0 HEARTH OUT_MD" >&2
	exit 2
fi
cd "$(dirname "$0")/.." || exit 1
H=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
OUT=$2
MB=${BENCH_TRACE_MB:-100}
RUNS=${BENCH_TRACE_RUNS:-2}
GO=/usr/local/go/bin/go
[ -x "$GO" ] || GO=$(command -v go)
cache=${BENCH_CACHE:-$(dirname "$H")/bench-cache}
mkdir -p "$cache" || exit 1
tr=$cache/rtsubject.${MB}mb.$("$GO" env GOVERSION).trace
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -s "$tr" ]; then
	echo "bench: making a ${MB} MB trace (tests/subjects/rtsubject, once; kept in $cache)" >&2
	(cd tests/subjects/rtsubject && GOTOOLCHAIN=local GOFLAGS=-mod=mod "$GO" build -o "$tmp/rt" .) || exit 1
	"$tmp/rt" -trace "$tr.tmp" -d 2s -n 20000 -trace_mb "$MB" >/dev/null 2>&1 && mv "$tr.tmp" "$tr" || {
		rm -f "$tr.tmp"
		exit 1
	}
fi
size=$(awk "BEGIN { printf \"%.0f\", $(wc -c <"$tr") / 1048576 }")
span=$("$H" trace -q -json "$tr" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.1f" % ((d["end"] - d["start"]) / 1e9))' 2>/dev/null)
# m LABEL OUTFILE CMD...: wall and CPU seconds, max RSS in MB, appended to
# the lists W_label C_label R_label (by a key without spaces).
m() {
	local key=$1 out=$2
	shift 2
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" >"$out" 2>"$tmp/err" </dev/null || {
		echo "bench: $key failed: $(head -c 300 "$tmp/err")" >&2
		return 1
	}
	read -r w u s r <"$tmp/time"
	local c
	c=$(awk "BEGIN { printf \"%.2f\", $u + $s }")
	r=$(awk "BEGIN { printf \"%.0f\", $r / 1024 }")
	eval "W_$key=\"\${W_$key:-} $w\"; C_$key=\"\${C_$key:-} $c\"; R_$key=\"\${R_$key:-} $r\""
	echo "bench: $key: ${w}s wall, ${c}s CPU, ${r} MB" >&2
}
median() { printf '%s\n' $1 | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "NaN" }'; }
largest() { printf '%s\n' $1 | sort -g | awk 'END { print NR ? $1 : "NaN" }'; }
ratio() { awk "BEGIN { if (\"$1\" == \"NaN\" || \"$2\" == \"NaN\" || $2 == 0) print \"NaN\"; else printf \"%.1f\", $1 / $2 }"; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
ok=true
for i in $(seq 1 "$RUNS"); do
	m hsync "$tmp/h.pb.gz" "$H" trace -q -pprof=sync "$tr" || ok=false
	m gsync "$tmp/g.pb" env GOTOOLCHAIN=local "$GO" tool trace -pprof=sync "$tr" || ok=false
done
m hana /dev/null "$H" trace -q "$tr" || ok=false
m hchrome /dev/null "$H" trace -q -chrome "$tmp/c.json" "$tr" || ok=false
load1=$(cut -d' ' -f1-3 /proc/loadavg)
same="not compared"
if $ok; then
	"$H" top -nodecount=1000000 -nodefraction=0 "$tmp/h.pb.gz" | sed 1,3d >"$tmp/a"
	"$H" top -nodecount=1000000 -nodefraction=0 "$tmp/g.pb" | sed 1,3d >"$tmp/b"
	cmp -s "$tmp/a" "$tmp/b" && same="the same hearth top" || same="hearth top DIFFERS"
fi
row() { # LABEL KEY
	eval "local w=\${W_$2:-} c=\${C_$2:-} r=\${R_$2:-}"
	echo "| $1 | $(median "$w") | $(median "$c") | $(largest "$r") |"
}
eval "hw=\$(median \"\${W_hsync:-}\") gw=\$(median \"\${W_gsync:-}\")"
eval "hc=\$(median \"\${C_hsync:-}\") gc=\$(median \"\${C_gsync:-}\")"
eval "hr=\$(largest \"\${R_hsync:-}\") gr=\$(largest \"\${R_gsync:-}\")"
{
	echo "## hearth trace on a ${size} MB execution trace (Go $("$GO" env GOVERSION | sed 's/^go//'))"
	echo
	echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC by \`bench/trace.sh\`: tests/subjects/rtsubject (two allocators and its"
	echo "blocking patterns) traced until the trace held ${MB} MB (${span:-?} s of the program; the trace is kept in the"
	echo "bench work directory). GNU time's wall time, user + system CPU time and maximum resident set;"
	echo "\`-pprof=sync\` of each tool $RUNS times, alternately (the median times, the lower middle of an even"
	echo "count; the largest RSS). Load average $load0 before, $load1 after (2 cores, shared with other work)."
	echo
	echo "| command | wall s | CPU s | max RSS MB |"
	echo "|---|---:|---:|---:|"
	row "hearth trace -pprof=sync" hsync
	row "go tool trace -pprof=sync" gsync
	row "hearth trace (goroutine analysis, MMU)" hana
	row "hearth trace -chrome" hchrome
	echo
	echo "go tool trace / hearth (-pprof=sync): $(ratio "$gw" "$hw")x the wall time, $(ratio "$gc" "$hc")x the CPU time, $(ratio "$gr" "$hr")x the memory; the profiles: $same."
} >"$OUT"
$ok && [ "$same" = "the same hearth top" ]
