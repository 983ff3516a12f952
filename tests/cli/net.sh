#!/bin/sh
# URL sources, remote symbolization and `hearth fetch` against a real Go
# program (tests/subjects/netsubject) on loopback, and every failure mode of
# a URL source against tests/cli/net_stub.py and a closed port.
#
#   tests/cli/net.sh BUILD_DIR
#
# Needs go (skipped without it); the CPU check needs hey for load.  The
# heap?debug=1 text is compared with the proto heap profile of the same
# moment (the subject's /quiesce holds the heap profile still).  Every
# report command's -h is checked for the options of URL sources, go or not.
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
. tests/cli/go.inc
build=${1:?usage: tests/cli/net.sh BUILD_DIR}
H=$PWD/$build/hearth
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "     $l"; done; }

# Every report command takes URL sources and -symbolize; its -h says so.
for c in top text tree peek traces tags raw comments callgrind dot svg pdf png list topproto \
	proto flame folded speedscope; do
	u=$("$H" "$c" -h 2>&1)
	missing=""
	for o in -seconds= -timeout= -symbolize= -max_size=; do
		printf '%s\n' "$u" | grep -q -e "$o" || missing="$missing $o"
	done
	if [ -z "$missing" ] && printf '%s\n' "$u" | grep -q "^usage: hearth "; then
		ok "$c -h: URL sources and -symbolize"
	else
		bad "$c -h: URL sources and -symbolize" "missing:$missing"
	fi
done

if ! command -v go >/dev/null 2>&1; then
	echo "SKIP: no go on PATH; only the usage texts are checked"
	echo "$pass passed, $fail failed"
	[ $fail -eq 0 ]
	exit
fi
tmp=$(mktemp -d)
# Profiles fetched from URLs are saved (as pprof saves them) here, not in ~/pprof.
export PPROF_TMPDIR="$tmp/saved"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# The subject: built with go, listening on a free loopback port.
if ! (cd tests/subjects/netsubject && go build -o "$tmp/netsubject" .) >"$tmp/build.log" 2>&1; then
	bad "go build tests/subjects/netsubject" "$(tail -n 5 "$tmp/build.log")"
	echo "$pass passed, $fail failed"
	exit 1
fi
"$tmp/netsubject" -addr_file "$tmp/addr" -parked 50 &
pids="$pids $!"
python3 tests/cli/net_stub.py "$tmp/stubport" &
pids="$pids $!"
i=0
while [ ! -s "$tmp/addr" ] || [ ! -s "$tmp/stubport" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		bad "subject and stub start" "no address after 10 s"
		echo "$pass passed, $fail failed"
		exit 1
	fi
	sleep 0.1
done
A=$(cat "$tmp/addr")
S=127.0.0.1:$(cat "$tmp/stubport")

loaded=false
# first_row OUTPUT: the function of top's first row.
first_row() { awk 'f { print $6; exit } / flat%/ { f = 1 }' "$1"; }

# The CPU profile from host:port shorthand, under load: hotLoop leads.
if command -v hey >/dev/null 2>&1; then
	loaded=true
	hey -z 4s -c 4 "http://$A/work" >/dev/null 2>&1 &
	hey_pid=$!
	pids="$pids $hey_pid"
	t0=$(date +%s)
	if "$H" top -seconds=3 "$A" >"$tmp/cpu.txt" 2>"$tmp/cpu.err"; then
		secs=$(($(date +%s) - t0))
		r=$(first_row "$tmp/cpu.txt")
		if [ "$r" = main.hotLoop ]; then ok "cpu: main.hotLoop leads top ($secs s)"; else
			bad "cpu: main.hotLoop leads top" "first row: $r" "$(head -n 12 "$tmp/cpu.txt")"; fi
		if [ $secs -ge 3 ] && [ $secs -le 8 ]; then ok "cpu: -seconds=3 took $secs s"; else
			bad "cpu: -seconds=3 took $secs s"; fi
	else
		bad "cpu: hearth top -seconds=3 $A" "$(cat "$tmp/cpu.err")"
	fi
	wait "$hey_pid" # the load's goroutines are gone before they are counted
else
	echo "SKIP: no hey on PATH; the CPU profile under load is not checked"
fi

# Heap: the leaking function leads inuse_space.
if "$H" top -sample_index=inuse_space "http://$A/debug/pprof/heap" >"$tmp/heap.txt" 2>"$tmp/err"; then
	r=$(first_row "$tmp/heap.txt")
	if [ "$r" = main.leakMemory ]; then ok "heap: main.leakMemory leads inuse_space"; else
		bad "heap: main.leakMemory leads inuse_space" "first row: $r"; fi
else
	bad "heap: hearth top" "$(cat "$tmp/err")"
fi

# Mutex: the contended lock's function shows.
if "$H" top "http://$A/debug/pprof/mutex" >"$tmp/mutex.txt" 2>"$tmp/err" &&
	grep -q ' main\.contendLock$' "$tmp/mutex.txt"; then
	ok "mutex: main.contendLock shows"
else
	bad "mutex: main.contendLock shows" "$(cat "$tmp/err")" "$(head -n 12 "$tmp/mutex.txt")"
fi

# Goroutines: the profile's total matches the program's own count (give or
# take the few goroutines of the HTTP requests themselves).
# get URL FILE: the body as the server sent it (curl, else python).
get() {
	curl -sf -o "$2" "$1" 2>/dev/null ||
		python3 -c 'import sys,urllib.request;open(sys.argv[2],"wb").write(urllib.request.urlopen(sys.argv[1]).read())' "$1" "$2"
}
own=$(get "http://$A/count" /dev/stdout)
if "$H" top "http://$A/debug/pprof/goroutine" >"$tmp/g.txt" 2>"$tmp/err"; then
	total=$(sed -n 's/.* of \([0-9][0-9]*\) total$/\1/p' "$tmp/g.txt" | head -n 1)
	d=$((total - own))
	if [ "${total:-0}" -gt 50 ] && [ $d -ge -3 ] && [ $d -le 3 ]; then
		ok "goroutine: profile total $total, program's count $own"
	else
		bad "goroutine: profile total ${total:-?} vs program's count $own"
	fi
else
	bad "goroutine: hearth top" "$(cat "$tmp/err")"
fi

# Remote symbolization: goroutine?debug=1 has addresses only; the names come
# from /debug/pprof/symbol, and -symbolize=none leaves them out.
if "$H" top -nodecount=200 "http://$A/debug/pprof/goroutine?debug=1" >"$tmp/g1.txt" 2>"$tmp/err" &&
	grep -q 'main\.parkGoroutines\.func1$' "$tmp/g1.txt"; then
	ok "symbolz: goroutine?debug=1 names main.parkGoroutines.func1"
else
	bad "symbolz: goroutine?debug=1 names main.parkGoroutines.func1" "$(cat "$tmp/err")" \
		"$(head -n 12 "$tmp/g1.txt")"
fi
if "$H" top -symbolize=none -nodecount=200 "http://$A/debug/pprof/goroutine?debug=1" \
	>"$tmp/g0.txt" 2>"$tmp/err" && ! grep -q 'main\.' "$tmp/g0.txt"; then
	ok "symbolz: -symbolize=none leaves addresses"
else
	bad "symbolz: -symbolize=none leaves addresses" "$(cat "$tmp/err")" "$(head -n 12 "$tmp/g0.txt")"
fi

# pprof's mode words: local alone skips the remote part, remote:force takes it.
if "$H" top -symbolize=local -nodecount=200 "http://$A/debug/pprof/goroutine?debug=1" \
	>"$tmp/gl.txt" 2>"$tmp/err" && ! grep -q 'main\.' "$tmp/gl.txt" &&
	"$H" top -symbolize=remote:force -nodecount=200 "http://$A/debug/pprof/goroutine?debug=1" \
		>"$tmp/gf.txt" 2>>"$tmp/err" && grep -q 'main\.parkGoroutines\.func1$' "$tmp/gf.txt"; then
	ok "symbolz: -symbolize=local skips it, remote:force does it"
else
	bad "symbolz: -symbolize=local skips it, remote:force does it" "$(cat "$tmp/err")"
fi
# heap?debug=1 symbolized with the program against the proto heap profile
# taken at the same moment.  Both are written from the same records
# (runtime.MemProfile), which change only when a garbage collection
# publishes them: /quiesce runs one with the collector otherwise switched
# off, so the two snapshots are made from exactly the same records and must
# give the same table.  What legitimately differs, and is left out:
#   - Type: (a text whose records all have alloc = inuse is typed "space"),
#     Time: (the text has none), Build ID: (today's Go writes the program's
#     into the proto; the text has none, and pprof takes none from the
#     binary given with it);
#   - runtime.goexit: the text keeps the address at the bottom of each
#     goroutine's stack, Go's proto writer stops before it (a row of flat 0);
#   - inlined calls: the text has one address per frame, named by the
#     function it is in (as `go tool pprof` names it), where the proto has
#     the inlined functions too, so both sides take -noinlines;
#   - the profile writers' own allocations (samples through runtime/pprof,
#     left by the debug=1 texts fetched above): Go's proto writer hides the
#     top frames that runtime.FuncForPC names runtime.*, and at an address
#     where a runtime function is inlined (runtime.CallersFrames, which
#     allocates, in runtime/pprof.printStackRecord) that is the inlined
#     function, so the proto loses printStackRecord where the text keeps it.
#     Whether a sample lands there is chance (one in 512 KB allocated), so
#     both sides take -ignore='^runtime/pprof\.'.
# The text's tables are also go tool pprof's own, byte for byte, and so are
# the proto's.
if get "http://$A/quiesce" "$tmp/q" && get "http://$A/debug/pprof/heap?debug=1" "$tmp/heap1.txt" &&
	get "http://$A/debug/pprof/heap" "$tmp/heap.pb.gz"; then
	for si in inuse_space alloc_space inuse_objects alloc_objects; do
		"$H" top -sample_index=$si "$tmp/netsubject" "$tmp/heap1.txt" >"$tmp/ht.$si" 2>"$tmp/err"
		"$H" top -sample_index=$si "$tmp/heap.pb.gz" >"$tmp/hp.$si" 2>>"$tmp/err"
		"$H" top -noinlines -ignore='^runtime/pprof\.' -sample_index=$si "$tmp/netsubject" "$tmp/heap1.txt" 2>>"$tmp/err" |
			awk '!/^(Type|Time|Build ID): / && !($1 == 0 && $6 == "runtime.goexit")' >"$tmp/htn.$si"
		"$H" top -noinlines -ignore='^runtime/pprof\.' -sample_index=$si "$tmp/heap.pb.gz" 2>>"$tmp/err" |
			awk '!/^(Type|Time|Build ID): /' >"$tmp/hpn.$si"
		rows=$(grep -c '%  ' "$tmp/hpn.$si")
		if [ "$rows" -ge 2 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/htn.$si" "$tmp/hpn.$si"; then
			ok "heap?debug=1 + binary = proto heap: $si, $rows rows equal (led by $(first_row "$tmp/hpn.$si"))"
		else
			bad "heap?debug=1 + binary = proto heap: $si" "$(cat "$tmp/err")" \
				"$(diff "$tmp/htn.$si" "$tmp/hpn.$si")"
		fi
		go tool pprof -top -sample_index=$si "$tmp/netsubject" "$tmp/heap1.txt" >"$tmp/gt" 2>/dev/null
		go tool pprof -top -sample_index=$si "$tmp/heap.pb.gz" >"$tmp/gp" 2>/dev/null
		if [ -s "$tmp/gt" ] && cmp -s "$tmp/gt" "$tmp/ht.$si" && cmp -s "$tmp/gp" "$tmp/hp.$si"; then
			ok "heap: $si of the text and of the proto are go tool pprof's"
		else
			bad "heap: $si of the text and of the proto are go tool pprof's" \
				"$(diff "$tmp/gt" "$tmp/ht.$si")" "$(diff "$tmp/gp" "$tmp/hp.$si")"
		fi
	done
	# Still quiescent: the heap profile fetched again, with -symbolize=
	# remote:force, is the one above.  A proto's locations all have their
	# lines, and pprof's symbolz asks only about locations without lines,
	# force or not; go tool pprof fetching it says the same.
	"$H" top -lines -symbolize=remote:force "http://$A/debug/pprof/heap" 2>"$tmp/err" |
		grep -v '^Time: ' >"$tmp/hf"
	go tool pprof -top -lines -symbolize=remote:force "http://$A/debug/pprof/heap" 2>/dev/null |
		grep -v '^Time: ' >"$tmp/gf"
	"$H" top -lines "$tmp/heap.pb.gz" 2>>"$tmp/err" | grep -v '^Time: ' >"$tmp/hp0"
	if [ -s "$tmp/gf" ] && cmp -s "$tmp/hf" "$tmp/hp0" && cmp -s "$tmp/hf" "$tmp/gf" &&
		[ ! -s "$tmp/err" ]; then
		ok "symbolz: -symbolize=remote:force leaves a proto's lines, as go tool pprof (top -lines)"
	else
		bad "symbolz: -symbolize=remote:force leaves a proto's lines, as go tool pprof" \
			"$(cat "$tmp/err")" "$(diff "$tmp/hp0" "$tmp/hf")" "$(diff "$tmp/gf" "$tmp/hf")"
	fi
	if $loaded; then
		r=$(first_row "$tmp/hp.alloc_space")
		if [ "$r" = main.keepRecent ]; then ok "heap proto: main.keepRecent leads alloc_space"; else
			bad "heap proto: main.keepRecent leads alloc_space" "first row: $r"; fi
	fi
	get "http://$A/resume" "$tmp/q"
else
	bad "heap: fetching /quiesce, heap?debug=1 and heap from $A"
fi

# The other legacy texts of a live program (goroutine, mutex and block at
# debug=1: addresses only), symbolized with the program, read as
# go tool pprof reads them, byte for byte.
for prof in goroutine mutex block; do
	if ! get "http://$A/debug/pprof/$prof?debug=1" "$tmp/$prof.1.txt"; then
		bad "$prof?debug=1 + binary: fetching it"
		continue
	fi
	for o in "" -lines; do
		# shellcheck disable=SC2086
		"$H" top $o "$tmp/netsubject" "$tmp/$prof.1.txt" >"$tmp/h.out" 2>"$tmp/err"
		# shellcheck disable=SC2086
		go tool pprof -top $o "$tmp/netsubject" "$tmp/$prof.1.txt" >"$tmp/g.out" 2>/dev/null
		if [ -s "$tmp/g.out" ] && cmp -s "$tmp/h.out" "$tmp/g.out" && grep -q ' main\.' "$tmp/h.out"; then
			ok "$prof?debug=1 + binary: top${o:+ $o} is go tool pprof's"
		else
			bad "$prof?debug=1 + binary: top${o:+ $o} is go tool pprof's" "$(cat "$tmp/err")" \
				"$(diff "$tmp/g.out" "$tmp/h.out")"
		fi
	done
done

# fetch: every profile, each readable by go tool pprof, and an index; the
# subject counts the requests it serves at once (the CPU profile and the
# trace, each 2 s long, overlap only when fetched concurrently).
get "http://$A/maxinflight" "$tmp/q"
if "$H" fetch -q -o "$tmp/f" -seconds 2 "$A" >"$tmp/fetch.out" 2>"$tmp/err"; then
	get "http://$A/maxinflight" "$tmp/inflight"
	m=$(cat "$tmp/inflight")
	if [ "${m:-0}" -ge 2 ]; then ok "fetch: concurrent ($m requests served at once)"; else
		bad "fetch: concurrent" "at most ${m:-?} requests served at once"; fi
	d=$(ls -d "$tmp"/f/*/ 2>/dev/null | head -n 1)
	n=$(grep -c '	ok$' "$d/index.txt" 2>/dev/null)
	if [ "$n" = 9 ]; then ok "fetch: index names 9 profiles"; else
		bad "fetch: index names 9 profiles" "$(cat "$d/index.txt")"; fi
	if [ -s "$tmp/fetch.out" ] || [ -s "$tmp/err" ]; then
		bad "fetch -q prints nothing" "$(cat "$tmp/fetch.out" "$tmp/err")"
	else
		ok "fetch -q prints nothing"
	fi
	for f in cpu heap allocs goroutine block mutex threadcreate; do
		if go tool pprof -raw "$d/$f.pb.gz" >/dev/null 2>"$tmp/err"; then
			ok "fetch: go tool pprof -raw $f.pb.gz"
		else
			bad "fetch: go tool pprof -raw $f.pb.gz" "$(head -n 3 "$tmp/err")"
		fi
	done
	if grep -q '^goroutine 1 \[' "$d/goroutine.txt" && [ -s "$d/trace.out" ]; then
		ok "fetch: goroutine.txt (debug=2) and trace.out"
	else
		bad "fetch: goroutine.txt (debug=2) and trace.out"
	fi
else
	bad "fetch: hearth fetch $A" "$(cat "$tmp/err")"
fi

# On a terminal (script(1) gives it one) fetch shows its progress on stderr,
# the seconds left of the timed parts, then erases that line and prints the
# directory.
if command -v script >/dev/null 2>&1; then
	script -qc "'$H' fetch -o '$tmp/f3' -seconds 1 '$A'" /dev/null >"$tmp/tty.out" 2>&1
	d=$(ls -d "$tmp"/f3/*/ 2>/dev/null | head -n 1)
	if grep -q "fetch $A: [0-9] of 9 profiles, cpu and trace: [0-9]*s left" "$tmp/tty.out" &&
		[ -n "$d" ] && tr '\r' '\n' <"$tmp/tty.out" | grep -qF "${d%/}"; then
		ok "fetch: progress on a terminal, then the directory"
	else
		bad "fetch: progress on a terminal, then the directory" "$(tr '\r' '\n' <"$tmp/tty.out")"
	fi
else
	echo "SKIP: no script(1); fetch's progress on a terminal is not checked"
fi

# Failures: exit 1, one line on stderr naming the URL, quickly.
# A closed port: a listener opened and closed again gives a free one.
closed=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
expect_fail() { # NAME MAX_SECONDS PATTERN URL [OPTIONS...]
	name=$1 max=$2 pat=$3 url=$4
	shift 4
	t0=$(date +%s)
	"$H" top "$@" "$url" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	secs=$(($(date +%s) - t0))
	lines=$(wc -l <"$tmp/err")
	if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -qF "$url" "$tmp/err" &&
		grep -qE "$pat" "$tmp/err" && [ $secs -le "$max" ] && [ ! -s "$tmp/out" ]; then
		ok "failure: $name ($(cat "$tmp/err"))"
	else
		bad "failure: $name" "exit $rc after $secs s, $lines lines on stderr:" "$(cat "$tmp/err")"
	fi
}
expect_fail "refused connection" 2 "connect" "127.0.0.1:$closed"
expect_fail "silent host, -timeout=2" 3 "timed out" "http://$S/silent" -timeout=2
expect_fail "HTTP 404" 2 "404 Not Found - no such profile" "http://$S/404"
expect_fail "HTTP 500" 2 "500 Internal Server Error - no such profile" "http://$S/500"
expect_fail "an HTML page" 2 "HTML page" "http://$S/html"
expect_fail "an endless body, -max_size=1m" 5 "larger than" "http://$S/endless" -max_size=1m
# The URL hearth makes: host:port is the CPU profile, -seconds sets seconds=
# (the stub answers 404 with the path and query it was asked for).
expect_fail "host:port is /debug/pprof/profile, -seconds=7 in the query" 2 \
	"404 Not Found - /debug/pprof/profile\\?seconds=7$" "$S" -seconds=7
expect_fail "-seconds replaces the URL's seconds=" 2 \
	"404 Not Found - /x\\?debug=1&seconds=4$" "http://$S/x?seconds=9&debug=1" -seconds=4
# A symbol endpoint's answer is hostile input too: garbage lines are skipped,
# the last name of an address wins, a name ends at a NUL byte, and an
# answer that never ends is cut at -max_size (an error only when remote
# symbolization is asked for; by default the addresses stay unnamed).
if "$H" top -symbolize=remote "http://$S/hostile/debug/pprof/goroutine" >"$tmp/hs.txt" 2>"$tmp/err"; then
	names=$(awk 'f { print $6 } / flat%/ { f = 1 }' "$tmp/hs.txt" | grep '^main\.' | sort | tr '\n' ' ')
	if [ "$names" = "main.alpha main.beta main.gamma " ] && [ ! -s "$tmp/err" ] &&
		! grep -q 'main\.gamma[^ ]' "$tmp/hs.txt"; then
		ok "symbolz: a hostile answer names what it can ($names)"
	else
		bad "symbolz: a hostile answer names what it can" "names: $names" "$(cat "$tmp/err")" \
			"$(cat "$tmp/hs.txt")"
	fi
else
	bad "symbolz: a hostile answer" "$(cat "$tmp/err")"
fi
# A gperftools-style path (…/pprof/heap, no /debug/) has its symbol
# endpoint beside it, …/pprof/symbol, as pprof finds it.
if "$H" top -symbolize=remote "http://$S/gperf/pprof/heap" >"$tmp/gp.txt" 2>"$tmp/err" &&
	grep -q ' main\.gperf$' "$tmp/gp.txt"; then
	ok "symbolz: /pprof/heap is symbolized through /pprof/symbol"
else
	bad "symbolz: /pprof/heap is symbolized through /pprof/symbol" "$(cat "$tmp/err")"
fi
expect_fail "symbolz: an endless answer, -max_size=1m" 5 \
	"symbolizing with .*/debug/pprof/symbol: response larger than 1048576" \
	"http://$S/endless/debug/pprof/goroutine" -symbolize=remote -max_size=1m
if "$H" top -max_size=1m "http://$S/endless/debug/pprof/goroutine" >"$tmp/he.txt" 2>"$tmp/err" &&
	! grep -q 'main\.' "$tmp/he.txt" && [ ! -s "$tmp/err" ]; then
	ok "symbolz: an endless answer leaves the addresses by default"
else
	bad "symbolz: an endless answer leaves the addresses by default" "$(cat "$tmp/err")"
fi
# https: a self-signed certificate is refused, and taken with https+insecure://.
if command -v openssl >/dev/null 2>&1 &&
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
		-keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1; then
	cat "$tmp/key.pem" "$tmp/cert.pem" >"$tmp/tls.pem"
	python3 tests/cli/net_stub.py "$tmp/tlsport" "$tmp/tls.pem" &
	pids="$pids $!"
	i=0
	while [ ! -s "$tmp/tlsport" ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
	T=127.0.0.1:$(cat "$tmp/tlsport" 2>/dev/null)
	expect_fail "https: a self-signed certificate" 2 "certificate" "https://$T/404"
	expect_fail "https+insecure: TLS without checks" 2 "404 Not Found - no such profile" \
		"https+insecure://$T/404"
else
	echo "SKIP: no openssl; https is not checked"
fi
# fetch names the failures too, and exits 1.
if "$H" fetch -q -o "$tmp/f2" -seconds 1 -timeout 2 "127.0.0.1:$closed" >/dev/null 2>"$tmp/err"; then
	bad "failure: fetch from a closed port exits 1"
else
	n=$(grep -c "127.0.0.1:$closed" "$tmp/err")
	if [ "$n" = 9 ]; then ok "failure: fetch names each of 9 failed URLs"; else
		bad "failure: fetch names each of 9 failed URLs" "$(cat "$tmp/err")"; fi
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
