#!/bin/bash
# make bench: hearth against `go tool pprof` on the same inputs, as ratios.
#
# usage: bench/run.sh HEARTH
#
# Measures the wall time, CPU time and peak RSS (GNU time's %e, %U + %S, %M)
# of every command, prints a table and writes docs/BENCHMARKS.md with the
# figures of this run.  A benchmark, not a test: a missed target is
# reported, not an error; the exit status is 1 only when a command failed
# or hearth's report differs from pprof's where the two are compared.
#
# Environment:
#   BENCH_RUNS=3           runs of each hearth and gunzip command; the median
#                          wall and CPU times and the largest RSS are reported
#   BENCH_PPROF_BIG=1      also run pprof on big.cpu.pb.gz (~200 s, ~8 GB)
#   BENCH_PPROF_SERIES=1   also run pprof on the first 240 series files
#                          (~170 s, ~5 GB)
#   BENCH_CACHE=DIR        where gen-profile and the series live
#                          (default: bench-cache next to HEARTH)
#   BENCH_SHARED=DIR       the shared material (default: ../shared)
#   BENCH_DOC=FILE         the page to write (default: docs/BENCHMARKS.md;
#                          "-" writes none)
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 HEARTH" >&2
	exit 2
fi
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
HEARTH=$1
case $HEARTH in /*) ;; *) HEARTH=$ROOT/$HEARTH ;; esac
SHARED=${BENCH_SHARED:-$ROOT/../shared}
BENCHDIR=$SHARED/bench
GEN_SRC=$SHARED/tools/gen-profile
CACHE=${BENCH_CACHE:-$(dirname "$HEARTH")/bench-cache}
RUNS=${BENCH_RUNS:-3}
DOC=${BENCH_DOC:-docs/BENCHMARKS.md}
TIME=/usr/bin/time

# The series: gen-profile's flags (see its main.go), and how many of its
# files pprof is given (all 1440 would take it far too long).
SERIES_ARGS="-funcs 3000 -samples 3000 -depth 32 -series 1440"
SERIES_DIR=$CACHE/series-f3000-s3000-d32-n1440
SERIES_PPROF_N=240
# Figures quoted when pprof is not run on the large inputs: seconds and KB.
REF_PPROF_BIG="194 8178893"    # 7.8 GB, ../shared/bench/README.md
REF_PPROF_SERIES="166 5138022" # 4.9 GB, Go 1.19.8's pprof, 2 cores, 24 GiB

# Targets.
# Issue 13's headroom: top big within 1.3x of gunzip (median of alternated
# pairs) and 300 MB; the 1440-file merge in 2.5 s and 700 MB.
TARGET_BIG_RATIO=1.3 # hearth top big / gunzip -c big, wall time
TARGET_BIG_RSS_KB=307200
TARGET_SERIES_S=2.5
TARGET_SERIES_RSS_KB=716800
TARGET_FLAME_S=3 # hearth flame big, wall time
TARGET_FLAME_RSS_KB=1048576
TARGET_FLAME_HTML_BYTES=15728640

for f in "$HEARTH" "$TIME"; do
	[ -x "$f" ] || { echo "bench: $f is not an executable (make deps builds it)" >&2; exit 1; }
done
for f in big.cpu.pb.gz mid.cpu.pb.gz mid.heap.pb.gz; do
	[ -r "$BENCHDIR/$f" ] || { echo "bench: $BENCHDIR/$f is missing" >&2; exit 1; }
done
mkdir -p "$CACHE" || exit 1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hearth-bench.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
failed=0

# Arithmetic and formatting with awk (the shell has no floats).
isnan() { [ "$1" = NaN ]; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
mb() { isnan "$1" && echo NaN || calc "$1 / 1024" 0; }
ratio() { { isnan "$1" || isnan "$2"; } && echo NaN || calc "($1) / ($2)" "${3:-1}"; }
le() { awk "BEGIN { exit !(($1) <= ($2)) }"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# measure NAME RUNS OUTFILE CMD...: runs CMD RUNS times with stdout to
# OUTFILE; sets M_WALL (median wall seconds), M_CPU (median user + system
# seconds: what the command itself used, whatever else ran on the machine)
# and M_RSS (largest peak RSS, KB).
measure() {
	local name=$1 runs=$2 out=$3 i w r u s rss=0 walls=() cpus=()
	shift 3
	for ((i = 0; i < runs; i++)); do
		if ! "$TIME" -f '%e %M %U %S' -o "$WORK/time" "$@" >"$out" 2>"$WORK/stderr" </dev/null; then
			echo "bench: $name failed: $*" >&2
			tail -n 5 "$WORK/stderr" | sed 's/^/  /' >&2
			failed=1
			M_WALL=NaN M_CPU=NaN M_RSS=NaN
			return 1
		fi
		read -r w r u s < <(tail -n 1 "$WORK/time")
		walls+=("$w")
		cpus+=("$(calc "$u + $s")")
		[ "$r" -gt "$rss" ] && rss=$r
	done
	M_WALL=$(median "${walls[@]}")
	M_CPU=$(median "${cpus[@]}")
	M_RSS=$rss
}

# warm FILE...: reads files once so every command starts with them cached.
warm() { cat "$@" >/dev/null; }

# Rows of the result, "command|wall|cpu|rss_kb|note|ref", printed and
# written at the end; ref is set for a quoted figure this run did not measure.
ROWS=()
row() { ROWS+=("$1|$2|$3|$4|${5:-}|${6:-}"); }
# mrow COMMAND [NOTE]: a row with the figures of the last measure.
mrow() { row "$1" "$M_WALL" "$M_CPU" "$M_RSS" "${2:-}"; }

# same HEARTH_OUT PPROF_OUT: sets SAME to yes when the reports are byte for
# byte the same; a difference fails the run (a fast wrong answer is no
# result).
same() {
	if cmp -s "$1" "$2"; then
		SAME=yes
	else
		SAME=NO
		failed=1
		echo "bench: hearth's output differs from pprof's:" >&2
		diff "$2" "$1" | head -n 10 >&2
	fi
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $HEARTH, $RUNS run(s) of each hearth command; load average $LOAD_START"

# ---- mid inputs: hearth top against go tool pprof -top ---------------------
declare -A MID
for kind in cpu heap; do
	f=$BENCHDIR/mid.$kind.pb.gz
	warm "$f"
	echo "bench: mid.$kind.pb.gz ..."
	measure "hearth top mid.$kind" "$RUNS" "$WORK/h.mid.$kind" "$HEARTH" top "$f"
	hw=$M_WALL hr=$M_RSS
	mrow "hearth top mid.$kind.pb.gz"
	measure "pprof -top mid.$kind" 1 "$WORK/p.mid.$kind" go tool pprof -top "$f"
	same "$WORK/h.mid.$kind" "$WORK/p.mid.$kind"
	mrow "go tool pprof -top mid.$kind.pb.gz" "output identical to hearth's: $SAME"
	MID[$kind]="$(ratio "$M_WALL" "$hw" 0) $(ratio "$M_RSS" "$hr" 1) $SAME"
done

# ---- big input: hearth against the gunzip floor ----------------------------
big=$BENCHDIR/big.cpu.pb.gz
warm "$big"
echo "bench: big.cpu.pb.gz ..."
# gunzip and hearth alternate, one run each in turn, so that both see the
# same load from other work; the ratio is the median of the pairs' ratios.
gws=() gcs=() bws=() bcs=() pairs=() grss=0 br=0
for ((i = 0; i < RUNS; i++)); do
	measure "gunzip big" 1 /dev/null gunzip -c "$big" || break
	gws+=("$M_WALL") gcs+=("$M_CPU")
	[ "$M_RSS" -gt "$grss" ] && grss=$M_RSS
	measure "hearth top big" 1 "$WORK/h.big" "$HEARTH" top "$big" || break
	bws+=("$M_WALL") bcs+=("$M_CPU")
	[ "$M_RSS" -gt "$br" ] && br=$M_RSS
	pairs+=("$(ratio "$M_WALL" "${gws[-1]}" 3)")
done
if [ ${#pairs[@]} -eq "$RUNS" ]; then
	gw=$(median "${gws[@]}") bw=$(median "${bws[@]}") bc=$(median "${bcs[@]}")
	big_ratio=$(calc "$(median "${pairs[@]}")" 2)
	row "gunzip -c big.cpu.pb.gz" "$gw" "$(median "${gcs[@]}")" "$grss" "the floor: decompression alone"
	row "hearth top big.cpu.pb.gz" "$bw" "$bc" "$br" "${big_ratio}x gunzip (median of $RUNS alternated pairs: ${pairs[*]})"
else
	gw=NaN bw=NaN bc=NaN br=NaN big_ratio=NaN
fi
measure "hearth traces big" "$RUNS" /dev/null "$HEARTH" traces "$big"
mrow "hearth traces big.cpu.pb.gz" "1.1 GB of text, to /dev/null"
measure "hearth proto big" "$RUNS" /dev/null "$HEARTH" proto -output="$WORK/big.out.pb.gz" "$big"
mrow "hearth proto -output=F big.cpu.pb.gz" "gzipped profile.proto, to a file"
if [ "${BENCH_PPROF_BIG:-0}" = 1 ]; then
	echo "bench: go tool pprof -top big.cpu.pb.gz (minutes) ..."
	measure "pprof -top big" 1 "$WORK/p.big" go tool pprof -top "$big"
	pbw=$M_WALL pbr=$M_RSS pbsrc="measured in this run"
	same "$WORK/h.big" "$WORK/p.big"
	pbmatch=$SAME
	mrow "go tool pprof -top big.cpu.pb.gz" "output identical to hearth's: $SAME"
else
	read -r pbw pbr <<<"$REF_PPROF_BIG"
	pbsrc="reference figure (../shared/bench/README.md)"
	pbmatch="not compared"
	row "go tool pprof -top big.cpu.pb.gz" "$pbw" "" "$pbr" \
		"$pbsrc; BENCH_PPROF_BIG=1 measures it" ref
fi

# ---- call graphs: hearth svg (Graphviz in-process) against pprof -svg -------
# pprof runs Graphviz's dot program; hearth lays the graph out with Graphviz's
# libraries.  The drawings are compared by their graph (pprof's and hearth's
# pan/zoom scripts differ).
echo "bench: call graphs (svg) ..."
measure "hearth svg big" "$RUNS" /dev/null "$HEARTH" svg "$big"
mrow "hearth svg big.cpu.pb.gz" "80 nodes laid out in-process"
midcpu=$BENCHDIR/mid.cpu.pb.gz
measure "hearth svg mid.cpu" "$RUNS" "$WORK/h.mid.svg" "$HEARTH" svg "$midcpu"
gsw=$M_WALL gsr=$M_RSS
mrow "hearth svg mid.cpu.pb.gz"
if command -v dot >/dev/null; then
	measure "pprof -svg mid.cpu" 1 "$WORK/p.mid.svg" go tool pprof -svg "$midcpu"
	if python3 tests/cli/graph_check.py same-graph "$WORK/h.mid.svg" "$WORK/p.mid.svg"; then
		SVG_SAME=yes
	else
		SVG_SAME=NO
		failed=1
	fi
	mrow "go tool pprof -svg mid.cpu.pb.gz" "runs dot; same graph as hearth's: $SVG_SAME"
	SVG_RATIO="mid.cpu svg|$(ratio "$M_WALL" "$gsw" 0)x|$(ratio "$M_RSS" "$gsr" 1)x|measured in this run; same graph: $SVG_SAME"
else
	row "go tool pprof -svg mid.cpu.pb.gz" NaN "" NaN "not run: needs Graphviz's dot on PATH"
	SVG_RATIO="mid.cpu svg|NaN|NaN|not measured (no dot on PATH)"
fi

# ---- flame graphs on big: the SVG and the single-page HTML ------------------
echo "bench: flame graphs ..."
measure "hearth flame big" "$RUNS" "$WORK/h.big.flame.svg" "$HEARTH" flame "$big"
fw=$M_WALL fr=$M_RSS
mrow "hearth flame big.cpu.pb.gz" "interactive SVG, $(stat -c %s "$WORK/h.big.flame.svg") bytes"
measure "hearth flame -html big" "$RUNS" "$WORK/h.big.flame.html" "$HEARTH" flame -html "$big"
fhw=$M_WALL fhr=$M_RSS fhs=$(stat -c %s "$WORK/h.big.flame.html" 2>/dev/null || echo NaN)
mrow "hearth flame -html big.cpu.pb.gz" "canvas page, $fhs bytes (frames under a pixel merged)"

# ---- hearth web in the browser: bench/web.js in headless Chromium ----------
# The server is started here (not by web.js) so that its peak RSS can be read
# from /proc (VmHWM) before it is stopped.  pprof -http is measured on mid
# only: its flame graph page of big takes it far longer (BENCH_PPROF_WEB=0
# skips pprof's, which takes a few minutes on mid).
# web_json KEY: a field of the last bench/web.js line.
web_json() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("NaN" if v is None else v)' "$WEB_OUT" "$1"; }
# serve_url FILE PID: waits for the first http:// URL a server prints in FILE.
serve_url() {
	for _ in $(seq 1 6000); do
		u=$(grep -o 'http://[0-9.:]*' "$1" 2>/dev/null | head -n 1)
		[ -n "$u" ] && { echo "$u"; return 0; }
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# web_hearth PROFILE: sets WEB_OUT (bench/web.js's JSON) and WEB_RSS (KB).
web_hearth() {
	WEB_OUT="{}" WEB_RSS=NaN
	"$HEARTH" web -no_browser -http=127.0.0.1:0 "$1" >"$WORK/web.out" 2>"$WORK/web.err" &
	local pid=$! url
	if url=$(serve_url "$WORK/web.out" "$pid"); then
		WEB_OUT=$(node bench/web.js "$url" 2>"$WORK/webjs.err" | tail -n 1)
		[ -n "$WEB_OUT" ] || { WEB_OUT="{}"; failed=1; cat "$WORK/webjs.err" >&2; }
		WEB_RSS=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	else
		echo "bench: hearth web did not start: $(head -n 1 "$WORK/web.err")" >&2
		failed=1
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
WEB_ROWS=()
if command -v node >/dev/null && [ -x /usr/bin/chromium ] && [ -d tests/e2e/node_modules/playwright-core ]; then
	echo "bench: hearth web in Chromium ..."
	for f in big.cpu mid.cpu; do
		web_hearth "$BENCHDIR/$f.pb.gz"
		fp=$(web_json first_paint_ms) fpw=$(web_json first_paint_warm_ms)
		zm=$(web_json zoom_ms_max) hm=$(web_json hover_ms_max) fb=$(web_json flame_bytes)
		gm=$(web_json graph_ms) gn=$(web_json graph_nodes)
		WEB_ROWS+=("hearth web, $f|$fp|$fpw|$zm|$hm|$fb|$(mb "$WEB_RSS")|$gm|$gn")
		if [ "$f" = big.cpu ]; then
			WEB_BIG_FP=$fp WEB_BIG_ZOOM=$zm WEB_BIG_HOVER=$hm WEB_BIG_BYTES=$fb WEB_BIG_RSS=$WEB_RSS WEB_BIG_GRAPH=$gm
		fi
	done
	if [ "${BENCH_PPROF_WEB:-1}" = 1 ]; then
		echo "bench: go tool pprof -http on mid.cpu (minutes) ..."
		port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		go tool pprof -no_browser -http=127.0.0.1:$port "$BENCHDIR/mid.cpu.pb.gz" >"$WORK/pprof.out" 2>&1 &
		ppid=$!
		if url=$(serve_url "$WORK/pprof.out" "$ppid"); then
			WEB_OUT=$(node bench/web.js --pprof "$url" 2>"$WORK/webjs.err" | tail -n 1)
			[ -n "$WEB_OUT" ] || WEB_OUT="{}"
			# go runs pprof as a child: the larger peak of the two.
			prss=0
			for q in $ppid $(pgrep -P "$ppid"); do
				r=$(awk '/^VmHWM/ { print $2 }' "/proc/$q/status" 2>/dev/null)
				[ -n "$r" ] && [ "$r" -gt "$prss" ] && prss=$r
			done
			WEB_ROWS+=("go tool pprof -http, mid.cpu (/ui/flamegraph)|$(web_json load_ms)|||| $(web_json page_bytes)|$(mb "$prss")")
		else
			echo "bench: go tool pprof -http did not start" >&2
		fi
		pkill -P "$ppid" 2>/dev/null
		kill "$ppid" 2>/dev/null
		wait "$ppid" 2>/dev/null
	fi
else
	echo "bench: hearth web not measured (needs node, /usr/bin/chromium and tests/e2e/node_modules: make deps)" >&2
fi

# ---- continuous profiling: a day of one-a-minute profiles merged -----------
GEN=$CACHE/gen-profile
if [ ! -x "$GEN" ] || [ "$GEN_SRC/main.go" -nt "$GEN" ]; then
	echo "bench: building gen-profile ..."
	"$GEN_SRC/build.sh" "$GEN" || { echo "bench: cannot build gen-profile (make deps)" >&2; exit 1; }
fi
if [ ! -e "$SERIES_DIR/.complete" ]; then
	echo "bench: generating the series once into $SERIES_DIR (about a minute, ~230 MB) ..."
	rm -rf "$SERIES_DIR.tmp" "$SERIES_DIR"
	{ mkdir -p "$SERIES_DIR.tmp" &&
		"$GEN" $SERIES_ARGS -o "$SERIES_DIR.tmp" &&
		touch "$SERIES_DIR.tmp/.complete" &&
		mv "$SERIES_DIR.tmp" "$SERIES_DIR"; } || { echo "bench: gen-profile failed" >&2; exit 1; }
fi
mapfile -t series < <(ls "$SERIES_DIR"/*.pb.gz)
nseries=${#series[@]}
first=("${series[@]:0:$SERIES_PPROF_N}")
series_mb=$(du -sm "$SERIES_DIR" | cut -f1)
warm "${series[@]}"
echo "bench: series of $nseries profiles ..."
measure "hearth top series" "$RUNS" "$WORK/h.series" "$HEARTH" top "${series[@]}"
sw=$M_WALL sc=$M_CPU sr=$M_RSS
mrow "hearth top series/*.pb.gz" "all $nseries files merged"
measure "hearth top series[:$SERIES_PPROF_N]" "$RUNS" "$WORK/h.series240" "$HEARTH" top "${first[@]}"
s2w=$M_WALL s2r=$M_RSS
mrow "hearth top <first $SERIES_PPROF_N of series/>" "to compare with pprof"
if [ "${BENCH_PPROF_SERIES:-0}" = 1 ]; then
	echo "bench: go tool pprof -top on $SERIES_PPROF_N series files (minutes) ..."
	measure "pprof -top series[:$SERIES_PPROF_N]" 1 "$WORK/p.series240" go tool pprof -top "${first[@]}"
	psw=$M_WALL psr=$M_RSS pssrc="measured in this run"
	same "$WORK/h.series240" "$WORK/p.series240"
	psmatch=$SAME
	mrow "go tool pprof -top <first $SERIES_PPROF_N of series/>" "output identical to hearth's: $SAME"
else
	read -r psw psr <<<"$REF_PPROF_SERIES"
	pssrc="reference figure (Go 1.19.8, 2 cores, 24 GiB)"
	psmatch="not compared"
	row "go tool pprof -top <first $SERIES_PPROF_N of series/>" "$psw" "" "$psr" \
		"$pssrc; BENCH_PPROF_SERIES=1 measures it" ref
fi
# ---- the service's store: bench/store.sh ------------------------------------
STORE_BENCH=$(dirname "$HEARTH")/bench/store_bench
if [ -x "$STORE_BENCH" ]; then
	bench/store.sh "$STORE_BENCH" "$CACHE" "$WORK/store.md" "$HEARTH" || failed=1
else
	echo "bench: $STORE_BENCH is missing (make bench builds it)" >&2
fi
# ---- the shared store on PostgreSQL, one node and two: bench/store_pg.sh ----
if [ -x "$STORE_BENCH" ]; then
	bench/store_pg.sh "$STORE_BENCH" "$CACHE" "$WORK/store_pg.md" || failed=1
fi
# ---- blocks in an object store (Ceph radosgw): bench/store_objects.sh -------
if [ -x "$STORE_BENCH" ]; then
	bench/store_objects.sh "$STORE_BENCH" "$CACHE" "$WORK/store_objects.md" || failed=1
fi
# ---- hearth scrape holding 1000 targets: bench/scrape.sh -------------------
bench/scrape.sh "$HEARTH" "$WORK/scrape.md" || failed=1
bench/goclient.sh "$HEARTH" "$WORK/goclient.md" || failed=1
bench/trace.sh "$HEARTH" "$WORK/trace.md" || failed=1
bench/webmem.sh "$HEARTH" "$WORK/webmem.md" || failed=1
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- verdicts ---------------------------------------------------------------
verdict() {
	if isnan "$1"; then
		echo "not measured"
	elif le "$1" "$2"; then
		echo met
	else
		echo "**missed**"
	fi
}
v_big_time=$(verdict "$big_ratio" "$TARGET_BIG_RATIO")
v_big_rss=$(verdict "$br" "$TARGET_BIG_RSS_KB")
v_series_time=$(verdict "$sw" "$TARGET_SERIES_S")
v_series_rss=$(verdict "$sr" "$TARGET_SERIES_RSS_KB")
# The flame target holds for both outputs: take the slower and the larger.
fmax=$fw fmaxr=$fr
if ! isnan "$fhw" && { isnan "$fw" || ! le "$fhw" "$fw"; }; then fmax=$fhw; fi
if ! isnan "$fhr" && { isnan "$fr" || ! le "$fhr" "$fr"; }; then fmaxr=$fhr; fi
v_flame_time=$(verdict "$fmax" "$TARGET_FLAME_S")
v_flame_rss=$(verdict "$fmaxr" "$TARGET_FLAME_RSS_KB")
v_flame_size=$(verdict "$fhs" "$TARGET_FLAME_HTML_BYTES")
WEB_BIG_FP=${WEB_BIG_FP:-NaN} WEB_BIG_ZOOM=${WEB_BIG_ZOOM:-NaN} WEB_BIG_HOVER=${WEB_BIG_HOVER:-NaN}
WEB_BIG_BYTES=${WEB_BIG_BYTES:-NaN} WEB_BIG_RSS=${WEB_BIG_RSS:-NaN} WEB_BIG_GRAPH=${WEB_BIG_GRAPH:-NaN}
v_web_graph=$(verdict "$WEB_BIG_GRAPH" 2000)
v_web_fp=$(verdict "$WEB_BIG_FP" 2000)
v_web_redraw=$(verdict "$(isnan "$WEB_BIG_ZOOM" || isnan "$WEB_BIG_HOVER" && echo NaN || awk "BEGIN { print ($WEB_BIG_ZOOM > $WEB_BIG_HOVER) ? $WEB_BIG_ZOOM : $WEB_BIG_HOVER }")" 50)
v_web_bytes=$(verdict "$WEB_BIG_BYTES" 10000000)
v_web_rss=$(verdict "$WEB_BIG_RSS" 1572864)
ratio_lines=()
for kind in cpu heap; do
	read -r rt rr m <<<"${MID[$kind]}"
	ratio_lines+=("mid.$kind|${rt}x|${rr}x|measured in this run; same output: $m")
done
ratio_lines+=("$SVG_RATIO")
ratio_lines+=("big.cpu|$(ratio "$pbw" "$bw" 0)x|$(ratio "$pbr" "$br" 1)x|$pbsrc; same output: $pbmatch")
ratio_lines+=("series, first $SERIES_PPROF_N files|$(ratio "$psw" "$s2w" 0)x|$(ratio "$psr" "$s2r" 1)x|$pssrc; same output: $psmatch")

# ---- the table on the terminal -----------------------------------------------
echo
printf '%-46s %8s %8s %8s  %s\n' command "wall s" "cpu s" "RSS MB" note
for r in "${ROWS[@]}"; do
	IFS='|' read -r l w c k n ref <<<"$r"
	k=$(mb "$k")
	[ -n "$ref" ] && w="($w)" && k="($k)"
	printf '%-46s %8s %8s %8s  %s\n' "$l" "$w" "$c" "$k" "$n"
done
echo "(figures in parentheses were not measured in this run)"
echo
printf '%-26s %14s %14s\n' "pprof / hearth" time RSS
for r in "${ratio_lines[@]}"; do
	IFS='|' read -r l t k n <<<"$r"
	printf '%-26s %14s %14s  %s\n' "$l" "$t" "$k" "${n%%;*}"
done
echo
echo "target: hearth top big.cpu within ${TARGET_BIG_RATIO}x of gunzip: ${big_ratio}x, $v_big_time"
echo "target: hearth top big.cpu under $(mb "$TARGET_BIG_RSS_KB") MB: $(mb "$br") MB, $v_big_rss"
echo "target: hearth top series under ${TARGET_SERIES_S} s: ${sw} s, $v_series_time"
echo "target: hearth top series under $(mb "$TARGET_SERIES_RSS_KB") MB: $(mb "$sr") MB, $v_series_rss"
echo "target: hearth flame (SVG and HTML) big.cpu under ${TARGET_FLAME_S} s: ${fmax} s, $v_flame_time"
echo "target: hearth flame big.cpu under 1 GB: $(mb "$fmaxr") MB, $v_flame_rss"
echo "target: hearth flame -html big.cpu under 15 MB: $fhs bytes, $v_flame_size"
echo "target: hearth web big.cpu first flame paint within 2 s: $WEB_BIG_FP ms, $v_web_fp"
echo "target: hearth web big.cpu zoom/hover redraw within 50 ms: zoom $WEB_BIG_ZOOM ms, hover $WEB_BIG_HOVER ms, $v_web_redraw"
echo "target: hearth web big.cpu flame payload under 10 MB: $WEB_BIG_BYTES bytes, $v_web_bytes"
echo "target: hearth web big.cpu call graph shown within 2 s of navigation: $WEB_BIG_GRAPH ms, $v_web_graph"
echo "target: hearth web big.cpu peak RSS under 1.5 GB: $(mb "$WEB_BIG_RSS") MB, $v_web_rss"

# ---- docs/BENCHMARKS.md ------------------------------------------------------
if [ "$DOC" != - ]; then
	commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
	# Several people build in one tree: name the sources that differ from
	# the commit, since the binary was built from the working tree.
	dirty=$(git status --porcelain -- lib src include Makefile 2>/dev/null |
		awk '{ print $2 }' | paste -sd, - | sed 's/,/, /g')
	[ -n "$dirty" ] && dirty=", plus uncommitted changes to $dirty"
	mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	flags="make bench"
	[ "${BENCH_PPROF_SERIES:-0}" = 1 ] && flags="BENCH_PPROF_SERIES=1 $flags"
	[ "${BENCH_PPROF_BIG:-0}" = 1 ] && flags="BENCH_PPROF_BIG=1 $flags"
	{
		echo "# Benchmarks"
		echo
		echo "Figures of one run of \`make bench\` (\`bench/run.sh\`), which rewrites this page."
		echo "Every figure was measured in that run unless it is in *italics*."
		echo
		echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "- machine: $(nproc) cores ($cpu), $mem of memory, $(uname -sr)"
		echo "- hearth: commit $commit$dirty; \`-O2 -g\`"
		echo "- pprof: \`go tool pprof\` of $(go version 2>/dev/null | awk '{ print $3 }')"
		echo "- invocation: \`$flags\`; each hearth and gunzip command ran $RUNS time(s), pprof"
		echo "  once; inputs were read once beforehand, so they came from the page cache"
		echo "- load average (1, 5, 15 min) at the start: $LOAD_START; at the end: $LOAD_END."
		echo "  Other work on the machine lengthens wall times; CPU times (user + system)"
		echo "  are less affected"
		echo "- GNU time: wall clock (\`%e\`), CPU (\`%U\` + \`%S\`), peak resident set size (\`%M\`);"
		echo "  the median wall and CPU times of the runs, the largest RSS"
		echo
		echo "## Results"
		echo
		echo "| command | wall (s) | CPU (s) | peak RSS (MB) | note |"
		echo "|---|---:|---:|---:|---|"
		for r in "${ROWS[@]}"; do
			IFS='|' read -r l w c k n ref <<<"$r"
			k=$(mb "$k")
			[ -n "$ref" ] && w="*$w*" && k="*$k*"
			echo "| \`$l\` | $w | $c | $k | $n |"
		done
		echo
		echo "Inputs, in \`../shared/bench/\` (see its README): mid.cpu and mid.heap have 100,000"
		echo "samples over 5,000 functions (mid.heap has four sample types), big.cpu has"
		echo "1,000,000 samples over 20,000 functions (50 MB gzipped, 75 MB raw). The series is"
		echo "a day of one-a-minute CPU profiles, \`gen-profile $SERIES_ARGS\`:"
		echo "$nseries files, $series_mb MB, 3,000 samples each; \`hearth top\` merges all of them into"
		echo "one report."
		echo
		if [ ${#WEB_ROWS[@]} -gt 0 ]; then
			echo "## hearth web in the browser"
			echo
			echo "\`bench/web.js\` in headless Chromium (playwright-core): the time from navigation to"
			echo "the end of the first flame graph draw (first: a fresh page; the server computed"
			echo "the default graph when it started; warm: a second navigation), the slowest redraw of a click's zoom and of a hover,"
			echo "the size of \`/api/flame\`, and the server's peak RSS (VmHWM). For pprof, the time"
			echo "from navigation to the load event of its flame graph page, and that page's size."
			echo "The call graph: from navigation to the SVG shown at its first scale (the server lays"
			echo "it out on that first request), and its nodes."
			echo
			echo "| server | first paint (ms) | warm (ms) | zoom max (ms) | hover max (ms) | payload (bytes) | peak RSS (MB) | call graph (ms) | graph nodes |"
			echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
			for r in "${WEB_ROWS[@]}"; do
				IFS='|' read -r l a b c d e g gm gn <<<"$r"
				echo "| $l | $a | $b | $c | $d | $e | $g | $gm | $gn |"
			done
			echo
		fi
		echo "## Ratios"
		echo
		echo "| input | pprof time / hearth time | pprof RSS / hearth RSS | pprof figures |"
		echo "|---|---:|---:|---|"
		for r in "${ratio_lines[@]}"; do
			IFS='|' read -r l t k n <<<"$r"
			echo "| $l | $t | $k | $n |"
		done
		echo
		echo "## Targets"
		echo
		echo "| target | measured | verdict |"
		echo "|---|---|---|"
		echo "| \`hearth top big.cpu\` within ${TARGET_BIG_RATIO}x of \`gunzip -c big.cpu\` (wall, median of alternated pairs) | ${big_ratio}x (${bw} s against ${gw} s; hearth CPU ${bc} s) | $v_big_time |"
		echo "| \`hearth top big.cpu\` under $(mb "$TARGET_BIG_RSS_KB") MB | $(mb "$br") MB | $v_big_rss |"
		echo "| \`hearth top\` of the $nseries-file series under ${TARGET_SERIES_S} s | ${sw} s (CPU ${sc} s) | $v_series_time |"
		echo "| \`hearth top\` of the $nseries-file series under $(mb "$TARGET_SERIES_RSS_KB") MB | $(mb "$sr") MB | $v_series_rss |"
		echo "| \`hearth flame\` and \`flame -html\` on big.cpu under ${TARGET_FLAME_S} s | ${fmax} s | $v_flame_time |"
		echo "| \`hearth flame\` on big.cpu under 1 GB | $(mb "$fmaxr") MB | $v_flame_rss |"
		echo "| \`hearth flame -html\` page on big.cpu under 15 MB | $fhs bytes | $v_flame_size |"
		echo "| \`hearth web\` big.cpu: first flame paint within 2 s of navigation | $WEB_BIG_FP ms | $v_web_fp |"
		echo "| \`hearth web\` big.cpu: zoom and hover redraws within 50 ms | zoom $WEB_BIG_ZOOM ms, hover $WEB_BIG_HOVER ms | $v_web_redraw |"
		echo "| \`hearth web\` big.cpu: \`/api/flame\` under 10 MB | $WEB_BIG_BYTES bytes | $v_web_bytes |"
		echo "| \`hearth web\` big.cpu: the call graph shown within 2 s of navigation | $WEB_BIG_GRAPH ms | $v_web_graph |"
		echo "| \`hearth web\` big.cpu: peak RSS under 1.5 GB | $(mb "$WEB_BIG_RSS") MB | $v_web_rss |"
		echo
		echo "\`gunzip -c\` is the floor for big.cpu: any reader has to inflate the 75 MB"
		echo "before it can decode them, and \`gunzip -c >/dev/null\` does nothing else."
		# A hand-written analysis between these markers survives the
		# rewrite; it says which commit it was made at.
		if [ -f "$DOC" ] && grep -q '^<!-- analysis -->' "$DOC"; then
			echo
			sed -n '/^<!-- analysis -->/,/^<!-- \/analysis -->/p' "$DOC"
		fi
		if [ -s "$WORK/store.md" ]; then
			echo
			cat "$WORK/store.md"
		fi
		if [ -s "$WORK/store_pg.md" ]; then
			echo
			cat "$WORK/store_pg.md"
		fi
		if [ -s "$WORK/store_objects.md" ]; then
			echo
			cat "$WORK/store_objects.md"
		fi
		if [ -s "$WORK/scrape.md" ]; then
			echo
			cat "$WORK/scrape.md"
		fi
		if [ -s "$WORK/goclient.md" ]; then
			echo
			cat "$WORK/goclient.md"
		fi
		if [ -s "$WORK/trace.md" ]; then
			echo
			cat "$WORK/trace.md"
		fi
		if [ -s "$WORK/webmem.md" ]; then
			echo
			cat "$WORK/webmem.md"
		fi
		# make soak's figures (bench/soak.sh, not run by make bench) stay.
		if [ -f "$DOC" ] && grep -q '^<!-- soak -->' "$DOC"; then
			echo
			sed -n '/^<!-- soak -->/,/^<!-- \/soak -->/p' "$DOC"
		fi
		echo
		echo "## Reproducing"
		echo
		echo '```'
		echo "make bench                       # this page, in a few minutes"
		echo "BENCH_PPROF_BIG=1 make bench     # also pprof on big.cpu (~200 s, ~8 GB)"
		echo "BENCH_PPROF_SERIES=1 make bench  # also pprof on $SERIES_PPROF_N series files (~170 s, ~5 GB)"
		echo "BENCH_PPROF_WEB=0 make bench     # without pprof -http on mid.cpu (a few minutes)"
		echo '```'
		echo
		echo "\`make bench\` installs what is missing (\`make deps\`: Go, Debian's copy of pprof's"
		echo "Go package, GNU time), builds hearth, then runs \`bench/run.sh\`. The first run"
		echo "also builds \`../shared/tools/gen-profile\` and generates the series into"
		echo "\`bench-cache/\` next to the hearth binary (about a minute, 230 MB); later runs"
		echo "reuse it. \`BENCH_RUNS=N\` sets the runs per hearth command, \`BENCH_DOC=-\` leaves"
		echo "this page alone, \`BENCH_SHARED=DIR\` points to another copy of \`../shared\`."
	} >"$DOC.tmp" && mv "$DOC.tmp" "$DOC" && echo && echo "bench: wrote $DOC"
fi
exit $failed
