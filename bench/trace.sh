#!/bin/bash
# hearth trace against go tool trace -pprof (issue 12's bench) on a large
# execution trace of the newest Go: tests/subjects/rtsubject traced for
# BENCH_TRACE_SECONDS (default 20 s, about 22 MB; 90 s makes about 100 MB; the trace is kept in bench-cache/ next
# to the hearth binary and reused).  Time and peak memory (GNU time's
# maximum resident set) of `hearth trace -pprof=sync` and `go tool trace
# -pprof=sync`, and of hearth's goroutine analysis; the two profiles are
# checked equal with `hearth top`.  Run by bench/run.sh (make bench) or
# alone:
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
SECS=${BENCH_TRACE_SECONDS:-20}
GO=/usr/local/go/bin/go
[ -x "$GO" ] || GO=$(command -v go)
cache=$(dirname "$H")/bench-cache
mkdir -p "$cache"
tr=$cache/rtsubject.${SECS}s.trace
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -s "$tr" ]; then
	(cd tests/subjects/rtsubject && GOTOOLCHAIN=local "$GO" build -o "$tmp/rt" .) || exit 1
	"$tmp/rt" -trace "$tr.tmp" -d "${SECS}s" -n $((SECS * 1000)) >/dev/null 2>&1 && mv "$tr.tmp" "$tr" || exit 1
fi
size=$(($(wc -c <"$tr") / 1048576))
# m LABEL OUTFILE CMD...: wall seconds and max RSS in MB into $W $R.
m() {
	local label=$1 out=$2
	shift 2
	/usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >"$out" 2>"$tmp/err" || {
		echo "bench: $label failed: $(head -c 300 "$tmp/err")" >&2
		W=NaN R=NaN
		return 1
	}
	W=$(awk '{print $1}' "$tmp/time")
	R=$(awk '{printf "%.0f", $2/1024}' "$tmp/time")
	echo "bench: $label: ${W}s, ${R} MB" >&2
}
m "hearth trace -pprof=sync" "$tmp/h.pb.gz" "$H" trace -q -pprof=sync "$tr"
hw=$W hr=$R
m "hearth trace (goroutines, MMU)" /dev/null "$H" trace -q "$tr"
gw=$W gr=$R
m "hearth trace -chrome" /dev/null "$H" trace -q -chrome "$tmp/c.json" "$tr"
cw=$W cr=$R
m "go tool trace -pprof=sync" "$tmp/g.pb" env GOTOOLCHAIN=local "$GO" tool trace -pprof=sync "$tr"
pw=$W pr=$R
same="not compared"
if [ "$hw" != NaN ] && [ "$pw" != NaN ]; then
	"$H" top -nodecount=1000000 -nodefraction=0 "$tmp/h.pb.gz" | sed 1,3d >"$tmp/a"
	"$H" top -nodecount=1000000 -nodefraction=0 "$tmp/g.pb" | sed 1,3d >"$tmp/b"
	cmp -s "$tmp/a" "$tmp/b" && same="same hearth top" || same="hearth top DIFFERS"
fi
ratio() { awk "BEGIN { if (\"$1\" == \"NaN\" || \"$2\" == \"NaN\" || $2 == 0) print \"NaN\"; else printf \"%.1f\", $1 / $2 }"; }
{
	echo "## hearth trace on a ${size} MB execution trace (Go $("$GO" env GOVERSION | sed 's/^go//'))"
	echo
	echo "tests/subjects/rtsubject traced for ${SECS} s (\`bench/trace.sh\`); GNU time's wall time and maximum resident set."
	echo
	echo "| command | wall s | max RSS MB |"
	echo "|---|---:|---:|"
	echo "| hearth trace -pprof=sync | $hw | $hr |"
	echo "| hearth trace (goroutine analysis, MMU) | $gw | $gr |"
	echo "| hearth trace -chrome | $cw | $cr |"
	echo "| go tool trace -pprof=sync | $pw | $pr |"
	echo
	echo "go tool trace / hearth: $(ratio "$pw" "$hw")x the time, $(ratio "$pr" "$hr")x the memory; the profiles: $same."
} >"$OUT"
