#!/bin/sh
# hearth trace on execution traces written during the test by a Go program
# (tests/subjects/rtsubject: goroutines blocking on channels, select, a
# mutex, a condition variable, the network, syscalls, for a few hundred
# milliseconds) built with the newest Go and with Debian's Go 1.19, and on
# the shared corpus' Go 1.19 traces; each trace is read by the go tool trace
# of the same Go version, and a Go 1.19 trace by the newest go tool trace
# as well (which reads it as hearth does; Go 1.19's own tool is held to the
# net profile, where the two agree):
#
#   - `hearth trace -pprof=net|sync|syscall|sched` equals `go tool trace
#     -pprof=...`: the same `hearth top` (every node) and the same samples
#     (`hearth traces`, in any order);
#   - the goroutine analysis (`-json`) equals go tool trace's goroutine
#     pages, fetched over HTTP from `go tool trace -http` on a free loopback
#     port: per start function the count, execution, scheduler wait,
#     syscall, network and sync block times (to a microsecond);
#   - the Chrome trace-event JSON (-chrome) is valid trace-event JSON and its
#     goroutine slices add up to the execution time;
#   - damaged traces and traces of other versions: one line naming the
#     file, exit status 1.
#
#   tests/cli/trace.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/trace.sh BUILD_DIR [-v]}
verbose=false
[ "${2:-}" = "-v" ] && verbose=true
hearth=$PWD/$build/hearth
check=$PWD/tests/cli/trace_check.py
subject=$PWD/tests/subjects/rtsubject
export TZ=UTC
tmp=$(mktemp -d)
gtpid=
cleanup() {
	[ -n "$gtpid" ] && kill "$gtpid" 2>/dev/null
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
	[ -n "${2:-}" ] && [ -f "$2" ] && head -20 "$2"
	return 0
}

export GOFLAGS=-mod=mod GO111MODULE=on GOCACHE="${GOCACHE:-$tmp/gocache}"
[ -d "$HOME/.cache/go-build" ] && GOCACHE=$HOME/.cache/go-build
gos=""
newest=$(command -v go 2>/dev/null)
[ -x /usr/local/go/bin/go ] && newest=/usr/local/go/bin/go
[ -n "$newest" ] && gos="$gos newest:$newest"
[ -x /usr/lib/go-1.19/bin/go ] && gos="$gos go119:/usr/lib/go-1.19/bin/go"
# The shared corpus' Go 1.19 traces, read as they are (no build).
corpus=""
for f in ../shared/corpus/*.trace; do
	[ -f "$f" ] && [ -n "$newest" ] && corpus="$corpus $f"
done

# A Go 1.19 trace is read by the newest go tool trace too (it converts the
# old format: internal/trace/oldtrace.go), whose analysis is the one hearth
# computes; Go 1.19's own go tool trace agrees on net, and counts sync,
# syscall and sched otherwise (docs/trace.md), so those are checked against
# the newest one.
for pair in $gos $corpus; do
	case $pair in
	*.trace)
		tag=corpus-$(basename "$pair" .trace) go=$newest ref=$newest
		tr=$pair
		;;
	*)
		tag=${pair%%:*} go=${pair#*:} ref=$go
		[ "$tag" = go119 ] && ref=$newest
		if ! (cd "$subject" && GOTOOLCHAIN=local "$go" build -o "$tmp/rt-$tag" .) >"$tmp/build.log" 2>&1; then
			bad "$tag: go build" "$tmp/build.log"
			continue
		fi
		tr=$tmp/$tag.trace
		if ! timeout 60 "$tmp/rt-$tag" -trace "$tr" -d 200ms -n 200 >/dev/null 2>"$tmp/err"; then
			bad "$tag: the subject failed" "$tmp/err"
			continue
		fi
		;;
	esac
	if ! timeout 120 "$hearth" trace -json "$tr" >"$tmp/$tag.json" 2>"$tmp/err"; then
		bad "$tag: hearth trace -json" "$tmp/err"
		continue
	fi
	checks="net:$ref sync:$ref syscall:$ref sched:$ref"
	[ "$ref" != "$go" ] && checks="$checks net:$go"
	for kg in $checks; do
		k=${kg%%:*} kgo=${kg#*:}
		if ! GOTOOLCHAIN=local timeout 120 "$kgo" tool trace -pprof=$k "$tr" >"$tmp/go.$k.pb" 2>"$tmp/err"; then
			bad "$tag $k: $kgo tool trace -pprof=$k" "$tmp/err"
			continue
		fi
		if ! timeout 120 "$hearth" trace -pprof=$k "$tr" >"$tmp/h.$k.pb.gz" 2>"$tmp/err"; then
			bad "$tag $k: hearth trace -pprof=$k" "$tmp/err"
			continue
		fi
		"$hearth" top -nodecount=1000000 -nodefraction=0 "$tmp/go.$k.pb" >"$tmp/go.top" 2>&1
		"$hearth" top -nodecount=1000000 -nodefraction=0 "$tmp/h.$k.pb.gz" >"$tmp/h.top" 2>&1
		if python3 "$check" top "$tmp/go.top" "$tmp/h.top" 2>"$tmp/err"; then
			ok "$tag -pprof=$k: hearth top equals $("$kgo" version | cut -d' ' -f3) go tool trace's ($(sed -n 's/^Showing nodes accounting for .* of \(.*\) total$/\1/p' "$tmp/h.top" | head -1) total)"
		else
			bad "$tag -pprof=$k: top" "$tmp/err"
		fi
		"$hearth" traces "$tmp/go.$k.pb" >"$tmp/go.traces" 2>&1
		"$hearth" traces "$tmp/h.$k.pb.gz" >"$tmp/h.traces" 2>&1
		if python3 "$check" traces "$tmp/go.traces" "$tmp/h.traces" 2>"$tmp/err"; then
			ok "$tag -pprof=$k: the same samples"
		else
			bad "$tag -pprof=$k: traces" "$tmp/err"
		fi
	done
	# go tool trace's goroutine pages, over HTTP on a free loopback port.
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	GOTOOLCHAIN=local "$ref" tool trace -http=127.0.0.1:$port "$tr" >"$tmp/gt.log" 2>&1 &
	gtpid=$!
	up=false
	for i in $(seq 1 120); do
		if curl -s -o /dev/null "http://127.0.0.1:$port/goroutines"; then
			up=true
			break
		fi
		kill -0 "$gtpid" 2>/dev/null || break
		sleep 0.5
	done
	if ! $up; then
		bad "$tag: go tool trace -http did not come up" "$tmp/gt.log"
	elif python3 "$check" goroutines "http://127.0.0.1:$port" "$tmp/$tag.json" 2>"$tmp/err"; then
		ok "$tag: goroutine analysis = go tool trace's goroutine pages"
	else
		bad "$tag: goroutine analysis" "$tmp/err"
	fi
	kill "$gtpid" 2>/dev/null
	wait "$gtpid" 2>/dev/null
	gtpid=
	if timeout 120 "$hearth" trace -q -chrome "$tmp/$tag.chrome.json" "$tr" >/dev/null 2>"$tmp/err" &&
		python3 "$check" chrome "$tmp/$tag.chrome.json" "$tmp/$tag.json" 2>"$tmp/err"; then
		ok "$tag: Chrome trace-event JSON"
	else
		bad "$tag: Chrome JSON" "$tmp/err"
	fi
	# Damaged: cut in the middle, and a byte changed in every 997.
	size=$(wc -c <"$tr")
	head -c $((size / 2)) "$tr" >"$tmp/cut.trace"
	"$hearth" trace "$tmp/cut.trace" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q 'cut.trace' "$tmp/err"; then
		ok "$tag: a cut trace: one line, status 1"
	else
		bad "$tag: a cut trace (status $rc)" "$tmp/err"
	fi
done
[ -n "$gos" ] || echo "trace: no Go toolchain; no traces were made"

printf 'go 1.21 trace\000\000\000' >"$tmp/v121.trace"
"$hearth" trace "$tmp/v121.trace" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q 'Go 1.21' "$tmp/err"; then
	ok "a Go 1.21 trace: named in the error"
else
	bad "a Go 1.21 trace (status $rc)" "$tmp/err"
fi
printf 'not a trace at all' >"$tmp/junk"
"$hearth" trace "$tmp/junk" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && ok "not a trace: status 1" || bad "not a trace" "$tmp/err"
"$hearth" trace -pprof=cpu "$tmp/junk" >/dev/null 2>&1
[ $? -eq 2 ] && ok "-pprof=cpu: usage" || bad "-pprof=cpu: usage"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
