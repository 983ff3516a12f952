#!/bin/bash
# The store of hearth serve (lib/store/) under issue 9's targets, run by
# bench/run.sh (make bench) or alone:
#
#   bench/store.sh STORE_BENCH CACHE_DIR OUT_MD [HEARTH]
#
# STORE_BENCH is build/bench/store_bench (bench/store_bench.c, linked with
# libhearth: the store in-process, as hearth serve calls it).  Two days of
# one-a-minute CPU profiles of 20-60 KB gzipped are generated once into
# CACHE_DIR with ../shared/tools/gen-profile:
#   random      -funcs 600 -samples 1200 -depth 32 (gen-profile's defaults
#               otherwise): every sample a fresh random walk of up to 32
#               frames with a random numeric label; nearly no two samples
#               of a day alike, the worst case for rollups and storage;
#   repetitive  -funcs 1000 -samples 1500 -depth 10 -fanout 3 -labels=false:
#               stacks that recur from minute to minute, as in a service
#               doing the same work all day.
# Each day's files are put again day after day for the longer ranges.
# With HEARTH, ingest is also measured through the real server: `hearth
# serve` on loopback, `hey` posting one of the random day's files to
# /api/v1/push with 4 concurrent clients.
# Prints the figures and the targets; writes a Markdown section to OUT_MD.
#
# Environment: BENCH_STORE_KINDS (default "random repetitive"; "" runs only
# the server part), BENCH_STORE_PUSHES (default 3000), BENCH_STORE_DAYS (default 30; the random series gets 2),
# BENCH_STORE_SERIES (series of the RSS phase, default 10000),
# BENCH_SHARED (default ../shared).
set -u
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
	echo "usage: $0 STORE_BENCH CACHE_DIR OUT_MD [HEARTH]" >&2
	exit 2
fi
cd "$(dirname "$0")/.." || exit 1
SB=$1
CACHE=$2
OUT=$3
HEARTH=${4:-}
SHARED=${BENCH_SHARED:-$PWD/../shared}
DAYS=${BENCH_STORE_DAYS:-30}
NSERIES=${BENCH_STORE_SERIES:-10000}
GEN=$CACHE/gen-profile
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$CACHE" || exit 1
if [ ! -x "$GEN" ] || [ "$SHARED/tools/gen-profile/main.go" -nt "$GEN" ]; then
	"$SHARED/tools/gen-profile/build.sh" "$GEN" || exit 1
fi
declare -A ARGS=(
	[random]="-funcs 600 -samples 1200 -depth 32"
	[repetitive]="-funcs 1000 -samples 1500 -depth 10 -fanout 3 -labels=false"
)
declare -A R
failed=0
for kind in ${BENCH_STORE_KINDS:-random repetitive}; do
	dir=$CACHE/store-$kind-n1440
	if [ ! -e "$dir/.complete" ]; then
		echo "bench: generating the $kind day into $dir ..."
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp" && "$GEN" ${ARGS[$kind]} -series 1440 -o "$dir.tmp" >/dev/null &&
			touch "$dir.tmp/.complete" && mv "$dir.tmp" "$dir" || exit 1
	fi
	days=$DAYS
	series=$NSERIES
	if [ "$kind" = random ]; then
		days=$((DAYS < 2 ? DAYS : 2))
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-store-bench.XXXXXX") || exit 1
	echo "bench: store, $kind day x $days, $series series ..."
	if ! "$SB" "$dir" "$work/data" "$days" "$series" >"$work/out" 2>"$work/err"; then
		echo "bench: store_bench failed on $kind:" >&2
		tail -n 5 "$work/err" >&2
		failed=1
	fi
	while read -r k v; do
		R[$kind.$k]=$v
	done <"$work/out"
	rm -rf "$work"
done

# ---- through the server: hearth serve and hey ----------------------------
SRV_RPS=NaN SRV_CPU=NaN SRV_RSS=NaN SRV_OK=NaN SRV_LOAD=NaN SRV_N=${BENCH_STORE_PUSHES:-3000}
if [ -n "$HEARTH" ] && command -v hey >/dev/null; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-serve-bench.XXXXXX") || exit 1
	file=$(ls "$CACHE/store-random-n1440/"*.pb.gz | head -n 1)
	tok=$("$HEARTH" token create -data="$work/data" -tenant=bench | tail -n 1)
	"$HEARTH" serve -listen=127.0.0.1:0 -data="$work/data" -rate_limit=0 \
		>"$work/out" 2>"$work/err" &
	pid=$!
	url=
	for _ in $(seq 1 300); do
		url=$(grep -o 'http://[0-9.:]*' "$work/out" 2>/dev/null | head -n 1)
		[ -n "$url" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -n "$url" ]; then
		echo "bench: store, through hearth serve: hey -n $SRV_N -c 4 POST /api/v1/push ..."
		# CPU of the server process (utime + stime, clock ticks).
		t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
		SRV_LOAD=$(cut -d' ' -f1 /proc/loadavg)
		hey -n "$SRV_N" -c 4 -m POST -T application/octet-stream -D "$file" \
			-H "Authorization: Bearer $tok" "$url/api/v1/push?service=bench" >"$work/hey" 2>&1
		t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
		SRV_LOAD="$SRV_LOAD to $(cut -d' ' -f1 /proc/loadavg)"
		tck=$(getconf CLK_TCK)
		SRV_RPS=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$work/hey")
		SRV_OK=$(awk '/\[200\]/ { print $2 }' "$work/hey")
		SRV_OK=${SRV_OK:-0}
		SRV_CPU=$(awk "BEGIN { printf \"%.2f\", ($t1 - $t0) * 1000 / $tck / $SRV_N }")
		SRV_RSS=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	else
		echo "bench: hearth serve did not start: $(head -n 1 "$work/err")" >&2
		failed=1
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -rf "$work"
fi

g() { echo "${R[$1]:-NaN}"; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
verdict() { # value target [ge]
	if [ "$1" = NaN ]; then
		echo "not measured"
	elif awk "BEGIN { exit !(${3:+-}($1) <= ${3:+-}($2)) }"; then
		echo met
	else
		echo "**missed**"
	fi
}
# Profiles per second two cores could take if they did nothing else: the
# CPU of a parse and a put per profile, spread over both.
cap() { awk "BEGIN { p = $1 + $2; if (p > 0) printf \"%.0f\", 2000 / p; else print \"NaN\" }"; }

LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "## The service's store"
	echo
	echo "Load average of the machine: $LOAD0 at the start of the run, $LOAD1 at its end."
	echo
	echo "\`bench/store.sh\` runs \`bench/store_bench\` (bench/store_bench.c): lib/store/ in-process,"
	echo "as \`hearth serve\` calls it (the HTTP layer is not in these figures). Four threads parse"
	echo "(\`hearth_parse\`) and put a day of one-a-minute CPU profiles into one series; the same"
	echo "files are then put again for each further day. Merges run three times, the median"
	echo "is shown, wall and CPU of the calling thread. Two days of profiles from"
	echo "\`../shared/tools/gen-profile\`:"
	echo
	echo "- **random** (\`${ARGS[random]}\`): $(g random.file_gz_bytes_avg) bytes gzipped and $(g random.file_samples) samples per"
	echo "  profile; every sample a fresh random walk with a random numeric label, so a day"
	echo "  holds $(g random.merge_day_norollup_samples) distinct samples: rollups cannot shrink it, and none are built;"
	echo "- **repetitive** (\`${ARGS[repetitive]}\`): $(g repetitive.file_gz_bytes_avg) bytes gzipped, $(g repetitive.file_samples) samples; the"
	echo "  stacks recur all day ($(g repetitive.merge_day_samples) distinct in a day), as in a service doing the same work."
	echo
	echo "| figure | random | repetitive |"
	echo "|---|---:|---:|"
	for k in ingest_day_per_s ingest_day_put_cpu_ms ingest_day_parse_cpu_ms bytes_per_profile bytes_ratio_pct \
		bytes_ratio_rollups_pct merge_day_norollup_ms merge_day_norollup_cpu_ms compact_day_s \
		merge_day_ms merge_day_cpu_ms merge_day_nolabels_ms merge_day_nolabels_cpu_ms \
		merge_day_nolabels_samples merge_24h_unaligned_ms merge_24h_unaligned_cpu_ms \
		ingest_more_per_s compact_more_s merge_week_ms merge_week_cpu_ms merge_week_nolabels_ms \
		merge_week_nolabels_cpu_ms merge_30d_ms merge_30d_cpu_ms merge_30d_nolabels_ms \
		merge_30d_nolabels_cpu_ms \
		series_week_ms label_values_${NSERIES}_series_ms rss_series_kb rss_peak_kb; do
		echo "| \`$k\` | $(g random.$k) | $(g repetitive.$k) |"
	done
	echo
	echo "Keys: \`ingest_*_per_s\` profiles per second (wall, 4 threads); \`*_cpu_ms\` CPU time of"
	echo "one parse or put; \`bytes_ratio_pct\` the database (file and WAL) per profile over the"
	echo "day against the gzipped file, without and with rollups; \`merge_*\` a merge of the"
	echo "range into one profile with every sample type (\`_norollup\` before compaction;"
	echo "\`_nolabels\` by stack alone, the samples' labels left out, as hearth serve merges"
	echo "for the views that show no labels; the random day's \`merge_week\` covers its 2 days);"
	echo "\`compact_*_s\` building the rollups; \`series_week_ms\` totals per minute over a week;"
	echo "\`rss_*\` after putting $NSERIES series of one profile each (VmRSS; VmHWM for the whole run)."
	echo
	echo "### Targets (issue 9)"
	echo
	echo "| target | random | repetitive |"
	echo "|---|---|---|"
	row() { # label key target [ge]
		local a b
		a=$(g random.$2) b=$(g repetitive.$2)
		echo "| $1 | $a: $(verdict "$a" "$3" ${4:-}) | $b: $(verdict "$b" "$3" ${4:-}) |"
	}
	echo "| ingest ≥ 1000 profiles/s through \`hearth serve\` (hey, 4 clients, one random file $SRV_N times) | $SRV_RPS/s ($SRV_OK answered 200; server CPU $SRV_CPU ms a push; peak RSS $SRV_RSS KB; load average $SRV_LOAD): $(verdict "$SRV_RPS" 1000 ge) | |"
	row "ingest ≥ 1000 profiles/s, 4 clients in-process (wall, this run)" ingest_day_per_s 1000 ge
	echo "| ingest: what two idle cores could take (2000 ms / CPU ms of parse + put) | $(cap "$(g random.ingest_day_parse_cpu_ms)" "$(g random.ingest_day_put_cpu_ms)")/s | $(cap "$(g repetitive.ingest_day_parse_cpu_ms)" "$(g repetitive.ingest_day_put_cpu_ms)")/s |"
	row "stored bytes ≤ 25 % of gzipped, a day of one series (with rollups)" bytes_ratio_rollups_pct 25
	row "merge of a day (1440 profiles) ≤ 250 ms (wall)" merge_day_ms 250
	row "merge of a day, CPU" merge_day_cpu_ms 250
	row "merge of a day by stack alone (flame graph, top), CPU" merge_day_nolabels_cpu_ms 250
	row "merge of a week ≤ 1 s (wall, ms)" merge_week_ms 1000
	row "merge of a week, CPU (ms)" merge_week_cpu_ms 1000
	row "merge of 30 days ≤ 3 s (wall, ms)" merge_30d_ms 3000
	row "merge of 30 days, CPU (ms)" merge_30d_cpu_ms 3000
	row "series over a week ≤ 100 ms" series_week_ms 100
	row "RSS ≤ 1 GB with $NSERIES series (KB)" rss_series_kb 1048576
} >"$OUT"
cat "$OUT"
exit $failed
