#!/bin/bash
# hearth svg, pdf and png: drawings that parse, show the graph's nodes and
# text, are not blank; hostile function names; the nodecount cap on a graph
# of 100,001 functions; terminals, -output and errors; leaks under valgrind.
#
#   tests/cli/graph.sh BUILD_DIR
#
# Needs python3 and poppler-utils (pdftoppm, pdftotext); compares with
# `go tool pprof -svg` and runs valgrind when they are installed.  Prints
# "N passed, M failed" last.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/go.inc
build=${1:?usage: tests/cli/graph.sh BUILD_DIR}
hearth=$build/hearth
check="python3 tests/cli/graph_check.py"
work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-graph.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

ok() {
	pass=$((pass + 1))
	echo "ok $1"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	[ -s "$work/err" ] && sed 's/^/    /' "$work/err" | head -n 8
	return 0
}
# run NAME CMD...: CMD must succeed and print nothing on stderr.
run() {
	local name=$1
	shift
	if "$@" 2>"$work/err" && [ ! -s "$work/err" ]; then
		ok "$name"
	else
		bad "$name (exit status $?)"
	fi
}
# runs NAME CMD...: CMD must succeed; what it prints is shown on failure.
runs() {
	local name=$1
	shift
	if "$@" >"$work/err" 2>&1; then
		ok "$name"
	else
		bad "$name"
	fi
}

for f in "$hearth" "$build/tests/test_graph"; do
	[ -x "$f" ] || { echo "graph.sh: $f is missing (make builds it)"; echo "0 passed, 1 failed"; exit 1; }
done

# Profiles with names that need escaping everywhere, and 100,001 functions.
runs "fixtures: test_graph write" "$build/tests/test_graph" write "$work"

# svg_case NAME PROFILE [OPTIONS...] -- [TEXT...]: the SVG parses and draws
# every node of `hearth dot` with the same options, and each TEXT.
svg_case() {
	local name=$1 prof=$2 opts=() texts=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	texts=("$@")
	if [ ! -r "$prof" ]; then
		echo "skip: svg $name ($prof is not here)"
		return
	fi
	if ! "$hearth" dot "${opts[@]}" "$prof" >"$work/$name.dot" 2>"$work/err"; then
		bad "svg $name: hearth dot failed"
		return
	fi
	run "svg $name: renders" "$hearth" svg "${opts[@]}" -output="$work/$name.svg" "$prof"
	runs "svg $name: XML with every node and its text" \
		$check svg "$work/$name.svg" "$work/$name.dot" "${texts[@]}"
}
svg_case leaky tests/data/leaky.cpu.pb.gz -- DoWork LongRunningFunction "File: leaky"
svg_case heap tests/data/leaky.heap.pb.gz -sample_index=alloc_space -- "Type: alloc_space"
svg_case focus tests/data/leaky.cpu.pb.gz -focus=ShortRunning -lines -- ShortRunningFunction
svg_case search tests/data/searchsvc.heap.pb.gz --
svg_case names "$work/names.pb.gz" -- '(*Table["quoted"])' '<lambda>' \
	"bad"$'\uFFFD\uFFFD'"bytes"$'\uFFFD'"(name"

# The drawing of the same DOT text is pprof's (when Go and Graphviz's dot
# are here): the <g id="graph0"> of both SVGs is the same.
if command -v go >/dev/null && command -v dot >/dev/null; then
	if go tool pprof -svg tests/data/leaky.cpu.pb.gz >"$work/pprof.svg" 2>/dev/null; then
		runs "svg leaky: the graph pprof draws" $check same-graph "$work/leaky.svg" "$work/pprof.svg"
	else
		bad "svg leaky: go tool pprof -svg failed"
	fi
else
	echo "skip: svg against go tool pprof -svg (needs go and dot)"
fi

# pdf_case NAME PROFILE TEXT...: the page renders, is not blank, has the text.
pdf_case() {
	local name=$1 prof=$2
	shift 2
	run "pdf $name: renders" "$hearth" pdf -output="$work/$name.pdf" "$prof"
	if ! pdftoppm -png -r 50 -singlefile "$work/$name.pdf" "$work/$name.page" 2>"$work/err"; then
		bad "pdf $name: pdftoppm"
		return
	fi
	runs "pdf $name: the page has ink" $check png "$work/$name.page.png" 0.03
	pdftotext "$work/$name.pdf" "$work/$name.txt" 2>"$work/err"
	local t
	for t in "$@"; do
		if grep -qF -- "$t" "$work/$name.txt"; then
			ok "pdf $name: text \"$t\""
		else
			bad "pdf $name: text \"$t\" not in pdftotext's output"
		fi
	done
}
pdf_case leaky tests/data/leaky.cpu.pb.gz DoWork LongRunningFunction "Type: cpu"
pdf_case names "$work/names.pb.gz" '(*Table["quoted"])' '<lambda>'

# PNG: signature, sane size, pixels.  The pure-Python decoder is slow on
# leaky's large image; names' smaller one gets the pixel check.
run "png leaky: renders" "$hearth" png -output="$work/leaky.png" tests/data/leaky.cpu.pb.gz
if head -c 8 "$work/leaky.png" | cmp -s - <(printf '\211PNG\r\n\032\n') &&
	[ "$(od -An -tu1 -j12 -N4 "$work/leaky.png" | tr -d ' ')" = 73726882 ]; then
	ok "png leaky: PNG signature and IHDR"
else
	bad "png leaky: not a PNG"
fi
run "png names: renders" "$hearth" png -output="$work/names.png" "$work/names.pb.gz"
runs "png names: sane size, has ink" $check png "$work/names.png" 0.03
if "$hearth" png "$work/names.pb.gz" >"$work/stdout.png" 2>"$work/err" &&
	cmp -s "$work/stdout.png" "$work/names.png"; then
	ok "png names: stdout (not a terminal) gets the same bytes"
else
	bad "png names: stdout differs from -output"
fi

# A graph of 100,001 functions: nodecount (80 by default) caps what is laid
# out, so drawing it stays quick; -nodefraction=0 keeps the tiny nodes in
# the running, so exactly 80 are drawn.
run "wide: svg of 100,001 functions" "$hearth" svg -nodefraction=0 -edgefraction=0 \
	-output="$work/wide.svg" "$work/wide.pb.gz"
n=$($check nodes "$work/wide.svg" 2>/dev/null)
if [ "$n" = 80 ] && grep -q "Showing top 80 nodes out of 100001" "$work/wide.svg"; then
	ok "wide: 80 nodes drawn of 100001"
else
	bad "wide: $n nodes drawn, want 80"
fi
run "wide: nodecount=200 pdf" "$hearth" pdf -nodecount=200 -nodefraction=0 \
	-output="$work/wide.pdf" "$work/wide.pb.gz"
: >"$work/err"
if "$hearth" svg -nodecount=6000 -nodefraction=0 -edgefraction=0 "$work/wide.pb.gz" \
	>"$work/out" 2>"$work/err"; then
	bad "wide: 6000 nodes should be refused"
elif [ "$(wc -l <"$work/err")" = 1 ] && grep -q "nodecount" "$work/err" && [ ! -s "$work/out" ]; then
	ok "wide: 6000 nodes refused with one line"
else
	bad "wide: refusal of 6000 nodes"
fi

# Binary formats refuse a terminal (exit 2, one line); svg does not.
# tty_run CMD...: runs CMD on a pseudo-terminal, prints its exit status and
# what it wrote.
tty_run() {
	python3 - "$@" <<'EOF'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
sys.stdout.write(out.decode("utf-8", "replace"))
EOF
}
for fmt in pdf png; do
	tty_run "$hearth" $fmt tests/data/leaky.cpu.pb.gz >"$work/tty" 2>&1
	if [ "$(head -n 1 "$work/tty")" = 2 ] && [ "$(wc -l <"$work/tty")" = 2 ] &&
		grep -q "refusing to write" "$work/tty"; then
		ok "$fmt: refuses a terminal with exit 2 and one line"
	else
		cp "$work/tty" "$work/err"
		bad "$fmt: terminal"
	fi
	tty_run "$hearth" $fmt -output="$work/tty.$fmt" tests/data/leaky.cpu.pb.gz >"$work/tty" 2>&1
	if [ "$(head -n 1 "$work/tty")" = 0 ] && [ -s "$work/tty.$fmt" ]; then
		ok "$fmt: -output=FILE from a terminal"
	else
		cp "$work/tty" "$work/err"
		bad "$fmt: -output=FILE from a terminal"
	fi
done
tty_run "$hearth" svg tests/data/leaky.cpu.pb.gz >"$work/tty" 2>&1
if [ "$(head -n 1 "$work/tty")" = 0 ] && grep -q "</svg>" "$work/tty"; then
	ok "svg: writes to a terminal"
else
	bad "svg: terminal"
fi

# -output is atomic: a failure leaves the old file as it was and no
# temporary file behind.
mkdir -p "$work/out.d"
echo old >"$work/out.d/graph.svg"
printf 'not a profile' >"$work/junk.pb"
if "$hearth" svg -output="$work/out.d/graph.svg" "$work/junk.pb" 2>"$work/err"; then
	bad "output: a bad profile should fail"
elif [ "$(cat "$work/out.d/graph.svg")" = old ] && [ "$(ls "$work/out.d")" = graph.svg ] &&
	[ "$(wc -l <"$work/err")" = 1 ]; then
	ok "output: a failed run leaves the old file and no temporary"
else
	bad "output: a failed run touched the output"
fi
run "output: replaces the file" "$hearth" svg -output="$work/out.d/graph.svg" tests/data/leaky.cpu.pb.gz
if [ "$(ls "$work/out.d")" = graph.svg ] && grep -q "</svg>" "$work/out.d/graph.svg"; then
	ok "output: one file, the new drawing"
else
	bad "output: leftovers or old content in $(ls "$work/out.d" | tr '\n' ' ')"
fi
if "$hearth" svg -output="$work/no/such/dir/g.svg" tests/data/leaky.cpu.pb.gz 2>"$work/err"; then
	bad "output: a missing directory should fail"
elif [ "$(wc -l <"$work/err")" = 1 ] && grep -q "no/such/dir/g.svg" "$work/err"; then
	ok "output: a missing directory is one line naming the file"
else
	bad "output: missing directory"
fi
if "$hearth" svg 2>"$work/err"; then
	bad "usage: no profile should fail"
else
	[ $? = 2 ] && ok "usage: no profile is exit 2" || bad "usage: no profile exit status"
fi
runs "usage: -help" "$hearth" png -help

# Without Graphviz's plugin list (GVBINDIR names an empty directory), the
# drawing fails with one line that says how to register the plugins.
mkdir -p "$work/noplugins"
if GVBINDIR=$work/noplugins "$hearth" svg tests/data/leaky.cpu.pb.gz >"$work/out" 2>"$work/err"; then
	bad "plugins: a missing plugin list should fail"
elif [ $? = 1 ] && [ "$(wc -l <"$work/err")" = 1 ] && grep -q 'dot -c' "$work/err" &&
	[ ! -s "$work/out" ]; then
	ok "plugins: a missing plugin list is one line with the fix"
else
	bad "plugins: missing plugin list"
fi

# Leaks, with full stacks: what Graphviz and the font libraries keep is
# suppressed by tests/graphviz.supp, anything hearth forgets is not.  Not on
# sanitizer builds (valgrind cannot run them).
if command -v valgrind >/dev/null && ! grep -q __asan_init "$hearth" 2>/dev/null; then
	for fmt in svg pdf; do
		runs "valgrind: $fmt without leaks" valgrind -q --num-callers=100 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
			--suppressions=tests/graphviz.supp \
			"$hearth" $fmt -output="$work/vg.$fmt" tests/data/leaky.cpu.pb.gz
	done
else
	echo "skip: valgrind (not installed, or a sanitizer build)"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
