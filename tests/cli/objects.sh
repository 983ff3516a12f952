#!/bin/sh
# hearth serve with its blocks in an S3-compatible object store
# (-objects=s3://..., lib/store/objects.c), against a real single-node Ceph
# cluster with radosgw started here (tests/ceph.inc: Debian's ceph-mon,
# ceph-osd on memstore and radosgw, on loopback, in a temporary directory,
# stopped after):
#   - the blob interface on S3 (build/tests/test_blob with
#     HEARTH_TEST_S3_URL): put/get/delete, listing pages past 1000 keys,
#     delete by prefix, retention of days by prefix, an unreachable endpoint;
#   - the store's cases with blocks in objects (build/tests/test_store with
#     HEARTH_TEST_OBJECTS): on the SQLite blob store (round trips, queries,
#     rollups, retention by prefix, kill -9 at random moments), and on S3
#     (the same but rollups, plus an unreachable store giving an error);
#   - the whole server suite (tests/cli/serve_check.py) on SQLite + S3;
#   - radosgw stopped under a running server: a push gets an error answer
#     (never an id) and is not listed; once radosgw is back the same server
#     takes pushes again by itself; what was acknowledged reads back as the
#     file (hearth top);
#   - retention deletes the objects of a day past it by prefix, and keeps
#     the others.
# Where Ceph cannot start on the machine, says which piece and why, and
# counts a failure (the parts that need no Ceph still run).
#
#   tests/cli/objects.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/objects.sh BUILD_DIR [-v]}
verbose=${2:-}
root=$(pwd)
export TZ=UTC
. tests/ceph.inc
tmp=$(mktemp -d /tmp/hearth-objects.XXXXXX)
SERVE_PID=""
cleanup() {
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	ceph_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
pass=0
fail=0
ok() {
	pass=$((pass + 1))
	[ "$verbose" = "-v" ] && echo "ok   $1"
	return 0
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | head -20 | sed 's/^/     /'
	return 0
}

# A cmocka binary's cases as passes and failures.
cmocka() {
	name=$1
	shift
	if [ ! -x "$1" ]; then
		bad "$name: $1 is not built (make $1)"
		return
	fi
	out=$(timeout 600 "$@" 2>&1)
	p=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
	f=$(printf '%s\n' "$out" | grep -c '^\[  FAILED  \] test_')
	[ "$p" -gt 0 ] || f=$((f + 1))
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$f" -eq 0 ] || printf 'FAIL %s:\n%s\n' "$name" "$(printf '%s\n' "$out" | grep -E 'ERROR|LINE|FAILED' | head -20)"
	[ "$verbose" = "-v" ] && printf '%s\n' "$out" | grep '^\[       OK \]' | sed "s/^\[       OK \] /ok   $name: /"
	return 0
}

# Needs no Ceph: the store's cases on the SQLite blob store.
HEARTH_TEST_OBJECTS=sqlite cmocka "test_store on blocks in a SQLite blob store" "$build/tests/test_store"

start=$(date +%s)
if ! ceph_start "$tmp/ceph"; then
	bad "ceph: the single-node cluster did not start: $CEPH_WHY"
	echo "$pass passed, $fail failed"
	exit 1
fi
ok "ceph: mon, osd (memstore) and radosgw up in $(($(date +%s) - start)) s"

# S3 requests from the shell, signed as hearth signs them.
s3() {
	method=$1
	path=$2
	shift 2
	curl -s -S --max-time 30 "$@" --aws-sigv4 aws:amz:us-east-1:s3 \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		-X "$method" "$CEPH_S3_ENDPOINT/$path"
}
# Keys under prefix $1 of the bucket, one a line.
s3_keys() {
	s3 GET "hearth?list-type=2&max-keys=1000&prefix=$(printf '%s' "$1" | sed 's|/|%2F|g')" |
		python3 -c 'import re,sys; print("\n".join(re.findall(r"<Key>([^<]*)</Key>", sys.stdin.read())))' |
		sed '/^$/d'
}
# A few tries: radosgw may still be creating its pools when it first answers.
n=0
code=0
while [ $n -lt 15 ]; do
	code=$(s3 PUT hearth -o "$tmp/bucket.out" -w '%{http_code}')
	[ "$code" = 200 ] || [ "$code" = 409 ] && break
	sleep 1
	n=$((n + 1))
done
[ "$code" = 200 ] || [ "$code" = 409 ] && ok "radosgw: bucket created" ||
	bad "radosgw: cannot create the bucket: HTTP $code" "$(cat "$tmp/bucket.out")"
base="s3://hearth?endpoint=$CEPH_S3_ENDPOINT&region=us-east-1"

HEARTH_TEST_S3_URL="s3://hearth/blob?endpoint=$CEPH_S3_ENDPOINT&region=us-east-1" \
	cmocka "test_blob on radosgw" "$build/tests/test_blob"
HEARTH_TEST_OBJECTS="$base" cmocka "test_store on radosgw" "$build/tests/test_store"

# The server suite, every data directory's blocks under a prefix of its own.
out=$(HEARTH_TEST_OBJECTS="$base" timeout 900 python3 tests/cli/serve_check.py "$build/hearth" "$verbose" 2>&1)
printf '%s\n' "$out" | sed '$d' | grep -v '^ok ' | sed 's/^FAIL /FAIL serve on S3: /'
[ "$verbose" = "-v" ] && printf '%s\n' "$out" | grep '^ok ' | sed 's/^ok   /ok   serve on S3: /'
p=$(printf '%s\n' "$out" | tail -1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(printf '%s\n' "$out" | tail -1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -n "$p" ]; then
	pass=$((pass + p))
	fail=$((fail + f))
else
	bad "serve on S3: the server suite did not finish" "$(printf '%s\n' "$out" | tail -3)"
fi

# ---- outage and retention, against one server ----
data=$tmp/data
mkdir -p "$data"
objurl="s3://hearth/outage?endpoint=$CEPH_S3_ENDPOINT&region=us-east-1"
tok=$("$build/hearth" token create -data="$data" -tenant=alice -scope=push,read 2>&1 | tail -1)
# Starts hearth serve with the given options; sets URL (bounded: 30 s).
serve_start() {
	: >"$tmp/serve.out"
	"$build/hearth" serve -listen=127.0.0.1:0 -data="$data" -objects="$objurl" "$@" \
		>"$tmp/serve.out" 2>"$tmp/serve.err" &
	SERVE_PID=$!
	URL=""
	n=0
	while [ $n -lt 60 ] && kill -0 "$SERVE_PID" 2>/dev/null; do
		URL=$(sed -n 's|^Serving hearth on \(http://[0-9.:]*\)/*$|\1|p' "$tmp/serve.out")
		[ -n "$URL" ] && return 0
		sleep 0.5
		n=$((n + 1))
	done
	return 1
}
serve_stop() {
	kill "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=""
}
# push FILE [extra query]: prints the HTTP status, the body to $tmp/push.json
# (the corpus files carry their own times, days ago: pushes say time=)
push() {
	curl -s --max-time 120 -o "$tmp/push.json" -w '%{http_code}' -H "Authorization: Bearer $tok" \
		--data-binary @"$1" "$URL/api/v1/push?service=api${2:-}"
}
pid_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("id",""))' "$tmp/push.json" 2>/dev/null; }
# The profile id as `hearth top` sees it, against the file's (but the time
# it was filed under).
same_top() {
	curl -s --max-time 60 -H "Authorization: Bearer $tok" -o "$tmp/got.pb.gz" "$URL/api/v1/profiles/$1" &&
		"$build/hearth" top "$tmp/got.pb.gz" 2>&1 | sed '/^Time: /d' >"$tmp/got.top" &&
		"$build/hearth" top "$2" 2>&1 | sed '/^Time: /d' >"$tmp/want.top" &&
		[ -s "$tmp/want.top" ] && cmp -s "$tmp/got.top" "$tmp/want.top"
}
nlisted() {
	curl -s --max-time 60 -H "Authorization: Bearer $tok" "$URL/api/v1/profiles?from=0&until=now&limit=1000" |
		python3 -c 'import json,sys; j=json.load(sys.stdin); print(len(j.get("profiles", j if isinstance(j, list) else [])))'
}

cpu=tests/data/leaky.cpu.pb.gz
heap=tests/data/leaky.heap.pb.gz
[ -f "$heap" ] || heap=$cpu
old=$(($(date +%s) - 5 * 86400))
oldday=$(date -u -d "@$old" +%Y-%m-%d)
today=$(date -u +%Y-%m-%d)
if serve_start -retention=36500d; then
	ok "outage: hearth serve -objects=s3://... started"
	st=$(push "$cpu" "&time=$(date +%s)")
	ida=$(pid_of)
	[ "$st" = 200 ] && [ -n "$ida" ] && ok "outage: a push before answers its id" ||
		bad "outage: a push before: HTTP $st" "$(cat "$tmp/push.json")"
	st=$(push "$heap" "&time=$old")
	idb=$(pid_of)
	[ "$st" = 200 ] && [ -n "$idb" ] && ok "retention: a push filed 5 days ago answers its id" ||
		bad "retention: a push filed 5 days ago: HTTP $st" "$(cat "$tmp/push.json")"
	keys=$(s3_keys "outage/t/")
	if printf '%s\n' "$keys" | grep -q "/$oldday/p" && printf '%s\n' "$keys" | grep -q "/$today/p"; then
		ok "layout: the blocks are objects under the tenant and their day ($oldday, $today)"
	else
		bad "layout: no objects under the days $oldday and $today" "$keys"
	fi
	rgw_stop
	st=$(push "$cpu" "&id=during-outage&time=$(date +%s)")
	if [ "$st" -ge 500 ] 2>/dev/null && grep -q '"error"' "$tmp/push.json"; then
		ok "outage: with radosgw stopped a push gets an error answer (HTTP $st: $(head -c 160 "$tmp/push.json"))"
	else
		bad "outage: with radosgw stopped a push answered HTTP $st" "$(cat "$tmp/push.json")"
	fi
	n=$(nlisted)
	[ "$n" = 2 ] && ok "outage: the refused push is not listed" || bad "outage: $n profiles listed, not 2"
	if rgw_start; then
		ok "outage: radosgw restarted"
		# The same server, not restarted: it takes pushes again by
		# itself (a few tries while radosgw finds its pools again).
		n=0
		st=0
		while [ $n -lt 20 ]; do
			st=$(push "$cpu" "&id=after-outage&time=$(date +%s)")
			[ "$st" = 200 ] && break
			sleep 1
			n=$((n + 1))
		done
		idd=$(pid_of)
		[ "$st" = 200 ] && [ -n "$idd" ] && ok "outage: after radosgw is back, the same server takes a push" ||
			bad "outage: after radosgw is back, a push answers HTTP $st" "$(cat "$tmp/push.json")"
		same_top "$ida" "$cpu" && ok "outage: the push before reads back as its file (hearth top)" ||
			bad "outage: the push before does not read back as its file" "$(diff "$tmp/want.top" "$tmp/got.top" | head)"
		same_top "$idd" "$cpu" && ok "outage: the push after reads back as its file (hearth top)" ||
			bad "outage: the push after does not read back as its file"
		n=$(nlisted)
		[ "$n" = 3 ] && ok "outage: three profiles listed (before, 5 days ago, after)" || bad "outage: $n profiles listed, not 3"
	else
		bad "outage: radosgw did not come back: $CEPH_WHY"
	fi
	serve_stop
	# Retention of 2 days: the sweep at start deletes the profile of 5 days
	# ago, then its day by prefix.
	if serve_start -retention=2d; then
		n=0
		while [ $n -lt 60 ] && s3_keys "outage/t/" | grep -q "/$oldday/"; do
			sleep 0.5
			n=$((n + 1))
		done
		keys=$(s3_keys "outage/t/")
		if ! printf '%s\n' "$keys" | grep -q "/$oldday/" && printf '%s\n' "$keys" | grep -q "/$today/p"; then
			ok "retention: the day past retention is deleted by prefix, today's objects stay"
		else
			bad "retention: objects left under $oldday, or none under $today" "$keys"
		fi
		grep -q "retention sweep: 1 profiles deleted" "$tmp/serve.err" &&
			ok "retention: the sweep deleted the one profile past retention" ||
			bad "retention: the server did not report the sweep" "$(cat "$tmp/serve.err")"
		same_top "$ida" "$cpu" && ok "retention: a kept profile still reads back as its file" ||
			bad "retention: a kept profile does not read back"
		serve_stop
	else
		bad "retention: hearth serve did not start" "$(cat "$tmp/serve.err")"
	fi
else
	bad "outage: hearth serve -objects did not start" "$(cat "$tmp/serve.err")"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
