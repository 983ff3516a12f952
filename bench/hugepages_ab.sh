#!/bin/bash
# hearth with huge pages for malloc (its default where they pay, see
# hearth_hugepages_reexec in lib/util.c) and without
# (GLIBC_TUNABLES=glibc.malloc.hugetlb=0), alternated run by run on the same
# binary: hearth top big.cpu (with gunzip -c beside it), the 1440-file
# series, hearth web's call graph of big.cpu (bench/web.js), the store's
# merges of the random day (store_bench) and pushes through hearth serve.
# Prints one line per run; not part of make bench (about 7 minutes).
#
#   bench/hugepages_ab.sh [BUILD_DIR]    after make bench (its cache)
set -u
TMPDIR_AB=$(mktemp -d)
trap 'rm -rf "$TMPDIR_AB"' EXIT
cd "$(dirname "$0")/.." || exit 1
B=${1:-build}
H=$B/hearth
BIG=../shared/bench/big.cpu.pb.gz
S=$B/bench-cache/series-f3000-s3000-d32-n1440
for f in "$H" "$B/bench/store_bench" "$S" "$B/bench-cache/store-random-n1440"; do
	[ -e "$f" ] || { echo "$0: $f is missing (make bench makes it)" >&2; exit 1; }
done
T=/usr/bin/time
off() { GLIBC_TUNABLES=glibc.malloc.hugetlb=0 "$@"; }
echo "load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M)"
for i in 1 2 3 4 5 6 7; do
	g=$($T -f '%e' gunzip -c $BIG 2>&1 >/dev/null)
	a=$($T -f '%e %U %S %M %R' $H top $BIG 2>&1 >/dev/null)
	b=$(off $T -f '%e %U %S %M %R' $H top $BIG 2>&1 >/dev/null)
	echo "big gunzip $g | thp $a | off $b"
done
for i in 1 2 3; do
	a=$($T -f '%e %U %S %M %R' $H top $S/*.pb.gz 2>&1 >/dev/null)
	b=$(off $T -f '%e %U %S %M %R' $H top $S/*.pb.gz 2>&1 >/dev/null)
	echo "series thp $a | off $b"
done
# web: cold call graph via bench/web.js on a fresh server each
web() {
	"$@" web -no_browser -http=127.0.0.1:0 $BIG > $TMPDIR_AB/web.out 2>&1 &
	local pid=$! u=
	for _ in $(seq 1 600); do u=$(grep -o 'http://[0-9.:]*' $TMPDIR_AB/web.out | head -1); [ -n "$u" ] && break; sleep 0.1; done
	node bench/web.js "$u" 2>/dev/null | tail -n 1 | python3 -c 'import json,sys; d=json.load(sys.stdin); print("graph_ms %s first_paint %s" % (d.get("graph_ms"), d.get("first_paint_ms")), end=" ")'
	echo "VmHWM $(awk '/^VmHWM/ {print $2}' /proc/$pid/status)"
	kill $pid; wait $pid 2>/dev/null
}
for i in 1 2 3; do
	echo "web thp $(web $H)"
	echo "web off $(web env GLIBC_TUNABLES=glibc.malloc.hugetlb=0 $H)"
done
D=$B/bench-cache/store-random-n1440
for i in 1 2; do
	for m in thp off; do
		rm -rf $TMPDIR_AB/sb
		if [ $m = off ]; then export GLIBC_TUNABLES=glibc.malloc.hugetlb=0; else unset GLIBC_TUNABLES; fi
		"$B/bench/store_bench" $D $TMPDIR_AB/sb 1 100 > $TMPDIR_AB/sb.out 2>/dev/null
		unset GLIBC_TUNABLES
		echo "store $m $(grep -E 'ingest_day_per_s|put_cpu|parse_cpu|merge_day_cpu|merge_day_nolabels_cpu|norollup_cpu|merge_24h_unaligned_cpu|rss_series|rss_peak' $TMPDIR_AB/sb.out | tr '\n' ' ')"
	done
done
rm -rf $TMPDIR_AB/sb
echo "load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M)"
# ingest through hearth serve: hey -n 3000 -c 4
push() {
	rm -rf $TMPDIR_AB/srv; mkdir -p $TMPDIR_AB/srv
	f=$(ls "$B"/bench-cache/store-random-n1440/*.pb.gz | head -n 1)
	tok=$($H token create -data=$TMPDIR_AB/srv/data -tenant=bench | tail -n 1)
	"$@" serve -listen=127.0.0.1:0 -data=$TMPDIR_AB/srv/data -rate_limit=0 > $TMPDIR_AB/srv/out 2>&1 &
	local pid=$! u=
	for _ in $(seq 1 300); do u=$(grep -o 'http://[0-9.:]*' $TMPDIR_AB/srv/out | head -1); [ -n "$u" ] && break; sleep 0.1; done
	t0=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
	hey -n 3000 -c 4 -m POST -T application/octet-stream -D "$f" -H "Authorization: Bearer $tok" "$u/api/v1/push?service=bench" > $TMPDIR_AB/srv/hey 2>&1
	t1=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
	echo "rps $(awk '/Requests\/sec/ { printf "%.0f", $2 }' $TMPDIR_AB/srv/hey) ok $(awk '/\[200\]/ { print $2 }' $TMPDIR_AB/srv/hey) cpu_ms $(awk "BEGIN { printf \"%.3f\", ($t1 - $t0) * 10 / 3000 }") hwm $(awk '/^VmHWM/ {print $2}' /proc/$pid/status)"
	kill $pid; wait $pid 2>/dev/null
}
for i in 1 2 3; do
	echo "push thp $(push $H)"
	echo "push off $(push env GLIBC_TUNABLES=glibc.malloc.hugetlb=0 $H)"
done
rm -rf $TMPDIR_AB/srv
echo "load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M)"
