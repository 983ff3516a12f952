#!/bin/sh
# hearth as `go tool pprof`: the same command lines given to both, outputs
# compared byte for byte (stdout and stderr) against the newest Go's pprof.
#   - one-shot output flags (-top, -traces, -peek=RE, -list=RE, -dot ...);
#   - binary outputs (-proto, -topproto) through `go tool pprof -raw`,
#     drawings (-svg, -pdf, -png) by their file type;
#   - -output=FILE and "Generating report in FILE";
#   - -web and -weblist=RE with $BROWSER a script that keeps the file;
#   - -http=127.0.0.1:PORT -no_browser answers as hearth web;
#   - the interactive shell fed a script on stdin (not a terminal), both
#     tools, stdout and stderr byte for byte.
#
#   tests/cli/pprof_form.sh BUILD_DIR [-v]
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/pprof_form.sh BUILD_DIR [-v]}
verbose=false
[ "${2:-}" = "-v" ] && verbose=true
hearth=$(pwd)/$build/hearth
export TZ=UTC
export PPROF_BINARY_PATH=/nonexistent PPROF_TOOLS=/nonexistent
tmp=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
pass=0
fail=0
data=$(pwd)/tests/data
ok() {
	pass=$((pass + 1))
	$verbose && echo "ok   $1"
	return 0
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	[ $# -ge 3 ] && diff -u "$2" "$3" | sed -n '3,16s/^/     /p'
	return 0
}
if ! command -v go >/dev/null 2>&1; then
	echo "skip: go is not installed"
	echo "0 passed, 0 failed"
	exit 0
fi

# same NAME ARGS...: `go tool pprof ARGS` and `hearth ARGS` in $tmp/run
# (stdin /dev/null), stdout and stderr compared.
same() {
	name=$1
	shift
	rm -rf "$tmp/run" && mkdir "$tmp/run"
	(cd "$tmp/run" && timeout 120 go tool pprof "$@" >"$tmp/want" 2>"$tmp/want.err" </dev/null)
	(cd "$tmp/run" && timeout 120 "$hearth" "$@" >"$tmp/got" 2>"$tmp/got.err" </dev/null)
	# Where pprof prints its whole usage before the error, the error.
	case $name in usage:*)
		tail -1 "$tmp/want.err" >"$tmp/x" && mv "$tmp/x" "$tmp/want.err"
		tail -1 "$tmp/got.err" >"$tmp/x" && mv "$tmp/x" "$tmp/got.err" ;;
	esac
	if ! cmp -s "$tmp/want" "$tmp/got"; then
		bad "$name" "$tmp/want" "$tmp/got"
	elif ! cmp -s "$tmp/want.err" "$tmp/got.err"; then
		bad "$name (stderr)" "$tmp/want.err" "$tmp/got.err"
	else
		ok "$name"
	fi
}

cpu=$data/leaky.cpu.pb.gz
heap=$data/leaky.heap.pb.gz
same "-top" -top "$cpu"
same "-text -cum" -text -cum "$cpu"
same "-top -nodecount" -top -nodecount=7 -focus=main "$cpu"
same "-top -alloc_space" -top -alloc_space "$heap"
same "-top -inuse_objects -lines" -top -inuse_objects -lines "$heap"
same "-top two value flags" -top -alloc_space -inuse_objects "$heap"
same "-top --opt" --top --nodecount 5 "$cpu"
same "-traces" -traces -focus=leakSome "$cpu"
same "-traces merged" -traces "$data/leaky.series.01.cpu.pb.gz" "$data/leaky.series.02.cpu.pb.gz"
same "-tree" -tree -nodecount=12 "$cpu"
same "-peek=RE" -peek=sinh "$cpu"
same "-peek RE" -peek 'main\.Do' "$cpu"
same "-dot" -dot "$cpu"
same "-callgrind (not a tty)" -callgrind "$cpu"
same "-comments" -comments "$heap"
same "-top -base" -top -base="$data/searchsvc.base.heap.pb.gz" "$data/searchsvc.heap.pb.gz"
same "-top -diff_base" -top -diff_base="$data/searchsvc.base.heap.pb.gz" "$data/searchsvc.heap.pb.gz"
same "-list=RE" -list=leakSome -source_path=/nonexistent "$cpu"
same "-output=FILE" -top -output=top.txt "$cpu"
same "two formats" -top -traces "$cpu"
same "usage: no source" -top
same "-http with a format" -top -http=:0 "$cpu"

# Binary outputs: both read back by pprof.
for f in proto topproto; do
	(cd "$tmp" && go tool pprof -$f -focus=main "$cpu" >want.pb.gz 2>/dev/null </dev/null)
	"$hearth" -$f -focus=main "$cpu" >"$tmp/got.pb.gz" 2>/dev/null </dev/null
	go tool pprof -raw "$tmp/want.pb.gz" >"$tmp/want" 2>&1
	go tool pprof -raw "$tmp/got.pb.gz" >"$tmp/got" 2>&1
	if cmp -s "$tmp/want" "$tmp/got"; then ok "-$f"; else bad "-$f" "$tmp/want" "$tmp/got"; fi
done
for f in svg pdf png; do
	"$hearth" -$f "$cpu" >"$tmp/g.$f" 2>"$tmp/err" </dev/null
	case $f in svg) magic='<svg\|<?xml' ;; pdf) magic='%PDF' ;; png) magic='PNG' ;; esac
	if head -c 200 "$tmp/g.$f" | grep -aq "$magic"; then ok "-$f"; else bad "-$f: $(file "$tmp/g.$f") $(cat "$tmp/err")"; fi
done

# -web and -weblist: the viewer is $BROWSER, here a script that copies the
# file it is given; pprof writes the same kind of file.
cat >"$tmp/browser" <<EOF
#!/bin/sh
cp "\$1" "$tmp/viewed.\$\$"
echo "\$1" >>"$tmp/viewed.names"
EOF
chmod +x "$tmp/browser"
rm -f "$tmp"/viewed.*
BROWSER=$tmp/browser DISPLAY= PATH=/usr/local/go/bin:/usr/bin:/bin "$hearth" -web "$cpu" >"$tmp/out" 2>&1 </dev/null
v=$(ls "$tmp"/viewed.[0-9]* 2>/dev/null | head -1)
if [ -n "$v" ] && grep -q '<svg' "$v" && grep -q 'main.DoWork' "$v" && grep -q '/pprof[0-9][0-9][0-9].svg$' "$tmp/viewed.names"; then
	ok "-web opens an SVG in \$BROWSER"
else
	bad "-web: $(cat "$tmp/out")"
fi
rm -f "$tmp"/viewed.*
BROWSER=$tmp/browser "$hearth" -weblist=leakSome "$cpu" >"$tmp/out" 2>&1 </dev/null
v=$(ls "$tmp"/viewed.[0-9]* 2>/dev/null | head -1)
if [ -n "$v" ] && grep -q 'leakSome' "$v" && grep -q '.html$' "$tmp/viewed.names"; then
	ok "-weblist opens an HTML page in \$BROWSER"
else
	bad "-weblist: $(cat "$tmp/out")"
fi

# -http is hearth web: the same server, the same API.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$hearth" -http=127.0.0.1:$port -no_browser "$cpu" >"$tmp/http.out" 2>&1 </dev/null &
srv=$!
up=false
for i in $(seq 1 100); do
	if curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1; then up=true; break; fi
	sleep 0.1
done
if $up && curl -sf "http://127.0.0.1:$port/api/top?nodecount=3" 2>/dev/null | grep -q 'math.archExp'; then
	ok "-http serves hearth web"
else
	bad "-http: $(head -c 300 "$tmp/http.out")"
fi
kill $srv 2>/dev/null
wait $srv 2>/dev/null
srv=

# A profile fetched from a URL is saved as pprof saves it: the same words on
# stderr, the same file name in $PPROF_TMPDIR, the same report from it.
mkdir -p "$tmp/www/debug/pprof"
cp "$heap" "$tmp/www/debug/pprof/heap"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$tmp/www" && exec python3 -m http.server --bind 127.0.0.1 "$port") >/dev/null 2>&1 &
srv=$!
for i in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/debug/pprof/heap" >/dev/null 2>&1 && break; sleep 0.1; done
for tool in pprof hearth; do
	rm -rf "$tmp/saved.$tool"
	if [ $tool = pprof ]; then
		PPROF_TMPDIR=$tmp/saved.$tool go tool pprof -top "127.0.0.1:$port/debug/pprof/heap" >"$tmp/url.$tool" 2>"$tmp/url.$tool.err" </dev/null
	else
		PPROF_TMPDIR=$tmp/saved.$tool "$hearth" -top "127.0.0.1:$port/debug/pprof/heap" >"$tmp/url.$tool" 2>"$tmp/url.$tool.err" </dev/null
	fi
	sed -i "s|$tmp/saved.$tool|DIR|" "$tmp/url.$tool.err"
	(cd "$tmp/saved.$tool" 2>/dev/null && ls) >"$tmp/url.$tool.files"
done
kill $srv 2>/dev/null
wait $srv 2>/dev/null
srv=
if ! cmp -s "$tmp/url.pprof" "$tmp/url.hearth"; then
	bad "URL source" "$tmp/url.pprof" "$tmp/url.hearth"
elif ! cmp -s "$tmp/url.pprof.err" "$tmp/url.hearth.err"; then
	bad "URL source: Fetching.../Saved profile in" "$tmp/url.pprof.err" "$tmp/url.hearth.err"
elif ! cmp -s "$tmp/url.pprof.files" "$tmp/url.hearth.files" || [ ! -s "$tmp/url.hearth.files" ]; then
	bad "URL source: saved file" "$tmp/url.pprof.files" "$tmp/url.hearth.files"
else
	ok "URL source saved as pprof saves it"
fi
# The second command reads the saved profile: the same report, no fetch.
saved=$tmp/saved.hearth/$(head -1 "$tmp/url.hearth.files")
"$hearth" -top "$saved" >"$tmp/again" 2>"$tmp/again.err" </dev/null
if cmp -s "$tmp/url.hearth" "$tmp/again" && [ ! -s "$tmp/again.err" ]; then
	ok "the saved profile gives the same report"
else
	bad "the saved profile" "$tmp/url.hearth" "$tmp/again"
fi

# Files that are no profile but something Go writes: the error names what
# the file is and what reads it, in both forms (hearth top F, hearth F).
known() { # known NAME FILE WORDS...
	name=$1 f=$2
	shift 2
	for form in "top" ""; do
		# shellcheck disable=SC2086
		"$hearth" $form "$f" >/dev/null 2>"$tmp/known.err" </dev/null
		rc=$?
		miss=
		for w in "$@"; do grep -q -- "$w" "$tmp/known.err" || miss="$miss [$w]"; done
		if [ $rc -eq 1 ] && [ -z "$miss" ] && [ "$(wc -l <"$tmp/known.err")" -eq 1 ]; then
			ok "known non-profile: $name${form:+ ($form)}"
		else
			bad "known non-profile: $name${form:+ ($form)}: exit $rc, missing$miss: $(cat "$tmp/known.err")"
		fi
	done
}
printf 'gc 1 @0.180s 2%%: 3.3+0.83+0.003 ms clock, 6.7+0/0.88/0+0.006 ms cpu, 3->3->3 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n' >"$tmp/gctrace.log"
printf 'SCHED 0ms: gomaxprocs=2 idleprocs=1 threads=3 spinningthreads=0 idlethreads=0 runqueue=0 [0 0]\n' >"$tmp/sched.log"
known "gctrace log" "$tmp/gctrace.log" "GODEBUG log" "hearth godebug"
known "schedtrace log" "$tmp/sched.log" "GODEBUG log" "hearth godebug"
known "goroutine?debug=2" "$data/go126/netsubject.goroutine.debug2.txt" "goroutine dump" "debug=1"
known "Go program" "$(go env GOROOT)/bin/gofmt" "a Go program" "before the profile"
if [ -f ../shared/corpus/leaky.trace ]; then
	known "execution trace" ../shared/corpus/leaky.trace "execution trace" "hearth trace"
fi

# The shell, fed on stdin (not a terminal), as pprof reads it.
shell() {
	name=$1
	script=$2
	shift 2
	rm -rf "$tmp/run" && mkdir "$tmp/run"
	printf '%b' "$script" >"$tmp/script"
	(cd "$tmp/run" && timeout 120 go tool pprof "$@" <"$tmp/script" >"$tmp/want" 2>"$tmp/want.err")
	(cd "$tmp/run" && ls >"$tmp/want.files")
	rm -rf "$tmp/run" && mkdir "$tmp/run"
	(cd "$tmp/run" && timeout 120 "$hearth" "$@" <"$tmp/script" >"$tmp/got" 2>"$tmp/got.err")
	(cd "$tmp/run" && ls >"$tmp/got.files")
	if ! cmp -s "$tmp/want" "$tmp/got"; then
		bad "shell $name" "$tmp/want" "$tmp/got"
	elif ! cmp -s "$tmp/want.err" "$tmp/got.err"; then
		bad "shell $name (stderr)" "$tmp/want.err" "$tmp/got.err"
	elif ! cmp -s "$tmp/want.files" "$tmp/got.files"; then
		bad "shell $name (files written)" "$tmp/want.files" "$tmp/got.files"
	else
		ok "shell $name"
	fi
}
shell "top, options, help" 'top5\ntop -cum 3\nsample_index=samples\ntop 3\no\nfoo\nnodecount\nhelp top\nhelp list\nquit\n' "$cpu"
shell "options persist" 'nodecount=4\ntop\nfocus=sinh //: a comment\ntop\ntop -cum main\n:\ntop\ngranularity=lines\ntop3\nsort=cum\ntop 2\nhide=runtime\ntree 5\n' "$cpu"
shell "errors" 'sample_index=foo\nsample_index=7\nnodecount=abc\nmean=maybe\nlist\nfoo 3\nnodecount 3\nalloc_space\ngranularity=bytes\n' "$cpu"
shell "heap shortcuts" 'alloc_space\ntop 4\ninuse_objects\ntop 4\nmean_alloc_space\ntop 3\ntotal_alloc_space\ntop 3 -cum\no\n' "$heap"
shell "peek, traces, tags" 'peek leakSome\ntraces -ShortRunning leakSome\nfocus=Long\ntags\ntop 3 -math\n' "$cpu"
shell "redirection" 'top 5 > top.txt\ntop 3 >\nproto\ndot >g.dot\n' "$cpu"
shell "list" 'source_path=/nonexistent\nlist leakSome\nlist NoSuchFunction\n' "$cpu"
shell "command-line options" 'top\no\n' -nodecount=3 -focus=main -sample_index=alloc_space "$heap"
shell "last line without newline" 'top 2' "$cpu"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
