#!/bin/sh
# hearth trace on execution traces written during the test by a Go program
# (tests/subjects/rtsubject: goroutines blocking on channels, select, a
# mutex, a condition variable, the network, syscalls, for a few hundred
# milliseconds) built with the newest Go and with Debian's Go 1.19, and on
# the shared corpus' Go 1.19 traces.  Each trace is held against the go
# tool trace of its own Go version, and a Go 1.19 trace against the newest
# go tool trace as well (hearth trace -tool=newest):
#
#   - `hearth trace -pprof=net|sync|syscall|sched` equals `go tool trace
#     -pprof=...`: the same `hearth top` (every node) and the same samples
#     (`hearth traces`, in any order);
#   - the goroutine analysis (`-json`) equals the newest go tool trace's
#     goroutine pages, fetched over HTTP from `go tool trace -http` on a
#     free loopback port: per start function the count, execution,
#     scheduler wait, syscall, network and sync block times (to a
#     microsecond);
#   - the minimum mutator utilization at each of hearth's windows (100 us
#     to 1 s) equals the worst windows go tool trace's /mmu page lists for
#     that window (its JSON, mode=details; Go 1.19: /mmuDetails), for
#     several of its options (-mmu=...); on a trace of the newest Go
#     without "background" (the newest tool counts a mark worker again at
#     each run: docs/trace.md), on Go 1.19's tool with it;
#   - the Chrome trace-event JSON (-chrome) is valid trace-event JSON and its
#     goroutine slices add up to the execution time;
#   - damaged traces and traces of other versions: one line naming the
#     file, exit status 1.
#
#   tests/cli/trace.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
name=trace subject=rtsubject gooptional=true
. "$(dirname "$0")/gosubject.inc"
go119=
[ -x /usr/lib/go-1.19/bin/go ] && go119=/usr/lib/go-1.19/bin/go

# pprof_same TAG TRACE GO [HEARTH_OPTION]: every -pprof kind of hearth
# trace equals GO's go tool trace's.
pprof_same() {
	for k in net sync syscall sched; do
		if ! GOTOOLCHAIN=local timeout 120 "$3" tool trace -pprof=$k "$2" >"$tmp/go.$k.pb" 2>"$tmp/err"; then
			bad "$1 $k: $3 tool trace -pprof=$k" "$tmp/err"
			continue
		fi
		if ! timeout 120 "$hearth" trace ${4:-} -pprof=$k "$2" >"$tmp/h.$k.pb.gz" 2>"$tmp/err"; then
			bad "$1 $k: hearth trace ${4:-} -pprof=$k" "$tmp/err"
			continue
		fi
		"$hearth" top -nodecount=1000000 -nodefraction=0 "$tmp/go.$k.pb" >"$tmp/go.top" 2>&1
		"$hearth" top -nodecount=1000000 -nodefraction=0 "$tmp/h.$k.pb.gz" >"$tmp/h.top" 2>&1
		v=$("$3" version | cut -d' ' -f3)
		if python3 "$check" top "$tmp/go.top" "$tmp/h.top" 2>"$tmp/err"; then
			ok "$1 ${4:-} -pprof=$k: hearth top equals $v go tool trace's ($(sed -n 's/^Showing nodes accounting for .* of \(.*\) total$/\1/p' "$tmp/h.top" | head -1) total)"
		else
			bad "$1 ${4:-} -pprof=$k: top as $v's" "$tmp/err"
		fi
		"$hearth" traces "$tmp/go.$k.pb" >"$tmp/go.traces" 2>&1
		"$hearth" traces "$tmp/h.$k.pb.gz" >"$tmp/h.traces" 2>&1
		if python3 "$check" traces "$tmp/go.traces" "$tmp/h.traces" 2>"$tmp/err"; then
			ok "$1 ${4:-} -pprof=$k: the same samples as $v's"
		else
			bad "$1 ${4:-} -pprof=$k: traces as $v's" "$tmp/err"
		fi
	done
}

# serve GO TRACE: go tool trace -http on a free loopback port, up within a
# minute; sets base (and bgpid, killed by unserve and on exit).
serve() {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	base=http://127.0.0.1:$port
	GOTOOLCHAIN=local "$1" tool trace -http=127.0.0.1:$port "$2" >"$tmp/gt.log" 2>&1 &
	bgpid=$!
	for i in $(seq 1 120); do
		curl -s -o /dev/null "$base/" && return 0
		kill -0 "$bgpid" 2>/dev/null || break
		sleep 0.5
	done
	return 1
}
unserve() {
	kill "$bgpid" 2>/dev/null
	wait "$bgpid" 2>/dev/null
	bgpid=
}

# mmu_same TAG TRACE OLD HEARTH_OPTION FLAGS...: with the server of serve
# up, hearth's MMU at each window with -mmu=FLAGS equals go tool trace's
# (OLD=1: Go 1.19's tool); an empty FLAGS is hearth's default, checked
# against the tool's default options.
mmu_same() {
	mt=$1 mtr=$2 mold=$3 opt=$4
	shift 4
	for fl in "$@"; do
		hf=$fl
		[ -z "$fl" ] && fl="stw|background|assist"
		if timeout 120 "$hearth" trace $opt ${hf:+-mmu=$hf} -json "$mtr" >"$tmp/mmu.json" 2>"$tmp/err" &&
			python3 "$check" mmu "$base" "$tmp/mmu.json" "$fl" "$mold" 2>"$tmp/err"; then
			ok "$mt $opt MMU (${hf:-the default, $fl}) = go tool trace's /mmu, windows $(python3 -c 'import json,sys; print(",".join(str(w["window"]) for w in json.load(open(sys.argv[1]))["mmu"]) or "none (no curve)")' "$tmp/mmu.json")"
		else
			bad "$mt $opt MMU ${hf:-(default)}" "$tmp/err"
		fi
	done
}

# The shared corpus' Go 1.19 traces, read as they are (no build).
corpus=""
for f in ../shared/corpus/*.trace; do
	[ -f "$f" ] && [ -n "$newest" ] && corpus="$corpus $f"
done

for pair in $gos $corpus; do
	case $pair in
	*.trace)
		tag=corpus-$(basename "$pair" .trace) go=$go119
		tr=$pair
		;;
	*)
		tag=${pair%%:*} go=${pair#*:}
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
	old=false
	head -c 16 "$tr" | grep -q '^go 1\.19 trace' && old=true
	if ! timeout 120 "$hearth" trace -json "$tr" >"$tmp/$tag.json" 2>"$tmp/err"; then
		bad "$tag: hearth trace -json" "$tmp/err"
		continue
	fi
	# The blocking profiles: each trace as its own version's tool writes
	# them; a Go 1.19 trace also as the newest tool, which converts it.
	if ! $old; then
		pprof_same "$tag" "$tr" "$newest"
	else
		[ -n "$go" ] && pprof_same "$tag" "$tr" "$go"
		pprof_same "$tag" "$tr" "$newest" -tool=newest
	fi
	# The newest go tool trace's pages: goroutines, MMU.
	newopt=
	$old && newopt=-tool=newest
	if ! serve "$newest" "$tr"; then
		bad "$tag: go tool trace -http did not come up" "$tmp/gt.log"
	else
		if python3 "$check" goroutines "$base" "$tmp/$tag.json" 2>"$tmp/err"; then
			ok "$tag: goroutine analysis = go tool trace's goroutine pages"
		else
			bad "$tag: goroutine analysis" "$tmp/err"
		fi
		mmu_same "$tag" "$tr" 0 "$newopt" "stw" "stw|assist" "stw|assist|sweep" "assist|sweep|perProc"
	fi
	unserve
	# Go 1.19's own tool: its MMU, background mark workers included
	# (not sweeping: that tool panics on a sweep before the first
	# GOMAXPROCS event, as in the corpus' searchsvc.trace).
	if $old && [ -n "$go" ]; then
		if ! serve "$go" "$tr"; then
			bad "$tag: Go 1.19's go tool trace -http did not come up" "$tmp/gt.log"
		else
			mmu_same "$tag" "$tr" 1 "" "" "stw|background|assist|perProc" "background"
		fi
		unserve
	fi
	if timeout 120 "$hearth" trace -q -chrome "$tmp/$tag.chrome.json" "$tr" >/dev/null 2>"$tmp/err" &&
		python3 "$check" chrome "$tmp/$tag.chrome.json" "$tmp/$tag.json" 2>"$tmp/err"; then
		ok "$tag: Chrome trace-event JSON"
	else
		bad "$tag: Chrome JSON" "$tmp/err"
	fi
	# Damaged: cut in the middle.
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
"$hearth" trace -mmu=stw,gc "$tmp/junk" >/dev/null 2>&1
[ $? -eq 2 ] && ok "-mmu=stw,gc: usage" || bad "-mmu=stw,gc: usage"
"$hearth" trace -tool=1.20 "$tmp/junk" >/dev/null 2>&1
[ $? -eq 2 ] && ok "-tool=1.20: usage" || bad "-tool=1.20: usage"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
