#!/bin/sh
# CLI golden tests: hearth's reports against `go tool pprof`'s, recorded by
# tests/cli/regen.sh in tests/cli/expected/, and the proto round trip (what
# `hearth proto` writes, read back by pprof, gives pprof's report of the
# original).  Needs only the repository; the round trip also needs go and is
# skipped without it.
#
#   tests/cli/run.sh BUILD_DIR [-v]
#
# Prints a line per failure and ends with "N passed, M failed".
#
# Normalisation: none.  Both sides run with TZ=UTC, since the "Time:" header
# is printed in the local zone by pprof and hearth alike; the comparison is
# byte for byte on stdout, and on stderr (warnings such as "Focus expression
# matched no samples", empty unless expected/<name>.err exists).
set -u
cd "$(dirname "$0")/../.."
. tests/cli/go.inc
build=${1:?usage: tests/cli/run.sh BUILD_DIR [-v]}
verbose=false
[ "${2:-}" = "-v" ] && verbose=true
hearth=$build/hearth
export TZ=UTC
export PPROF_BINARY_PATH=/nonexistent PPROF_TOOLS=/nonexistent
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
pass=0
fail=0

ok() {
	pass=$((pass + 1))
	$verbose && echo "ok   $1"
	return 0
}

# bad NAME EXPECTED GOT: reports a failure with the first lines of the diff.
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	diff -u "$2" "$3" | sed -n '3,20s/^/     /p'
}

# Golden cases.
set -f
exp=tests/cli/expected
while read -r name cmd args; do
	case "$name" in '' | '#'*) continue ;; esac
	# shellcheck disable=SC2086 # splitting the arguments is the point
	timeout 60 "$hearth" "$cmd" $args >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	[ -f "$exp/$name.err" ] && cp "$exp/$name.err" "$tmp/experr" || : >"$tmp/experr"
	if [ ! -f "$exp/$name.out" ]; then
		fail=$((fail + 1))
		echo "FAIL $name: no $exp/$name.out (run tests/cli/regen.sh $name)"
	elif [ $rc -ne 0 ]; then
		fail=$((fail + 1))
		echo "FAIL $name: hearth exited $rc: $(head -c 300 "$tmp/err")"
	elif ! cmp -s "$exp/$name.out" "$tmp/out"; then
		bad "$name" "$exp/$name.out" "$tmp/out"
	elif ! cmp -s "$tmp/experr" "$tmp/err"; then
		bad "$name (stderr)" "$tmp/experr" "$tmp/err"
	else
		ok "$name"
	fi
done <tests/cli/cases.txt
set +f

# Proto round trip: `go tool pprof -<report> X` must equal
# `go tool pprof -<report> [options] SOURCES` for X written by
# `hearth proto -output=X [options] SOURCES`.
roundtrip() {
	name=$1
	shift
	if ! timeout 60 "$hearth" proto -output="$tmp/rt.pb.gz" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; then
		fail=$((fail + 1))
		echo "FAIL proto $name: hearth exited $?: $(head -c 300 "$tmp/err")"
		return
	fi
	for report in top traces; do
		go tool pprof -$report "$@" >"$tmp/want" 2>&1 </dev/null
		go tool pprof -$report "$tmp/rt.pb.gz" >"$tmp/got" 2>&1 </dev/null
		if cmp -s "$tmp/want" "$tmp/got"; then
			ok "proto $name ($report)"
		else
			bad "proto $name ($report)" "$tmp/want" "$tmp/got"
		fi
	done
}

if command -v go >/dev/null 2>&1; then
	for f in tests/data/*.pb.gz; do
		roundtrip "$(basename "$f")" "$f"
	done
	roundtrip "merged series" tests/data/leaky.series.01.cpu.pb.gz tests/data/leaky.series.02.cpu.pb.gz
	roundtrip "-base" -base=tests/data/searchsvc.base.heap.pb.gz tests/data/searchsvc.heap.pb.gz
else
	echo "skip proto round trip: go is not installed"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
