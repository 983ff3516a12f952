#!/bin/sh
# hearth serve on PostgreSQL (lib/store/postgres.c), against a real
# PostgreSQL started here (tests/cli/pg.inc: Debian's, on loopback, in a
# temporary directory, stopped after):
#   - the whole server suite (tests/cli/serve_check.py), the tenant
#     isolation suite (isolation_check.py), the fleet report's
#     (fleet_check.py), the GODEBUG logs' (godebug_serve_check.py) and the
#     UI sessions' (sessions_check.py: logins survive restarts, revocation)
#     and the dictionary sweep's (dictsweep_check.py: the dictionary falls to
#     what a store of the profiles left holds, kill -9 during sweeps with
#     concurrent ingests), each data directory on a database of its own
#     (-store=postgres://...);
#   - two nodes on one database, ingesting at once: either answers the
#     merges as the files' top, and each profile through the other node as
#     its file (tests/cli/serve_pg_check.py);
#   - kill -9 of a node during concurrent ingest: every acknowledged
#     profile is there, the other node keeps serving, rollups are built and
#     retention runs once, the merge equals the stored files';
#   - PostgreSQL stopped under a node: pushes get a 5xx (never a 200), and
#     the node recovers by itself when it is back;
#   - the store's backend-generic unit tests (build/tests/test_store with
#     HEARTH_TEST_PG: tokens, round trips, queries, rollups and retention,
#     the dictionary sweep, one node sweeping while another puts).
# When PostgreSQL cannot start, says which step failed and why, and counts
# a failure.
#
#   tests/cli/serve_pg.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/serve_pg.sh BUILD_DIR [-v]}
export TZ=UTC
. tests/cli/pg.inc
trap pg_stop EXIT
trap 'exit 1' INT TERM
if ! pg_start; then
	echo "FAIL serve_pg: PostgreSQL did not start: $PG_WHY"
	echo "0 passed, 1 failed"
	exit 1
fi
export HEARTH_TEST_PG="$PG_URL"
export HEARTH_TEST_PG_CTL="$PG_RUN $PG_BIN/pg_ctl -D $PG_DIR/data -l $PG_DIR/server.log"
export HEARTH_TEST_PG_OPTS="$PG_OPTS"
export PATH="$PG_BIN:$PATH"
P=0
F=0
# Runs a python suite, shows its lines but the last, adds up its counts.
suite() { # what script
	out=$(python3 "$2" "$build/hearth" "$verbose" 2>&1)
	printf '%s\n' "$out" | sed '$d'
	last=$(printf '%s\n' "$out" | tail -1)
	p=$(printf '%s\n' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s\n' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		echo "FAIL serve_pg: $1 did not finish: $(printf '%s\n' "$out" | tail -3)"
		p=0
		f=1
	fi
	P=$((P + p))
	F=$((F + f))
}
verbose=${2:-}
suite "the server suite" tests/cli/serve_check.py
suite "the tenant isolation suite" tests/cli/isolation_check.py
suite "the multi-node checks" tests/cli/serve_pg_check.py
suite "the fleet report suite" tests/cli/fleet_check.py
suite "the GODEBUG log suite" tests/cli/godebug_serve_check.py
suite "the UI sessions suite" tests/cli/sessions_check.py
suite "the dictionary sweep suite" tests/cli/dictsweep_check.py
# PostgreSQL + S3: a one-node Ceph with radosgw (tests/ceph.inc), the
# blocks in a bucket there (-objects=s3://...), the same suites again,
# an orphan object deleted by the sweep, and radosgw killed under a node.  Only once the server suite knows
# HEARTH_TEST_OBJECTS (lib/store/blob.h's -objects).
if grep -q HEARTH_TEST_OBJECTS tests/cli/serve_check.py && [ -f tests/ceph.inc ]; then
	. tests/ceph.inc
	ceph_tmp=$(mktemp -d /tmp/hearth-ceph.XXXXXX)
	rgw_pidfile=$ceph_tmp/rgw.pid
	trap 'ceph_stop; [ -s "$rgw_pidfile" ] && kill -9 "$(cat "$rgw_pidfile")" 2>/dev/null; rm -rf "$ceph_tmp"; pg_stop' EXIT
	if ! ceph_start "$ceph_tmp/ceph"; then
		echo "FAIL serve_pg: Ceph (radosgw) did not start, no PostgreSQL + S3 round: $CEPH_WHY"
		F=$((F + 1))
	elif ! curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		-X PUT "$CEPH_S3_ENDPOINT/hearth-pg" >/dev/null; then
		echo "FAIL serve_pg: creating the bucket hearth-pg at $CEPH_S3_ENDPOINT failed"
		F=$((F + 1))
	else
		# A fresh start: the first round's databases go.
		for db in $(pg_psql postgres -c "SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')"); do
			pg_psql postgres -c "DROP DATABASE $db" >/dev/null
		done
		export HEARTH_TEST_OBJECTS="s3://hearth-pg?endpoint=$CEPH_S3_ENDPOINT&region=us-east-1"
		export HEARTH_TEST_RGW_PID=$CEPH_RGW_PID HEARTH_TEST_RGW_PIDFILE=$rgw_pidfile
		export HEARTH_TEST_RGW_CMD="radosgw -c $CEPH_DIR/ceph.conf -n client.rgw.test -f --setuser root --setgroup root"
		suite "the server suite on PostgreSQL + S3" tests/cli/serve_check.py
		suite "the multi-node checks on PostgreSQL + S3" tests/cli/serve_pg_check.py
		suite "the fleet report suite on PostgreSQL + S3" tests/cli/fleet_check.py
		suite "the GODEBUG log suite on PostgreSQL + S3" tests/cli/godebug_serve_check.py
		suite "the dictionary sweep suite on PostgreSQL + S3" tests/cli/dictsweep_check.py
		unset HEARTH_TEST_OBJECTS
	fi
fi
# The backend-generic cases of the store's unit tests (tests/unit/test_store.c).
p3=0
f3=0
if [ -x "$build/tests/test_store" ]; then
	out=$(timeout 600 "$build/tests/test_store" 2>&1)
	p3=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
	f3=$(printf '%s\n' "$out" | grep -c '^\[  FAILED  \] test_')
	[ "$p3" -gt 0 ] || f3=$((f3 + 1))
	[ "$f3" -eq 0 ] || printf 'FAIL test_store on PostgreSQL:\n%s\n' "$(printf '%s\n' "$out" | grep -E 'ERROR|LINE|FAILED' | head -20)"
	[ "${2:-}" = "-v" ] && printf '%s\n' "$out" | grep '^\[       OK \]' | sed 's/^\[       OK \] /ok   test_store on PostgreSQL: /'
else
	echo "FAIL serve_pg: $build/tests/test_store is not built (make $build/tests/test_store)"
	f3=1
fi
echo "$((P + p3)) passed, $((F + f3)) failed"
