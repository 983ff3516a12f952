#!/bin/sh
# Real clients that no one here wrote, against the real `hearth serve`
# (docs/ingest.md):
#   - tests/subjects/pyroclients/sdkpush: a Go program profiled by the
#     Pyroscope Go SDK (github.com/grafana/pyroscope-go, from the module
#     proxy), pointed at hearth with only the address and a token;
#   - tests/subjects/pyroclients/alloypush: Pyroscope's own push.v1 types and
#     connect-go pushing as Grafana Alloy's pyroscope.write does (protobuf,
#     then Connect JSON).
# Each client also writes what it sent (sdkpush: every upload's profile
# part, by a tee around the SDK's HTTP client; alloypush: the raw
# profiles).  Checks, through the HTTP API and hearth's CLI reading the
# server:
#   - every upload was answered 200; a wrong token gets 401 and stores nothing;
#   - services, profile types (cpu, heap, goroutine, mutex, block), label
#     names and values are the client's (tags, Alloy labels);
#   - the number of stored profiles per type equals the uploads of that type;
#   - /api/v1/render/top (the UI's table) has the total of hearth top of the
#     CPU profiles sent;
#   - `hearth top` of the server's merge of the range equals `hearth top` of
#     the files the client sent (cpu; alloc_space and alloc_objects of heap;
#     delay of mutex and block), and the client's hot function leads the
#     program's own functions in the CPU top.
#
#   tests/cli/serve_clients.sh BUILD_DIR [-v]
#
# Needs go (/usr/local/go/bin or PATH) and the module proxy; without them,
# or while hearth has no serve command, it says SKIP.  Ends with
# "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/serve_clients.sh BUILD_DIR [-v]}
verbose=false
[ "${2:-}" = "-v" ] && verbose=true
hearth=$PWD/$build/hearth
export TZ=UTC
tmp=$(mktemp -d)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
pass=0
fail=0
ok() {
	pass=$((pass + 1))
	$verbose && echo "ok   $1"
	return 0
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	[ -n "${2:-}" ] && [ -f "$2" ] && head -20 "$2" | sed 's/^/     /'
	return 0
}
skip() {
	echo "serve_clients: SKIP ($1)"
	echo "0 passed, 0 failed"
	exit 0
}

"$hearth" serve -h >/dev/null 2>&1 || skip "this hearth has no serve command"
PATH=/usr/local/go/bin:$PATH
command -v go >/dev/null 2>&1 || skip "needs go"
command -v curl >/dev/null 2>&1 || skip "needs curl"

# The clients, from the module proxy at the versions go.sum pins.
export GOFLAGS=-mod=mod GO111MODULE=on
[ -d "$HOME/.cache/go-build" ] || export GOCACHE="$tmp/gocache"
subjects=$PWD/tests/subjects/pyroclients
if ! (cd "$subjects" && go build -o "$tmp/sdkpush" ./sdkpush && go build -o "$tmp/alloypush" ./alloypush) \
	>"$tmp/build.log" 2>&1; then
	if grep -q -i "dial tcp\|proxy\|no such host\|connection refused" "$tmp/build.log"; then
		skip "the Go module proxy cannot be reached"
	fi
	bad "go build of the clients" "$tmp/build.log"
	echo "$pass passed, $fail failed"
	exit 1
fi
ok "the clients build from the module proxy"

# The server on a free loopback port and a fresh data directory.
mkdir -p "$tmp/data"
"$hearth" serve -listen=127.0.0.1:0 -data="$tmp/data" >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
url=
for _ in $(seq 1 100); do
	url=$(sed -n 's/^Serving hearth on \(http:[^ ]*\)$/\1/p' "$tmp/serve.out")
	[ -n "$url" ] && break
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$url" ]; then
	bad "hearth serve started" "$tmp/serve.err"
	echo "$pass passed, $fail failed"
	exit 1
fi
url=${url%/}
token=$("$hearth" token create -data="$tmp/data" -tenant=clients -scope=push,read | tail -n 1)
case "$token" in
hth_*) ok "a token" ;;
*)
	bad "hearth token create printed no token"
	echo "$pass passed, $fail failed"
	exit 1
	;;
esac
start=$(($(date +%s) - 60))

api() { # PATH OUT: GET with the token; fails on a non-200 answer
	curl -sS -o "$2" -w '%{http_code}' -H "Authorization: Bearer $token" "$url$1" >"$2.code" 2>&1
	[ "$(cat "$2.code")" = 200 ]
}

# A JSON check: python3 prints "ok" or what differs.
jcheck() { # NAME FILE PYTHON-EXPR-ON-d [EXPECTED-DESCRIPTION]
	r=$(python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
print('ok' if ($3) else 'got ' + json.dumps(d)[:600])" "$2" 2>&1)
	if [ "$r" = ok ]; then ok "$1"; else bad "$1: $r"; fi
}

# ---- The Pyroscope Go SDK ------------------------------------------------
timeout 120 "$tmp/sdkpush" -server "$url" -token "$token" -app sdkpush -for 9s -rate 3s \
	-dump "$tmp/sdk" >"$tmp/sdk.log" 2>&1 || bad "sdkpush ran" "$tmp/sdk.log"
n_up=$(ls "$tmp/sdk"/*.status 2>/dev/null | wc -l)
n_200=$(cat "$tmp/sdk"/*.status 2>/dev/null | grep -c '^200$')
if [ "$n_up" -ge 5 ] && [ "$n_up" = "$n_200" ]; then
	ok "the SDK's $n_up uploads answered 200"
else
	bad "the SDK's uploads: $n_200 of $n_up answered 200" "$tmp/sdk.log"
	grep -h . "$tmp/sdk"/*.status | sort | uniq -c
fi
grep -q "pyroscope error" "$tmp/sdk.log" && bad "the SDK logged errors" "$tmp/sdk.log"

# The uploads by hearth type: the query's units and the sample_type_config.
mkdir -p "$tmp/sdk/cpu" "$tmp/sdk/heap" "$tmp/sdk/goroutine" "$tmp/sdk/mutex" "$tmp/sdk/block"
for q in "$tmp/sdk"/*.query; do
	b=${q%.query}
	[ "$(cat "$b.status" 2>/dev/null)" = 200 ] || continue
	t=
	if grep -q 'units=samples' "$q"; then
		t=cpu
	elif grep -q 'units=goroutines' "$q"; then
		t=goroutine
	elif grep -q '"mutex_count"' "$b.sample_type_config" 2>/dev/null; then
		t=mutex
	elif grep -q '"block_count"' "$b.sample_type_config" 2>/dev/null; then
		t=block
	elif grep -q '"alloc_space"' "$b.sample_type_config" 2>/dev/null; then
		t=heap
	fi
	[ -n "$t" ] && cp "$b.profile" "$tmp/sdk/$t/${b##*/}.pb.gz"
done

until=$(($(date +%s) + 60))
range="from=$start&until=$until"
sel_sdk='%7Bservice%3D%22sdkpush%22%7D'
if api "/api/v1/services?$range" "$tmp/services.json"; then
	jcheck "services: sdkpush with cpu, heap, goroutine, mutex, block" "$tmp/services.json" \
		"any(s['name'] == 'sdkpush' and {'cpu','heap','goroutine','mutex','block'} <= set(s['types']) for s in d['services'])"
else
	bad "GET /api/v1/services" "$tmp/services.json"
fi
if api "/api/v1/labels?query=$sel_sdk&$range" "$tmp/labels.json"; then
	jcheck "labels: the SDK's tags, none of Pyroscope's __ ones" "$tmp/labels.json" \
		"{'env','region','process.runtime.name'} <= set(d['names']) and not any(n.startswith('__') for n in d['names'])"
else
	bad "GET /api/v1/labels" "$tmp/labels.json"
fi
if api "/api/v1/label_values?name=region&query=$sel_sdk&$range" "$tmp/lv.json"; then
	jcheck "label values: region=eu-1" "$tmp/lv.json" "d['values'] == ['eu-1']"
else
	bad "GET /api/v1/label_values" "$tmp/lv.json"
fi

# Stored profiles per type = uploads of that type.
for t in cpu heap goroutine mutex block; do
	want=$(ls "$tmp/sdk/$t" | wc -l)
	if api "/api/v1/profiles?query=$sel_sdk&type=$t&$range&limit=1000" "$tmp/p-$t.json"; then
		jcheck "sdkpush $t: $want profiles stored, as uploaded" "$tmp/p-$t.json" \
			"len(d['profiles']) == $want and $want > 0 and all(p['service'] == 'sdkpush' and p['labels'].get('env') == 'test' for p in d['profiles'])"
	else
		bad "GET /api/v1/profiles type=$t" "$tmp/p-$t.json"
	fi
done

# hearth top of the server's merge = hearth top of the files sent.  The
# headers (File, Time, Duration) name different sources; the table from
# "Showing nodes" on must be the same.
table() { sed -n '/^Showing nodes/,$p'; }
compare_top() { # NAME SELECTOR TYPE DIR OPTS... (shell functions share variables: ct_*)
	ct_name=$1 ct_sel=$2 ct_type=$3 ct_dir=$4
	shift 4
	"$hearth" top -nodecount=30 "$@" -type="$ct_type" -from="$start" -until="$until" \
		-token="$token" "$url/$ct_sel" >"$tmp/top-server.txt" 2>"$tmp/top-server.err" ||
		{ bad "$ct_name: hearth top of the server" "$tmp/top-server.err"; return; }
	"$hearth" top -nodecount=30 "$@" "$ct_dir"/*.pb.gz >"$tmp/top-files.txt" \
		2>"$tmp/top-files.err" ||
		{ bad "$ct_name: hearth top of the files sent" "$tmp/top-files.err"; return; }
	table <"$tmp/top-server.txt" >"$tmp/a.txt"
	table <"$tmp/top-files.txt" >"$tmp/b.txt"
	if [ -s "$tmp/a.txt" ] && cmp -s "$tmp/a.txt" "$tmp/b.txt"; then
		ok "$ct_name: the server's merge = hearth top of what was sent"
	else
		diff "$tmp/a.txt" "$tmp/b.txt" >"$tmp/top.diff"
		bad "$ct_name: the server's merge differs from what was sent (< server, > files)" "$tmp/top.diff"
	fi
}
compare_top "sdkpush cpu" '{service="sdkpush"}' cpu "$tmp/sdk/cpu"
# The first of the program's own functions by flat time (runtime.asyncPreempt
# may come before it: a tight loop is preempted by signals).
first_main() { sed -n '/^ *flat/,$p' "$tmp/top-server.txt" | awk '$NF ~ /^main\./ {print $NF; exit}'; }
first=$(first_main)
if [ "$first" = main.hearthSDKHotLoop ]; then
	ok "sdkpush cpu: the hot function leads the server's CPU top"
else
	bad "sdkpush cpu: the server's CPU top starts with $first" "$tmp/top-server.txt"
fi
# The API's own top (the UI's table) says the same total as hearth top of
# the files sent.
want_total=$("$hearth" top "$tmp/sdk/cpu"/*.pb.gz | sed -n 's/^Showing nodes accounting for .* of \(.*\) total$/\1/p')
if api "/api/v1/render/top?query=$sel_sdk&type=cpu&$range" "$tmp/rtop.json"; then
	jcheck "/api/v1/render/top: total $want_total, as hearth top of the files sent" "$tmp/rtop.json" \
		"d['total_label'] == '$want_total' and any(r['name'] == 'main.hearthSDKHotLoop' for r in d['rows'][:3])"
else
	bad "GET /api/v1/render/top" "$tmp/rtop.json"
fi
compare_top "sdkpush heap alloc_space" '{service="sdkpush"}' heap "$tmp/sdk/heap" -sample_index=alloc_space
compare_top "sdkpush heap alloc_objects" '{service="sdkpush"}' heap "$tmp/sdk/heap" -sample_index=alloc_objects
compare_top "sdkpush mutex delay" '{service="sdkpush"}' mutex "$tmp/sdk/mutex" -sample_index=delay
compare_top "sdkpush block delay" '{service="sdkpush"}' block "$tmp/sdk/block" -sample_index=delay

# Only the token changed, and a wrong one stores nothing.
timeout 60 "$tmp/sdkpush" -server "$url" -token hth_not_a_token -app intruder -for 3s -rate 1s \
	-dump "$tmp/bad" >"$tmp/bad.log" 2>&1
if [ "$(cat "$tmp/bad"/*.status 2>/dev/null | sort -u)" = 401 ]; then
	ok "a wrong token: every upload 401"
else
	bad "a wrong token: answers $(cat "$tmp/bad"/*.status 2>/dev/null | sort -u | tr '\n' ' ')"
fi
if api "/api/v1/services?$range" "$tmp/services2.json"; then
	jcheck "a wrong token stored nothing" "$tmp/services2.json" \
		"not any(s['name'] == 'intruder' for s in d['services'])"
fi

# ---- Alloy's protocol: push.v1 with connect-go ----------------------------
alloy_check() { # SERVICE DIR N [-json]
	svc=$1 dir=$2 n=$3
	shift 3
	if timeout 120 "$tmp/alloypush" -server "$url" -token "$token" -service "$svc" -n "$n" \
		-cpu 1s -dump "$dir" "$@" >"$tmp/$svc.log" 2>&1; then
		ok "alloypush ${*:-(protobuf)} ($svc): $n pushes accepted"
	else
		bad "alloypush ${*:-(protobuf)} ($svc)" "$tmp/$svc.log"
		return
	fi
	sel="%7Bservice%3D%22$svc%22%7D"
	mkdir -p "$dir/cpu" "$dir/heap"
	mv "$dir"/cpu-*.pb.gz "$dir/cpu/"
	mv "$dir"/heap-*.pb.gz "$dir/heap/"
	for t in cpu heap; do
		if api "/api/v1/profiles?query=$sel&type=$t&$range" "$tmp/$svc-$t.json"; then
			jcheck "$svc $t: $n profiles with Alloy's labels (job, instance), no __ ones" \
				"$tmp/$svc-$t.json" \
				"len(d['profiles']) == $n and all(p['labels'] == {'job': 'alloypush', 'instance': '127.0.0.1:6060'} for p in d['profiles'])"
		else
			bad "GET /api/v1/profiles $svc $t" "$tmp/$svc-$t.json"
		fi
	done
	compare_top "$svc cpu" "{service=\"$svc\"}" cpu "$dir/cpu"
	first=$(first_main)
	if [ "$first" = main.hearthAlloyHotLoop ]; then
		ok "$svc cpu: the hot function leads the server's CPU top"
	else
		bad "$svc cpu: the server's CPU top starts with $first" "$tmp/top-server.txt"
	fi
	compare_top "$svc heap alloc_space" "{service=\"$svc\"}" heap "$dir/heap" -sample_index=alloc_space
}
alloy_check alloyproto "$tmp/alloy" 3
alloy_check alloyjson "$tmp/alloyjson" 2 -json

# A push whose second profile is damaged stores neither.
curl -sS -o "$tmp/bad.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
	-H 'Content-Type: application/json' --data-binary \
	'{"series":[{"labels":[{"name":"service_name","value":"halfpush"}],"samples":[{"rawProfile":"'"$(base64 -w0 "$tmp/alloy/cpu/cpu-00.pb.gz")"'"},{"rawProfile":"AAAA"}]}]}' \
	"$url/push.v1.PusherService/Push" >"$tmp/bad.code" 2>&1
if [ "$(cat "$tmp/bad.code")" = 400 ] && grep -q '"code"' "$tmp/bad.json"; then
	ok "a push with a damaged profile: 400 with a Connect error"
else
	bad "a push with a damaged profile: $(cat "$tmp/bad.code")" "$tmp/bad.json"
fi
if api "/api/v1/services?$range" "$tmp/services3.json"; then
	jcheck "... and nothing of it stored" "$tmp/services3.json" \
		"not any(s['name'] == 'halfpush' for s in d['services'])"
fi

kill "$server_pid" 2>/dev/null
if wait "$server_pid"; then ok "hearth serve stops on SIGTERM"; else bad "hearth serve's exit status" "$tmp/serve.err"; fi
server_pid=
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
