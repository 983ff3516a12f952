#!/bin/bash
# The SQLite store with its blocks in an S3-compatible object store
# (hearth serve -objects=s3://..., lib/store/objects.c) against the same
# store with the blocks inline, run by bench/run.sh (make bench) or alone:
#
#   bench/store_objects.sh STORE_BENCH CACHE_DIR OUT_MD
#
# The object store is a real single-node Ceph cluster with radosgw
# (tests/ceph.inc: ceph-mon, ceph-osd on memstore, radosgw, on loopback, in
# a temporary directory, stopped after).  On gen-profile's repetitive day of
# one-a-minute CPU profiles (bench/store.sh makes it in CACHE_DIR), with
# bench/store_bench (the store in-process, as hearth serve calls it): DAYS
# days (default 7) put by four client threads; merges of a day (before and
# after rollups) and of a week; object-store requests and bytes per profile
# and per merge (for docs/SCALING.md).
# Prints the figures; writes a Markdown section to OUT_MD.
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/store_common.inc
store_setup "$@"
DAYS=${BENCH_OBJECTS_DAYS:-7}
. tests/ceph.inc
work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-store-objects-bench.XXXXXX") || exit 1
trap 'ceph_stop; rm -rf "$work"' EXIT
if ! ceph_start "$work/ceph"; then
	echo "bench: Ceph did not start: $CEPH_WHY" >&2
	exit 1
fi
if ! s3_bucket bench; then
	echo "bench: the bucket could not be created at $CEPH_S3_ENDPOINT" >&2
	exit 1
fi
declare -A R
echo "bench: store, SQLite with blocks inline, repetitive day x $DAYS ..."
run inline "$dir" "$work/inline" "$DAYS" 0
echo "bench: store, SQLite with blocks in radosgw, repetitive day x $DAYS ..."
STORE_BENCH_OBJECTS="s3://bench/run?endpoint=$CEPH_S3_ENDPOINT&region=us-east-1" \
	run s3 "$dir" "$work/s3" "$DAYS" 0
# The objects' bytes as radosgw counts them (the bucket's usage).
obj_bytes=$(timeout 60 radosgw-admin -c "$CEPH_DIR/ceph.conf" -n client.rgw.test bucket stats \
	--bucket=bench 2>/dev/null | python3 -c '
import json, sys
try:
    u = json.load(sys.stdin).get("usage", {})
    print(sum(v.get("size", 0) for v in u.values()))
except Exception:
    print("")')
obj_count=$(timeout 60 radosgw-admin -c "$CEPH_DIR/ceph.conf" -n client.rgw.test bucket stats \
	--bucket=bench 2>/dev/null | python3 -c '
import json, sys
try:
    u = json.load(sys.stdin).get("usage", {})
    print(sum(v.get("num_objects", 0) for v in u.values()))
except Exception:
    print("")')
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
nprof=$((1440 * DAYS))
g() { echo "${R[$1]:-NaN}"; }
per() { awk "BEGIN { if (\"$1\" != \"\" && $2 > 0) printf \"%.0f\", $1 / $2; else print \"NaN\" }"; }
{
	echo "## SQLite with the blocks in an object store (Ceph radosgw)"
	echo
	echo "\`bench/store_objects.sh\`: \`bench/store_bench\` on gen-profile's repetitive day (1,440"
	echo "one-a-minute CPU profiles, $(g inline.file_gz_bytes_avg) bytes gzipped each) put $DAYS times,"
	echo "four client threads, the store in-process; once with the blocks inline in SQLite, once with"
	echo "\`-objects=s3://...\` on a one-node Ceph 16 (Debian's ceph-osd on memstore and radosgw, on"
	echo "loopback) sharing this machine's two cores with the others' work (load average $LOAD)."
	echo "Every put uploads its block before it commits; a merge fetches its blocks 32 at a"
	echo "time, 8 requests in flight."
	echo
	echo "| | SQLite, blocks inline | SQLite + radosgw |"
	echo "|---|---|---|"
	echo "| ingest, first day (profiles/s) | $(g inline.ingest_day_per_s) | $(g s3.ingest_day_per_s) |"
	echo "| ingest, the other days (profiles/s) | $(g inline.ingest_more_per_s) | $(g s3.ingest_more_per_s) |"
	echo "| put CPU per profile in the node (ms) | $(g inline.ingest_day_put_cpu_ms) | $(g s3.ingest_day_put_cpu_ms) |"
	echo "| merge of a day, no rollups (ms) | $(g inline.merge_day_norollup_ms) | $(g s3.merge_day_norollup_ms) |"
	echo "| merge of a day (ms) | $(g inline.merge_day_ms) | $(g s3.merge_day_ms) |"
	echo "| merge of an unaligned 24 h (ms) | $(g inline.merge_24h_unaligned_ms) | $(g s3.merge_24h_unaligned_ms) |"
	echo "| merge of a week (ms) | $(g inline.merge_week_ms) | $(g s3.merge_week_ms) |"
	echo "| series of a week per minute (ms) | $(g inline.series_week_ms) | $(g s3.series_week_ms) |"
	echo "| database bytes per profile, after rollups | $(per "$(g inline.bytes_total)" $nprof) | $(per "$(g s3.bytes_total)" $nprof) |"
	echo "| object bytes per profile (radosgw's count, $obj_count objects) | | $(per "$obj_bytes" $nprof) |"
	echo
	echo "Object-store requests (\`hearth_blob_stats\`):"
	echo
	echo "| | PUTs | GETs | bytes up | bytes down |"
	echo "|---|---|---|---|---|"
	echo "| per profile ingested | $(g s3.ingest_day_obj_puts) | $(g s3.ingest_day_obj_gets) | $(g s3.ingest_day_obj_bytes_put) | $(g s3.ingest_day_obj_bytes_got) |"
	echo "| per profile, building the day's rollups | $(g s3.compact_day_obj_puts) | $(g s3.compact_day_obj_gets) | $(g s3.compact_day_obj_bytes_put) | $(g s3.compact_day_obj_bytes_got) |"
	echo "| per merge of a day, no rollups | $(g s3.merge_day_norollup_obj_puts) | $(g s3.merge_day_norollup_obj_gets) | | $(g s3.merge_day_norollup_obj_bytes_got) |"
	echo "| per merge of a day | $(g s3.merge_day_obj_puts) | $(g s3.merge_day_obj_gets) | | $(g s3.merge_day_obj_bytes_got) |"
	echo "| per merge of an unaligned 24 h | $(g s3.merge_24h_unaligned_obj_puts) | $(g s3.merge_24h_unaligned_obj_gets) | | $(g s3.merge_24h_unaligned_obj_bytes_got) |"
	echo "| per merge of a week | $(g s3.merge_week_obj_puts) | $(g s3.merge_week_obj_gets) | | $(g s3.merge_week_obj_bytes_got) |"
	echo
} >"$OUT"
cat "$OUT"
exit $failed
