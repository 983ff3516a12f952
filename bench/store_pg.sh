#!/bin/bash
# The shared store (lib/store/postgres.c) against the embedded one, run by
# bench/run.sh (make bench) or alone:
#
#   bench/store_pg.sh STORE_BENCH CACHE_DIR OUT_MD
#
# A real PostgreSQL (Debian's, tests/cli/pg.inc) with fsync on, in a
# temporary directory, stopped after.  On gen-profile's repetitive day of
# one-a-minute CPU profiles (bench/store.sh makes it in CACHE_DIR), with
# bench/store_bench (the store in-process, as hearth serve calls it):
#   - one node: SQLite and PostgreSQL each take DAYS days (default 7) with
#     four client threads; bytes per profile; merges of a day and a week;
#   - two nodes: two store_bench processes put the day into one PostgreSQL
#     at once (four threads each), against one process alone; then two
#     processes merge the day at once, against one alone (the SQLite file
#     belongs to one process: no two-node figure there);
#   - the same on PostgreSQL + S3 (blocks in a one-node Ceph's radosgw,
#     tests/ceph.inc), when Ceph starts here.
# Prints the figures; writes a Markdown section to OUT_MD.
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/store_common.inc
store_setup "$@"
DAYS=${BENCH_PG_DAYS:-7}
MERGES=${BENCH_PG_MERGES:-10}
. tests/cli/pg.inc
work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-store-pg-bench.XXXXXX") || exit 1
trap 'pg_stop; rm -rf "$work"' EXIT
PG_FSYNC=on PG_SHARED_BUFFERS=256MB
export PG_FSYNC PG_SHARED_BUFFERS
if ! pg_start; then
	echo "bench: PostgreSQL did not start: $PG_WHY" >&2
	exit 1
fi
declare -A R
echo "bench: store, SQLite, repetitive day x $DAYS ..."
run sqlite "$dir" "$work/sqlite" "$DAYS" 0
echo "bench: store, PostgreSQL, repetitive day x $DAYS ..."
pg_createdb one && run pg "$dir" "$PG_URL/one" "$DAYS" 0
echo "bench: store, PostgreSQL, one node then two putting the day ..."
# Both databases hold the day once first: the nodes put a program's
# profiles whose symbols are known, as in a running fleet.
for db in solo two; do
	pg_createdb $db && STORE_BENCH_INGEST_ONLY=1 "$SB" "$dir" "$PG_URL/$db" 1 0 >/dev/null 2>&1
done
STORE_BENCH_INGEST_ONLY=1 run solo "$dir" "$PG_URL/solo" 1 0
t0=$(date +%s.%N)
STORE_BENCH_INGEST_ONLY=1 run two1 "$dir" "$PG_URL/two" 1 0 &
p1=$!
STORE_BENCH_INGEST_ONLY=1 run two2 "$dir" "$PG_URL/two" 1 0 &
p2=$!
wait $p1 $p2
t1=$(date +%s.%N)
# The background runs' figures are in their files (run's array is theirs).
read_out two1
read_out two2
two_rate=$(awk "BEGIN { printf \"%.0f\", (${R[two1.ingest_day_profiles]:-0} + ${R[two2.ingest_day_profiles]:-0}) / ($t1 - $t0) }")
echo "bench: store, merges of a day: one process, then two at once ..."
MERGES_N=$MERGES
STORE_BENCH_MERGES=$MERGES_N run q_sqlite "$dir" "$work/sqlite" 1 0
STORE_BENCH_MERGES=$MERGES_N run q_pg "$dir" "$PG_URL/one" 1 0
t0=$(date +%s.%N)
STORE_BENCH_MERGES=$MERGES_N "$SB" "$dir" "$PG_URL/one" 1 0 >"$work/q1.out" 2>&1 &
p1=$!
STORE_BENCH_MERGES=$MERGES_N "$SB" "$dir" "$PG_URL/one" 1 0 >"$work/q2.out" 2>&1 &
p2=$!
wait $p1 $p2
t1=$(date +%s.%N)
q_two=$(awk "BEGIN { printf \"%.2f\", 2 * $MERGES_N / ($t1 - $t0) }")
# PostgreSQL + S3: the blocks in a one-node Ceph's radosgw (tests/ceph.inc).
S3=NaN
S3_WHY=
q_two_s3=NaN
two_rate_s3=NaN
if [ -f tests/ceph.inc ]; then
	. tests/ceph.inc
	trap 'ceph_stop; pg_stop; rm -rf "$work"' EXIT
	if ! ceph_start "$work/ceph"; then
		S3_WHY="Ceph did not start: $CEPH_WHY"
	elif ! s3_bucket hearth-bench; then
		S3_WHY="the bucket could not be created at $CEPH_S3_ENDPOINT"
	else
		S3=1
		export STORE_BENCH_OBJECTS="s3://hearth-bench?endpoint=$CEPH_S3_ENDPOINT&region=us-east-1"
		echo "bench: store, PostgreSQL + S3 (Ceph radosgw), repetitive day x $DAYS ..."
		pg_createdb s3 && run pgs3 "$dir" "$PG_URL/s3" "$DAYS" 0
		STORE_BENCH_MERGES=$MERGES_N run q_pgs3 "$dir" "$PG_URL/s3" 1 0
		t0=$(date +%s.%N)
		STORE_BENCH_MERGES=$MERGES_N "$SB" "$dir" "$PG_URL/s3" 1 0 >"$work/q3.out" 2>&1 &
		p1=$!
		STORE_BENCH_MERGES=$MERGES_N "$SB" "$dir" "$PG_URL/s3" 1 0 >"$work/q4.out" 2>&1 &
		p2=$!
		wait $p1 $p2
		t1=$(date +%s.%N)
		q_two_s3=$(awk "BEGIN { printf \"%.2f\", 2 * $MERGES_N / ($t1 - $t0) }")
		for db in solos3 twos3; do
			pg_createdb $db && STORE_BENCH_INGEST_ONLY=1 "$SB" "$dir" "$PG_URL/$db" 1 0 >/dev/null 2>&1
		done
		STORE_BENCH_INGEST_ONLY=1 run solos3 "$dir" "$PG_URL/solos3" 1 0
		t0=$(date +%s.%N)
		STORE_BENCH_INGEST_ONLY=1 run two3 "$dir" "$PG_URL/twos3" 1 0 &
		p1=$!
		STORE_BENCH_INGEST_ONLY=1 run two4 "$dir" "$PG_URL/twos3" 1 0 &
		p2=$!
		wait $p1 $p2
		t1=$(date +%s.%N)
		read_out two3
		read_out two4
		two_rate_s3=$(awk "BEGIN { printf \"%.0f\", (${R[two3.ingest_day_profiles]:-0} + ${R[two4.ingest_day_profiles]:-0}) / ($t1 - $t0) }")
		unset STORE_BENCH_OBJECTS
	fi
else
	S3_WHY="tests/ceph.inc is missing"
fi
[ -n "$S3_WHY" ] && echo "bench: no PostgreSQL + S3 figures: $S3_WHY" >&2
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

g() { echo "${R[$1]:-NaN}"; }
x() { awk "BEGIN { if ($2 > 0) printf \"%.2f\", $1 / $2; else print \"NaN\" }"; }
{
	echo "## The shared store: SQLite and PostgreSQL, one node and two"
	echo
	echo "\`bench/store_pg.sh\`: \`bench/store_bench\` on gen-profile's repetitive day (1,440"
	echo "one-a-minute CPU profiles, $(g sqlite.file_gz_bytes_avg) bytes gzipped each) put $DAYS"
	echo "times (a week), four client threads per process; PostgreSQL $(basename "${PG_BIN%/bin}") from Debian"
	echo "on this machine, \`fsync=on\`, \`synchronous_commit=on\` (each acknowledged put is"
	echo "flushed), \`shared_buffers=256MB\`, over loopback TCP. A \"node\" is a process with its own"
	echo "store connection(s); the machine's two cores are shared by the nodes, PostgreSQL and the"
	echo "others' work (load average $LOAD), so two nodes here show contention, not scale-out."
	echo
	echo "| | SQLite | PostgreSQL | PostgreSQL + S3 |"
	echo "|---|---|---|---|"
	echo "| ingest, one node (profiles/s) | $(g sqlite.ingest_day_per_s) | $(g pg.ingest_day_per_s) | $(g pgs3.ingest_day_per_s) |"
	echo "| put CPU per profile in the node (ms) | $(g sqlite.ingest_day_put_cpu_ms) | $(g pg.ingest_day_put_cpu_ms) | $(g pgs3.ingest_day_put_cpu_ms) |"
	echo "| bytes per profile in the database (rollups built) | $(g sqlite.bytes_per_profile_rollups) | $(g pg.bytes_per_profile_rollups) | $(g pgs3.bytes_per_profile_rollups) |"
	echo "| merge of a day, no rollups (ms) | $(g sqlite.merge_day_norollup_ms) | $(g pg.merge_day_norollup_ms) | $(g pgs3.merge_day_norollup_ms) |"
	echo "| merge of a day (ms) | $(g sqlite.merge_day_ms) | $(g pg.merge_day_ms) | $(g pgs3.merge_day_ms) |"
	echo "| merge of an unaligned 24 h (ms) | $(g sqlite.merge_24h_unaligned_ms) | $(g pg.merge_24h_unaligned_ms) | $(g pgs3.merge_24h_unaligned_ms) |"
	echo "| merge of a week (ms) | $(g sqlite.merge_week_ms) | $(g pg.merge_week_ms) | $(g pgs3.merge_week_ms) |"
	echo "| series of a week per minute (ms) | $(g sqlite.series_week_ms) | $(g pg.series_week_ms) | $(g pgs3.series_week_ms) |"
	echo "| merges of a day per second, one node | $(g q_sqlite.merges_per_s) | $(g q_pg.merges_per_s) | $(g q_pgs3.merges_per_s) |"
	echo "| merges of a day per second, two nodes at once | n/a (one process per file) | $q_two ($(x "$q_two" "$(g q_pg.merges_per_s)")x) | $q_two_s3 ($(x "$q_two_s3" "$(g q_pgs3.merges_per_s)")x) |"
	echo "| ingest of a day, one node alone (profiles/s) | | $(g solo.ingest_day_per_s) | $(g solos3.ingest_day_per_s) |"
	echo "| ingest of a day, two nodes at once, together (profiles/s) | n/a | $two_rate ($(x "$two_rate" "$(g solo.ingest_day_per_s)")x) | $two_rate_s3 ($(x "$two_rate_s3" "$(g solos3.ingest_day_per_s)")x) |"
	th() { echo "$(g "$1".ingest_day_thread_cpu_ms) / $(g "$1".ingest_day_thread_runq_ms) / $(g "$1".ingest_day_thread_blocked_ms)"; }
	echo "| a client thread's time per profile, one node alone: on a CPU / waiting for one / blocked (ms) | | $(th solo) | $(th solos3) |"
	echo "| the same, each of two nodes at once | n/a | $(th two1), $(th two2) | $(th two3), $(th two4) |"
	[ -n "$S3_WHY" ] && echo && echo "No PostgreSQL + S3 figures in this run: $S3_WHY."
	echo
	echo "Targets of issue 11 (on machines of their own; here two busy cores are shared):"
	echo "two nodes ingest ≥ 1.6x one: PostgreSQL $(x "$two_rate" "$(g solo.ingest_day_per_s)")x,"
	echo "PostgreSQL + S3 $(x "$two_rate_s3" "$(g solos3.ingest_day_per_s)")x; a day merge on PostgreSQL + S3 ≤ 500 ms:"
	echo "$(g pgs3.merge_day_ms) ms."
	echo
} >"$OUT"
cat "$OUT"
exit $failed
