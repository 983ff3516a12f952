#!/bin/sh
# The whole test suite, as `make test` runs it:
#
#   tests/run.sh BUILD_DIR
#
#   unit/*       each cmocka binary BUILD_DIR/tests/test_* (one case per test)
#   cli          golden reports against `go tool pprof`, proto round trip
#   bad_input    damaged and hostile inputs, usage errors
#   reports      tree, peek, tags, raw, comments, callgrind, dot, list,
#                topproto against `go tool pprof` (tests/cli/reports.sh)
#   cli/<name>   any other tests/cli/<name>.sh BUILD_DIR (same contract)
#   conformance  ../shared/conformance against `go tool pprof` (needs go
#                and ../shared; skipped without them)
#   fuzz         a short libFuzzer run of each target in tests/fuzz (needs
#                clang's libFuzzer; skipped without it), built in
#                BUILD_DIR/fuzz
#
# Every suite ends its output with "N passed, M failed"; this script prints
# one line per suite, the failures, and as its last line the sums.  The exit
# status is nonzero when anything failed.  A suite's whole output is kept in
# BUILD_DIR/test-logs/<suite>.log.
#
# Environment: SKIP="fuzz conformance ..." leaves suites out; FUZZ_SECONDS
# sets the length of each fuzz run (default 5); LANES=1 runs every suite one
# after the other.
#
# Two lanes (the default): the suites that mostly wait (scrape's outage and
# intervals, the PostgreSQL and Ceph servers starting) and the fuzz runs go
# one after the other in a second lane beside the rest, so that a machine
# with two cores is kept busy; the two lanes' suites start no shared server
# (each starts its own on loopback in its own directory).  A lane's lines are
# printed when it ends.
set -u
cd "$(dirname "$0")/.."
# Every suite, the unit tests and conformance too, compare with the newest
# Go's pprof (tests/cli/go.inc).
. tests/cli/go.inc
build=${1:?usage: tests/run.sh BUILD_DIR}
skip=" ${SKIP:-} "

# Sanitizer reports must fail the run, leaks included, and must not pass for
# the "bad input" status 1 of hearth.
# (Not strict_string_checks: it takes strndup's argument for a C string and
# reports reads that strndup never makes.)
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:exitcode=86:abort_on_error=0:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}"
export TZ=UTC

logs=$build/test-logs
mkdir -p "$logs"
rm -f "$logs"/*.log
total_pass=0
total_fail=0
start_all=$(date +%s)

# suite NAME COMMAND...: runs a suite, which must end with "N passed, M
# failed"; a suite that ends otherwise, or exits nonzero with no failure
# counted, counts as one failure more.
suite() {
	name=$1
	shift
	case "$skip" in *" $name "* | *" ${name%%/*} "*)
		printf '%-28s skipped (SKIP)\n' "$name"
		return
		;;
	esac
	log=$logs/$(echo "$name" | tr / _).log
	t0=$(date +%s)
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - t0))
	last=$(tail -n 1 "$log")
	p=$(echo "$last" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1/p')
	f=$(echo "$last" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		p=0 f=1
		echo "$name: no \"N passed, M failed\" line (exit status $rc)" >>"$log"
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "$name: exit status $rc with no failure counted" >>"$log"
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	printf '%-28s %5d passed, %3d failed  %4ds\n' "$name" "$p" "$f" "$secs"
	if [ "$f" -ne 0 ]; then
		# The failures, not the whole log: FAIL lines with their details.
		grep -E -A3 '^(FAIL|not ok|#.*(FAIL|Error|error)|.*Sanitizer|==[0-9]+==)' "$log" |
			head -n 60 | sed 's/^/    /'
		tail -n 3 "$log" | sed 's/^/    /'
		echo "    (whole output: $log)"
	fi
}

# unit BINARY: a cmocka binary in TAP mode; a crash counts the tests it did
# not get to as failed.
unit() {
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 10 300 "$1" 2>&1)
	rc=$?
	echo "$out"
	plan=$(echo "$out" | sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' | head -n 1)
	ok=$(echo "$out" | grep -c '^ok ')
	nok=$(echo "$out" | grep -c '^not ok ')
	if [ -n "$plan" ] && [ $((ok + nok)) -lt "$plan" ]; then
		nok=$((plan - ok))
	fi
	if [ $rc -ne 0 ] && [ "$nok" -eq 0 ]; then
		nok=1
	fi
	echo "$ok passed, $nok failed"
}

conformance() {
	python3 ../shared/conformance/pprof_conformance.py --hearth "$build/hearth" --binaries
}

# The fuzz targets need clang with libFuzzer.  They build in BUILD_DIR/fuzz
# (not build-fuzz/, which `make fuzz` uses), so that test runs in several
# build directories at once do not share objects or corpora.
have_libfuzzer() {
	command -v clang >/dev/null 2>&1 || return 1
	echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){return 0;}' |
		clang -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1
}
fuzz() {
	FUZZ_BUILD=$build/fuzz
	export FUZZ_BUILD
	make --no-print-directory -f tests/fuzz/Makefile FUZZ_BUILD="$FUZZ_BUILD" fuzz-build || {
		echo "0 passed, 1 failed"
		return 1
	}
	tests/fuzz/run.sh short
}

# cli_suite NAME: tests/cli/NAME.sh as suite cli/NAME.
cli_suite() {
	s=tests/cli/$1.sh
	if [ -x "$s" ]; then
		suite "cli/$1" "$s" "$build"
	else
		suite "cli/$1" sh "$s" "$build"
	fi
}

have_conformance() {
	command -v go >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 &&
		[ -f ../shared/conformance/pprof_conformance.py ]
}

# The second lane: its suites, in order (the longest first).
lane2="scrape serve_pg objects metrics_ds goclient"
in_lane2() {
	case " $lane2 " in *" $1 "*) return 0 ;; esac
	return 1
}
run_lane2() {
	for n in $lane2; do
		[ -f "tests/cli/$n.sh" ] && cli_suite "$n"
	done
	if have_libfuzzer; then
		suite fuzz fuzz
	else
		printf '%-28s skipped (needs clang with libFuzzer)\n' fuzz
	fi
	echo "$total_pass $total_fail" >"$logs/lane2.sums"
}
if [ "${LANES:-2}" -ge 2 ]; then
	run_lane2 >"$logs/lane2.out" 2>&1 &
	lane2_pid=$!
else
	lane2_pid=
fi

found=false
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	found=true
	suite "unit/${t##*/}" unit "$t"
done
$found || echo "no unit test binaries in $build/tests (make builds them)"
suite cli tests/cli/run.sh "$build"
suite bad_input tests/cli/bad_input.sh "$build"
suite reports tests/cli/reports.sh "$build"
# Any other suite under tests/cli follows the same contract (regen.sh is
# no suite; the ones above have run).
for s in tests/cli/*.sh; do
	n=${s##*/}
	n=${n%.sh}
	case "$n" in run | bad_input | reports | regen) continue ;; esac
	[ -n "$lane2_pid" ] && in_lane2 "$n" && continue
	cli_suite "$n"
done
if have_conformance; then
	suite conformance conformance
else
	printf '%-28s skipped (needs go, python3 and ../shared)\n' conformance
fi
if [ -n "$lane2_pid" ]; then
	wait "$lane2_pid"
	cat "$logs/lane2.out"
	if read -r p f <"$logs/lane2.sums" 2>/dev/null; then
		total_pass=$((total_pass + p))
		total_fail=$((total_fail + f))
	else
		echo "the second lane ended without its sums"
		total_fail=$((total_fail + 1))
	fi
else
	run_lane2
fi

echo "all suites: $(($(date +%s) - start_all))s"
echo "$total_pass passed, $total_fail failed"
[ $total_fail -eq 0 ]
