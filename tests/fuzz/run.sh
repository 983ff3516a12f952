#!/bin/sh
# Runs each libFuzzer target built by tests/fuzz/Makefile (make fuzz):
#
#   tests/fuzz/run.sh short    about 5 s per target (make test)
#   tests/fuzz/run.sh long     5 min per target (make fuzz-long)
#
# FUZZ_SECONDS overrides the time per target, FUZZ_BUILD the directory the
# targets were built in (build-fuzz; tests/run.sh uses BUILD_DIR/fuzz).
# Each target starts from the seeds (tests/data and tests/fuzz/regress,
# which libFuzzer runs first, so a regression fails at once) and grows its
# own corpus in $FUZZ_BUILD/corpus/<target>/, kept between runs.  A crash
# leaves its input in $FUZZ_BUILD/crashes/; fix it, then add the input to
# tests/fuzz/regress/ so it stays fixed.
#
# Ends with "N passed, M failed": a target passes when its run finds
# nothing.
set -u
cd "$(dirname "$0")/../.."
mode=${1:-short}
case "$mode" in
short) secs=${FUZZ_SECONDS:-5} ;;
long) secs=${FUZZ_SECONDS:-300} ;;
*)
	echo "usage: tests/fuzz/run.sh short|long" >&2
	exit 2
	;;
esac
dir=${FUZZ_BUILD:-build-fuzz}
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
pass=0
fail=0
found=false
mkdir -p "$dir/crashes"
for t in "$dir"/fuzz_*; do
	[ -x "$t" ] || continue
	found=true
	name=${t##*/}
	mkdir -p "$dir/corpus/$name"
	log=$dir/$name.log
	# -timeout: one input may take at most 10 s; -rss_limit_mb: the
	# target's reader caps a profile at 64 MB, so 2.5 GB is a leak or a
	# runaway allocation.
	"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2560 \
		-artifact_prefix="$dir/crashes/$name-" -print_final_stats=1 \
		"$dir/corpus/$name" "$dir/seed" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok   $name: ${execs:-?} runs in ${secs}s"
	else
		fail=$((fail + 1))
		echo "FAIL $name: exit status $rc (log: $log)"
		grep -E -A12 '^==[0-9]+==|runtime error|Test unit written|ERROR: libFuzzer' "$log" |
			head -n 40 | sed 's/^/     /'
	fi
done
$found || echo "no fuzz targets in $dir (make fuzz builds them)"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
