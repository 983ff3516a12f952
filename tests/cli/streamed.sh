#!/bin/sh
# Large gzipped profiles are inflated on a thread of their own while the
# samples are decoded (lib/io.c, hearth_proto_decode_stream); this checks
# that the path gives what the usual one gives, on profiles large enough to
# take it (over 4 MB decompressed: ../shared/bench's mid.cpu and mid.heap):
#
#   - `hearth proto` of the gzipped file writes the same bytes as of its
#     gunzipped copy (which is decoded in two passes, the path conformance
#     checks against go tool pprof); top, tags and a tag filter agree too;
#   - a merge of two of them (whose strings stay as written) likewise;
#   - gzip files the fast path leaves to the usual one read as before: two
#     members and trailing bytes are read; a trailer that lies about the
#     size, a damaged checksum and a truncated file give the gzip errors;
#     a gzipped text in another format (folded stacks) is read as such.
#
#   tests/cli/streamed.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed". SKIP (counted as passed) without
# ../shared/bench.
name=streamed
. "$(dirname "$0")/suite.inc"
bench=${BENCH_SHARED:-$PWD/../shared}/bench
if [ ! -r "$bench/mid.cpu.pb.gz" ] || [ ! -r "$bench/mid.heap.pb.gz" ]; then
	echo "streamed: SKIP (needs $bench/mid.cpu.pb.gz and mid.heap.pb.gz)"
	echo "0 passed, 0 failed"
	exit 0
fi

# same WHAT ARGS_A -- ARGS_B: the two commands' stdout, stderr and status agree.
same() {
	what=$1
	shift
	a=""
	while [ "$1" != -- ]; do
		a="$a $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	"$hearth" $a >"$tmp/a.out" 2>"$tmp/a.err"
	sa=$?
	"$hearth" "$@" >"$tmp/b.out" 2>"$tmp/b.err"
	sb=$?
	sed "s|$tmp/||g" "$tmp/a.err" >"$tmp/a.e"
	sed "s|$tmp/||g" "$tmp/b.err" >"$tmp/b.e"
	if [ $sa -eq 0 ] && [ $sa -eq $sb ] && cmp -s "$tmp/a.out" "$tmp/b.out" && [ -s "$tmp/a.out" ]; then
		ok "$what"
	else
		diff "$tmp/a.out" "$tmp/b.out" >"$tmp/diff" 2>&1
		cat "$tmp/a.e" "$tmp/b.e" >>"$tmp/diff"
		bad "$what (status $sa and $sb)" "$tmp/diff"
	fi
}

for kind in cpu heap; do
	gz=$bench/mid.$kind.pb.gz
	plain=$tmp/mid.$kind.pb
	gunzip -c "$gz" >"$plain"
	"$hearth" proto -output="$tmp/a.pb.gz" "$gz" 2>"$tmp/err" &&
		"$hearth" proto -output="$tmp/b.pb.gz" "$plain" 2>>"$tmp/err"
	if cmp -s "$tmp/a.pb.gz" "$tmp/b.pb.gz" && [ -s "$tmp/a.pb.gz" ]; then
		ok "mid.$kind: proto of the gzipped file equals that of its gunzipped copy"
	else
		bad "mid.$kind: proto differs between the gzipped file and its gunzipped copy" "$tmp/err"
	fi
	same "mid.$kind: top" top "$gz" -- top "$plain"
	same "mid.$kind: tags" tags "$gz" -- tags "$plain"
	same "mid.$kind: top -tagfocus" top -tagfocus=bytes=1kB: "$gz" -- top -tagfocus=bytes=1kB: "$plain"
	same "mid.$kind: merged with itself" top "$gz" "$gz" -- top "$plain" "$plain"
done

# gzip layouts the fast path does not take, made from mid.cpu.  Each ends
# in a size over 4 MB, so the fast path starts on it and leaves it.
plain=$tmp/mid.cpu.pb
head -c 1000 "$plain" | gzip -c >"$tmp/two.pb.gz"
tail -c +1001 "$plain" | gzip -c >>"$tmp/two.pb.gz"
same "two gzip members" top "$tmp/two.pb.gz" -- top "$plain"
gzip -c "$plain" >"$tmp/one.pb.gz"
# The trailing bytes: the member's trailer again.
{ cat "$tmp/one.pb.gz"; tail -c 8 "$tmp/one.pb.gz"; } >"$tmp/trail.pb.gz"
same "trailing bytes after the gzip member" top "$tmp/trail.pb.gz" -- top "$plain"
# The trailer's size (its last four bytes, little-endian) one too many.
python3 - "$tmp/one.pb.gz" "$tmp/lie.pb.gz" "$tmp/crc.pb.gz" "$tmp/cut.pb.gz" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
size = struct.unpack("<I", d[-4:])[0]
open(sys.argv[2], "wb").write(d[:-4] + struct.pack("<I", size + 1))
crc = struct.unpack("<I", d[-8:-4])[0]
open(sys.argv[3], "wb").write(d[:-8] + struct.pack("<I", crc ^ 1) + d[-4:])
open(sys.argv[4], "wb").write(d[: len(d) // 2] + d[-8:])
PY
for c in lie:"incorrect length check" crc:"incorrect data check" cut:"gzip data"; do
	f=$tmp/${c%%:*}.pb.gz
	"$hearth" top "$f" >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ $st -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q "${c#*:}" "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
		ok "${c%%:*}: refused with the gzip error"
	else
		echo "status $st" >>"$tmp/err"
		bad "${c%%:*}: not refused as damaged gzip" "$tmp/err"
	fi
done
# Folded stacks, gzipped, over 4 MB.
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "main.main;main.work%d;runtime.f%d %d\n", i % 97, i % 13, 1 + i % 7 }' >"$tmp/folded.txt"
gzip -c "$tmp/folded.txt" >"$tmp/folded.txt.gz"
same "gzipped folded stacks" top "$tmp/folded.txt.gz" -- top "$tmp/folded.txt"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
