#!/bin/sh
# Local symbolization of a C program (tests/subjects/chot), outside Go's
# pclntab: DWARF line tables with inlined frames, and the ELF symbol table
# when the program has no debug information.  The reference is binutils, the
# tools google/pprof itself runs for this: addr2line -f -i for the frames of
# every address, nm for the symbol that holds it.  The profile is real: the
# program runs under gperftools' profiler (CPUPROFILE), which writes the
# legacy CPU format with the process's memory map.
#
#   tests/cli/symbolize_c.sh BUILD_DIR
#
# Ends with "N passed, M failed".  SKIP without gcc, libprofiler or binutils.
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/symbolize_c.sh BUILD_DIR}
H=$PWD/$build/hearth
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

for t in gcc addr2line nm strip python3; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "SKIP: no $t"
		echo "0 passed, 0 failed"
		exit 0
	fi
done
# -O2 inlines inner() into middle(); -g keeps the DWARF that says so.
if ! gcc -O2 -g -o "$tmp/hot" tests/subjects/chot/hot.c -Wl,--no-as-needed -lprofiler \
	2>"$tmp/gcc.log"; then
	echo "SKIP: cannot link with gperftools' libprofiler: $(head -n 1 "$tmp/gcc.log")"
	echo "0 passed, 0 failed"
	exit 0
fi
CPUPROFILE="$tmp/hot.prof" CPUPROFILE_FREQUENCY=1000 "$tmp/hot" 8000000 >/dev/null 2>&1
strip --strip-debug -o "$tmp/hot.nodebug" "$tmp/hot"
python3 tests/cli/symbolize_c_check.py "$H" "$tmp"
