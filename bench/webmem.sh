#!/bin/bash
# hearth web's memory under hostile and large profiles (issue 14's bench):
# the server's peak (VmHWM) and idle (VmRSS after the requests) memory,
# and each request's time, after the heaviest views of
#   - a 42 KB profile with 40 function names of 1 MB each, and
#   - a profile of 300,000 distinct frames
# (both written by tests/cli/mkprofile.py, kept in bench-cache/ next to the
# hearth binary).  The call graphs' layouts run in a child process
# (server/layout.c), not counted in the server's figures.  Run by
# bench/run.sh (make bench) or alone:
#
#   bench/webmem.sh HEARTH OUT_MD
set -u
if [ $# -ne 2 ]; then
	echo "usage: $0 HEARTH OUT_MD" >&2
	exit 2
fi
cd "$(dirname "$0")/.." || exit 1
H=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cache=$(dirname "$H")/bench-cache
mkdir -p "$cache"
[ -s "$cache/bignames.pb.gz" ] || python3 tests/cli/mkprofile.py bignames "$cache/bignames.pb.gz" || exit 1
[ -s "$cache/frames300k.pb.gz" ] || python3 tests/cli/mkprofile.py frames "$cache/frames300k.pb.gz" 300000 || exit 1
exec python3 bench/webmem.py "$H" "$2" "$cache/bignames.pb.gz" "$cache/frames300k.pb.gz"
