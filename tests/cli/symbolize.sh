#!/bin/sh
# Local symbolization against `go tool pprof`, on a Go program of our own
# (tests/subjects/hotloop: a CPU-hot function with inlined helpers, and
# allocations through an inlined call):
#
#   - built normally, stripped (-ldflags=-s -w: the pclntab only) and with
#     -trimpath, each run once for its heap?debug=1 text (addresses only) and
#     a CPU profile re-encoded without functions (strip_functions.py);
#     `hearth top BINARY PROFILE` (also -lines, traces) equals
#     `go tool pprof -top BINARY PROFILE` byte for byte;
#   - a binary whose build id differs from the profile's: one warning line on
#     stderr, and the addresses are left unsymbolized (pprof's -symbolize=none
#     output; go tool pprof itself would print the other program's names);
#   - a binary without section headers (the pclntab found by its magic);
#   - binaries found under $HEARTH_BINARY_PATH and $PPROF_BINARY_PATH by
#     build id; -symbolize=none.
#
#   tests/cli/symbolize.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed". SKIP (counted as passed) without go.
name=symbolize
. "$(dirname "$0")/gosubject.inc"
# same NAME -- HEARTH ARGS -- PPROF ARGS: the two stdouts are equal.
same() {
	name=$1
	shift 2
	h=""
	while [ "$1" != "--" ]; do h="$h $1"; shift; done
	shift
	# shellcheck disable=SC2086
	"$hearth" $h >"$tmp/h.out" 2>"$tmp/h.err"
	# shellcheck disable=SC2068
	go tool pprof $@ >"$tmp/g.out" 2>"$tmp/g.err"
	if [ ! -s "$tmp/g.out" ]; then
		bad "$name: go tool pprof gave nothing" "$tmp/g.err"
	elif cmp -s "$tmp/h.out" "$tmp/g.out"; then
		ok "$name"
	else
		diff "$tmp/g.out" "$tmp/h.out" >"$tmp/diff"
		cat "$tmp/h.err" >>"$tmp/diff"
		bad "$name" "$tmp/diff"
	fi
}

for v in normal stripped trim; do
	case $v in
	normal) gobuild "$tmp/hot.$v" || continue ;;
	stripped) gobuild "$tmp/hot.$v" "-ldflags=-s -w" || continue ;;
	trim) gobuild "$tmp/hot.$v" -trimpath || continue ;;
	esac
	b=$tmp/hot.$v
	if ! "$b" "$tmp/heap.$v.txt" "$tmp/cpu.$v.pb.gz" 1 >"$tmp/run.log" 2>&1 ||
		! python3 "$strip" "$tmp/cpu.$v.pb.gz" "$tmp/cpu.$v.bare.pb.gz" 2>>"$tmp/run.log"; then
		bad "$v: running the subject" "$tmp/run.log"
		continue
	fi
	heap=$tmp/heap.$v.txt
	cpu=$tmp/cpu.$v.bare.pb.gz
	same "$v heap top" -- top "$b" "$heap" -- -top "$b" "$heap"
	same "$v heap top -lines" -- top -lines "$b" "$heap" -- -top -lines "$b" "$heap"
	same "$v heap top -files" -- top -files "$b" "$heap" -- -top -files "$b" "$heap"
	same "$v heap traces" -- traces "$b" "$heap" -- -traces "$b" "$heap"
	same "$v heap -sample_index=alloc_space" -- top -sample_index=alloc_space "$b" "$heap" -- \
		-top -sample_index=alloc_space "$b" "$heap"
	same "$v cpu top" -- top "$b" "$cpu" -- -top "$b" "$cpu"
	same "$v cpu top -lines" -- top -lines "$b" "$cpu" -- -top -lines "$b" "$cpu"
	same "$v cpu top -noinlines" -- top -noinlines "$b" "$cpu" -- -top -noinlines "$b" "$cpu"
	same "$v heap -symbolize=none" -- top -symbolize=none "$b" "$heap" -- \
		-top -symbolize=none "$b" "$heap"
done

# Section headers gone (as sstrip leaves a file): the pclntab is found by its
# magic. The File: line names the other file; the rest is pprof's.
if [ -f "$tmp/hot.normal" ] && [ -f "$tmp/heap.normal.txt" ]; then
	python3 - "$tmp/hot.normal" "$tmp/hot.noshdr" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[0x28:0x30] = bytes(8)  # e_shoff
b[0x3C:0x40] = bytes(4)  # e_shnum, e_shstrndx
open(sys.argv[2], "wb").write(b)
PY
	for o in "" -lines; do
		"$hearth" top $o "$tmp/hot.noshdr" "$tmp/heap.normal.txt" 2>&1 | tail -n +2 >"$tmp/h.out"
		go tool pprof -top $o "$tmp/hot.normal" "$tmp/heap.normal.txt" 2>/dev/null |
			tail -n +2 >"$tmp/g.out"
		if [ -s "$tmp/g.out" ] && cmp -s "$tmp/h.out" "$tmp/g.out"; then
			ok "no section headers: pclntab by magic $o"
		else
			diff "$tmp/g.out" "$tmp/h.out" >"$tmp/diff"
			bad "no section headers: pclntab by magic $o" "$tmp/diff"
		fi
	done
fi

# Build ids: the profile comes from b1, b2 is the same program with another id.
id1=1111111111111111111111111111111111111111
id2=2222222222222222222222222222222222222222
mkdir -p "$tmp/gone" "$tmp/bins/$id1" "$tmp/flat"
if gobuild "$tmp/gone/hot" "-ldflags=-B 0x$id1" && gobuild "$tmp/hot.b2" "-ldflags=-B 0x$id2" &&
	"$tmp/gone/hot" "$tmp/h1.txt" "$tmp/c1.pb.gz" 1 >"$tmp/run.log" 2>&1 &&
	python3 "$strip" "$tmp/c1.pb.gz" "$tmp/c1.bare.pb.gz"; then
	c1=$tmp/c1.bare.pb.gz
	same "mismatching build id: addresses kept" -- top "$tmp/hot.b2" "$c1" -- \
		-top -symbolize=none "$tmp/hot.b2" "$c1"
	n=$(grep -c "build ID mismatch" "$tmp/h.err")
	if [ "$n" = 1 ] && [ "$(wc -l <"$tmp/h.err")" = 1 ]; then
		ok "mismatching build id: one warning line"
	else
		bad "mismatching build id: one warning line (got $n)" "$tmp/h.err"
	fi
	mv "$tmp/gone/hot" "$tmp/bins/$id1/hot"
	# The profile's own path is gone: the binary is found by build id.
	HEARTH_BINARY_PATH=$tmp/nowhere:$tmp/bins same "HEARTH_BINARY_PATH by build id" -- \
		top "$c1" -- -top "$tmp/bins/$id1/hot" "$c1"
	PPROF_BINARY_PATH=$tmp/bins same "PPROF_BINARY_PATH by build id" -- \
		top -lines "$c1" -- -top -lines "$tmp/bins/$id1/hot" "$c1"
	# A file of the right name with another build id is not taken.
	cp "$tmp/hot.b2" "$tmp/flat/hot"
	HEARTH_BINARY_PATH=$tmp/flat same "HEARTH_BINARY_PATH: wrong build id ignored" -- \
		top "$c1" -- -top -symbolize=none "$c1"
	if grep -q "Ignoring local file .*build-id mismatch" "$tmp/h.err"; then
		ok "HEARTH_BINARY_PATH: wrong build id said"
	else
		bad "HEARTH_BINARY_PATH: wrong build id said" "$tmp/h.err"
	fi
else
	bad "build-id subjects" "$tmp/run.log"
fi

echo "$pass passed, $fail failed"
