#!/bin/sh
# Regenerates the expected outputs of the golden tests from the reference,
# `go tool pprof`: for each line "<name> <command> <arguments...>" of
# tests/cli/cases.txt it runs `go tool pprof -<command> <arguments>` and keeps
# stdout as expected/<name>.out and stderr, when there is any, as
# expected/<name>.err.  Commit the outputs together with this script.
#
#   tests/cli/regen.sh [name...]     (all cases when no name is given)
set -eu
cd "$(dirname "$0")/../.."
. tests/cli/go.inc
command -v go >/dev/null || { echo "regen.sh: needs go (apt-get install golang-go)" >&2; exit 1; }
# pprof prints the profile's time in the local zone; the tests run in UTC.
export TZ=UTC
# Keep pprof from looking for binaries or symbol servers: the reports must
# come from the profile alone, as hearth's do.
export PPROF_BINARY_PATH=/nonexistent PPROF_TOOLS=/nonexistent
exp=tests/cli/expected
mkdir -p "$exp"
set -f # arguments are regexps, never globs
n=0
while read -r name cmd args; do
	case "$name" in '' | '#'*) continue ;; esac
	if [ $# -gt 0 ]; then
		want=false
		for x in "$@"; do [ "$x" = "$name" ] && want=true; done
		$want || continue
	fi
	# shellcheck disable=SC2086 # splitting the arguments is the point
	if ! go tool pprof -"$cmd" $args >"$exp/$name.out" 2>"$exp/$name.err" </dev/null; then
		echo "regen.sh: $name: go tool pprof failed:" >&2
		cat "$exp/$name.err" >&2
		exit 1
	fi
	[ -s "$exp/$name.err" ] || rm -f "$exp/$name.err"
	n=$((n + 1))
done <tests/cli/cases.txt
echo "regen.sh: wrote $n expected outputs into $exp"
