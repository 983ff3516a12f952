#!/bin/sh
# The pprof text reports of hearth against `go tool pprof` itself, byte for
# byte: tree, peek, tags, raw, comments, callgrind, dot, list and topproto,
# over tests/data/*.pb.gz and, when it is there, ../shared/corpus.
#
#   tests/cli/reports.sh BUILD_DIR [-v]
#
# Prints a line per failure (with the start of the diff) and ends with
# "N passed, M failed".  Without go, the comparisons are skipped and only
# the checks that need no reference run (they need callgrind_annotate and
# Graphviz's dot when present):
#   - callgrind output loads in callgrind_annotate with pprof's totals;
#   - dot output renders with `dot -Tsvg`.
#
# Normalisation: none, except where the two tools legitimately differ:
#   - topproto writes gzipped protobuf; both files are compared through
#     `go tool pprof -raw` (the encoders order strings differently);
#   - list runs with -source_path naming the Go sources and the subjects'
#     sources, in a temporary directory, for both tools, so that neither
#     finds a file the other does not (hearth would also look in GOROOT).
# Both tools run with TZ=UTC and without symbolization.
set -u
cd "$(dirname "$0")/../.."
. tests/cli/go.inc
build=${1:?usage: tests/cli/reports.sh BUILD_DIR [-v]}
verbose=false
[ "${2:-}" = "-v" ] && verbose=true
hearth=$(pwd)/$build/hearth
export TZ=UTC
export PPROF_BINARY_PATH=/nonexistent PPROF_TOOLS=/nonexistent
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0
shared=../shared

ok() {
	pass=$((pass + 1))
	$verbose && echo "ok   $1"
	return 0
}

# bad NAME EXPECTED GOT
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	diff -u "$2" "$3" | sed -n '3,16s/^/     /p'
}

have_go=false
command -v go >/dev/null 2>&1 && go version >/dev/null 2>&1 && have_go=true

profiles=$(ls tests/data/*.pb.gz)
if [ -d "$shared/corpus" ]; then
	profiles="$profiles $(ls "$shared"/corpus/*.pb.gz)"
fi
goroot=$(go env GOROOT 2>/dev/null || echo /usr/lib/go)
srcpath=$goroot/src
[ -d "$shared/subjects" ] && srcpath=$srcpath:$(cd "$shared/subjects" && pwd)

# compare NAME HEARTH_ARGS -- PPROF_ARGS: runs both (in $tmp/run), compares
# stdout and the exit status.
compare() {
	name=$1
	shift
	hargs=""
	while [ "$1" != "--" ]; do
		hargs="$hargs $1"
		shift
	done
	shift
	mkdir -p "$tmp/run"
	# shellcheck disable=SC2086 # splitting the arguments is the point
	(cd "$tmp/run" && timeout 120 go tool pprof "$@" >"$tmp/want" 2>"$tmp/want.err" </dev/null)
	wrc=$?
	set -f
	# shellcheck disable=SC2086
	(cd "$tmp/run" && timeout 120 "$hearth" $hargs >"$tmp/got" 2>"$tmp/got.err" </dev/null)
	grc=$?
	set +f
	if [ $wrc -ne 0 ] && [ $grc -ne 0 ]; then
		ok "$name (both refuse)"
	elif [ $wrc -ne 0 ] || [ $grc -ne 0 ]; then
		fail=$((fail + 1))
		echo "FAIL $name: pprof exited $wrc, hearth $grc"
		head -c 300 "$tmp/got.err" | sed 's/^/     /'
	else
		if [ "$canon" = sorted ]; then
			LC_ALL=C sort "$tmp/want" >"$tmp/want.c" && mv "$tmp/want.c" "$tmp/want"
			LC_ALL=C sort "$tmp/got" >"$tmp/got.c" && mv "$tmp/got.c" "$tmp/got"
		elif [ -n "$canon" ]; then
			python3 tests/cli/canon_tree.py "$canon" "$tmp/want" >"$tmp/want.c" &&
				mv "$tmp/want.c" "$tmp/want"
			python3 tests/cli/canon_tree.py "$canon" "$tmp/got" >"$tmp/got.c" &&
				mv "$tmp/got.c" "$tmp/got"
		fi
		if cmp -s "$tmp/want" "$tmp/got"; then
			ok "$name"
		else
			bad "$name" "$tmp/want" "$tmp/got"
		fi
	fi
}
canon=""

abs() {
	case "$1" in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac
}

if $have_go; then
	for f in $profiles; do
		p=$(abs "$f")
		b=$(basename "$f" .pb.gz)
		case "$f" in "$shared"/*) b="corpus/$b" ;; esac
		compare "$b tree" tree "$p" -- -tree "$p"
		compare "$b tree -cum -nodecount=12" tree -cum -nodecount=12 "$p" -- -tree -cum -nodecount=12 "$p"
		compare "$b tree -lines" tree -lines "$p" -- -tree -lines "$p"
		compare "$b peek" peek 'main\.' "$p" -- '-peek=main\.' "$p"
		compare "$b peek -peek=" peek '-peek=runtime\.m' "$p" -- '-peek=runtime\.m' "$p"
		compare "$b tags" tags "$p" -- -tags "$p"
		compare "$b raw" raw "$p" -- -raw "$p"
		compare "$b comments" comments "$p" -- -comments "$p"
		compare "$b callgrind" callgrind "$p" -- -callgrind "$p"
		compare "$b dot" dot "$p" -- -dot "$p"
		compare "$b dot -nodecount=10" dot -nodecount=10 "$p" -- -dot -nodecount=10 "$p"
		compare "$b dot -lines -edgefraction=0.05" dot -lines -edgefraction=0.05 "$p" -- \
			-dot -lines -edgefraction=0.05 "$p"
		# pprof orders tied contexts of -call_tree at random: compared in
		# canonical form (tests/cli/canon_tree.py).
		canon=callgrind
		compare "$b callgrind -call_tree" callgrind -call_tree "$p" -- -callgrind -call_tree "$p"
		canon=dot
		compare "$b dot -call_tree" dot -call_tree "$p" -- -dot -call_tree "$p"
		compare "$b dot -call_tree -nodecount=15" dot -call_tree -nodecount=15 "$p" -- \
			-dot -call_tree -nodecount=15 "$p"
		canon=""
		compare "$b list" list 'main\.' -source_path="$srcpath" "$p" -- \
			'-list=main\.' -source_path="$srcpath" "$p"
		compare "$b list runtime" list 'runtime\.(mallocgc|gopark)$' -source_path="$srcpath" \
			"$p" -- '-list=runtime\.(mallocgc|gopark)$' -source_path="$srcpath" "$p"
		compare "$b list (no sources)" list 'main\.' "$p" -- '-list=main\.' "$p"
		# topproto: both profiles through pprof's -raw.
		rm -f "$tmp/h.pb.gz" "$tmp/g.pb.gz"
		"$hearth" topproto -output="$tmp/h.pb.gz" "$p" 2>/dev/null
		(cd "$tmp" && go tool pprof -topproto -output="$tmp/g.pb.gz" "$p" >/dev/null 2>&1)
		go tool pprof -raw "$tmp/g.pb.gz" >"$tmp/want" 2>&1
		go tool pprof -raw "$tmp/h.pb.gz" >"$tmp/got" 2>&1
		if cmp -s "$tmp/want" "$tmp/got"; then
			ok "$b topproto"
		else
			bad "$b topproto" "$tmp/want" "$tmp/got"
		fi
	done
	# Options that change the graph and the units.
	cpu=$(abs tests/data/leaky.cpu.pb.gz)
	heap=$(abs tests/data/searchsvc.heap.pb.gz)
	base=$(abs tests/data/searchsvc.base.heap.pb.gz)
	block=$(abs tests/data/leaky.block.pb.gz)
	for args in "-focus=Long" "-ignore=runtime -cum" "-nodefraction=0.1" "-sample_index=alloc_space" \
		"-base=$base" "-diff_base=$base" "-mean" "-files" "-addresses" "-noinlines" \
		"-divide_by=1000 -unit=ms" "-tagfocus=handler=long" "-nodecount=3"; do
		case "$args" in *base* | *alloc* ) p=$heap ;; -mean) p=$block ;; *) p=$cpu ;; esac
		for r in tree dot callgrind tags; do
			# shellcheck disable=SC2086
			compare "$(basename "$p") $r $args" $r $args "$p" -- -$r $args "$p"
		done
	done
	s1=$(abs tests/data/leaky.series.01.cpu.pb.gz)
	s2=$(abs tests/data/leaky.series.02.cpu.pb.gz)
	compare "merged series dot" dot "$s1" "$s2" -- -dot "$s1" "$s2"
	compare "merged series tags" tags "$s1" "$s2" -- -tags "$s1" "$s2"
	# Many labelled files merged.  A report that shows no labels merges
	# them without (HEARTH_MERGE_NO_LABELS); every report below reads them
	# (a tag option, tags, raw, traces, dot's tag boxes, a base, the
	# pprof::base marks of a -diff_base profile written out), so a wrong
	# "labels not needed" gives pprof's numbers for the wrong samples.
	many="$s1 $s2 $cpu"
	if [ -d "$shared/corpus" ]; then
		for f in "$shared"/corpus/leaky.series.*.cpu.pb.gz; do many="$many $(abs "$f")"; done
	fi
	for args in "" "-tagfocus=handler=long" "-tagignore=handler=long" "-cum -tagfocus=short" \
		"-tagfocus=handler=long -tagignore=handler=short" "-base=$s1" "-diff_base=$s2"; do
		for r in top tree callgrind; do
			# shellcheck disable=SC2086
			compare "many labelled: $r $args" $r $args $many -- -$r $args $many
		done
	done
	compare "many labelled: peek -tagfocus" peek 'main\.' -tagfocus=handler=short $many -- \
		'-peek=main\.' -tagfocus=handler=short $many
	compare "many labelled: list -tagignore" list 'main\.' -tagignore=handler=long $many -- \
		'-list=main\.' -tagignore=handler=long $many
	for r in tags raw traces dot; do
		# shellcheck disable=SC2086
		compare "many labelled: $r" $r $many -- -$r $many
	done
	# The pprof-form command line decides the same way.
	compare "many labelled: -top -tagfocus" -top -tagfocus=handler=long $many -- \
		-top -tagfocus=handler=long $many
	compare "many labelled: -text" -text $many -- -text $many
	# A -diff_base profile written out carries pprof::base marks, which
	# make the report's totals the base's: a merge without labels keeps them.
	(cd "$tmp" && go tool pprof -proto -diff_base="$s2" "$s1" >"$tmp/marked.pb.gz" 2>/dev/null)
	compare "many labelled: top of a pprof::base-marked profile" top "$tmp/marked.pb.gz" $many -- \
		-top "$tmp/marked.pb.gz" $many
	compare "many labelled: -top of a pprof::base-marked profile" -top "$tmp/marked.pb.gz" $many -- \
		-top "$tmp/marked.pb.gz" $many
	# Numeric labels (bytes) of heap profiles, merged.
	h1=$(abs tests/data/go126/netsubject.heap.pb.gz)
	h2=$(abs tests/data/go126/netsubject.allocs.pb.gz)
	compare "merged heaps: top -tagfocus=1MB" top -tagfocus=1MB "$h1" "$h2" -- -top -tagfocus=1MB "$h1" "$h2"
	compare "merged heaps: tags" tags "$h1" "$h2" -- -tags "$h1" "$h2"
	# Negative weights: a CPU profile against another.  pprof orders two
	# edges (or tags) of weights w and -w as its map iteration happens to,
	# so these compare with the lines sorted.
	canon=sorted
	for r in tree dot callgrind tags; do
		compare "series -diff_base $r" $r -diff_base="$s2" "$s1" -- -$r -diff_base="$s2" "$s1"
		compare "series -base $r" $r -base="$s2" "$s1" -- -$r -base="$s2" "$s1"
		compare "series -base -drop_negative $r" $r -base="$s2" -drop_negative "$s1" -- \
			-$r -base="$s2" -drop_negative "$s1"
	done
	canon=""
	c=$(abs tests/data/reports/commented.cpu.pb.gz)
	compare "comments" comments "$c" -- -comments "$c"
	compare "dot with a comment" dot "$c" -- -dot "$c"
	# hearth finds the standard library under GOROOT by itself; pprof when
	# told where it is.
	compare "list GOROOT" list 'math\.sinh$' "$cpu" -- '-list=math\.sinh$' -source_path="$goroot/src" "$cpu"
	compare "peek no match" peek 'no_such_function' "$cpu" -- '-peek=no_such_function' "$cpu"
	compare "list no match" list 'no_such_function' "$cpu" -- '-list=no_such_function' "$cpu"
else
	echo "skip comparisons with go tool pprof: go is not installed"
fi

# callgrind output must load in callgrind_annotate, with the totals that
# pprof's own output gives there, and its cost lines must add up to the
# report's total.  (pprof writes "calls=0", which callgrind_annotate takes
# for no call: it adds the inclusive costs of the calls to the callers' own,
# so its PROGRAM TOTALS exceed the profile's total, for pprof as for hearth.)
if command -v callgrind_annotate >/dev/null 2>&1; then
	for f in tests/data/leaky.cpu.pb.gz tests/data/searchsvc.heap.pb.gz tests/data/leaky.block.pb.gz; do
		p=$(abs "$f")
		for o in "" -call_tree; do
			# shellcheck disable=SC2086
			"$hearth" callgrind $o "$p" >"$tmp/cg.out" 2>/dev/null
			if ! callgrind_annotate "$tmp/cg.out" >"$tmp/ann" 2>"$tmp/ann.err" ||
				[ -s "$tmp/ann.err" ]; then
				fail=$((fail + 1))
				echo "FAIL callgrind_annotate $f $o: $(head -c 200 "$tmp/ann.err")"
				continue
			fi
			got=$(sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$tmp/ann" | tr -d ,)
			self=$(awk '/^(0x[0-9a-f]+|[-+][0-9]+|[*]) [0-9]+ -?[0-9]+$/ {s += $3} END {print s + 0}' \
				"$tmp/cg.out")
			unit=$(sed -n 's/^events: .*(\(.*\))$/\1/p' "$tmp/cg.out")
			total=$("$hearth" top -unit="$unit" "$p" 2>/dev/null |
				sed -n 's/^Showing nodes accounting for .* of \([0-9.]*\)[a-zA-Z]* total$/\1/p')
			# Each cost is truncated to an integer: at most 1 less per line.
			if [ -z "$got" ] || [ "$(awk -v a="$self" -v b="$total" -v n="$(wc -l <"$tmp/cg.out")" \
				'BEGIN {d = b - a; print ((d > -1) && (d <= n)) ? 1 : 0}')" != 1 ]; then
				fail=$((fail + 1))
				echo "FAIL callgrind $f $o: cost lines add up to $self, the total is $total"
				continue
			fi
			if $have_go; then
				# shellcheck disable=SC2086
				(cd "$tmp" && go tool pprof -callgrind $o "$p" >"$tmp/cgp.out" 2>/dev/null)
				want=$(callgrind_annotate "$tmp/cgp.out" 2>/dev/null |
					sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
				if [ "$got" != "$want" ]; then
					fail=$((fail + 1))
					echo "FAIL callgrind_annotate $f $o: total $got, pprof's $want"
					continue
				fi
			fi
			ok "callgrind_annotate $f $o"
		done
	done
else
	echo "skip callgrind_annotate: valgrind is not installed"
fi

# dot output must render.
if command -v dot >/dev/null 2>&1; then
	for f in tests/data/*.pb.gz; do
		for a in "" "-call_tree" "-lines"; do
			# shellcheck disable=SC2086
			"$hearth" dot $a "$f" >"$tmp/g.dot" 2>/dev/null
			if dot -Tsvg "$tmp/g.dot" >"$tmp/g.svg" 2>"$tmp/dot.err" && [ ! -s "$tmp/dot.err" ] &&
				grep -q '<svg' "$tmp/g.svg"; then
				ok "dot -Tsvg $f $a"
			else
				fail=$((fail + 1))
				echo "FAIL dot -Tsvg $f $a: $(head -c 300 "$tmp/dot.err")"
			fi
		done
	done
else
	echo "skip dot -Tsvg: graphviz is not installed"
fi

# Names that need escaping (quotes, backslashes, angle brackets, bytes that
# are not UTF-8, a newline; tests/cli/mkweird.go): hearth's dot renders, and
# the names come out whole.  (pprof's own dot of this profile does not
# parse: it leaves quotes unescaped in the title and the label nodelets.)
if command -v dot >/dev/null 2>&1; then
	w=tests/data/reports/weird-names.pb.gz
	"$hearth" dot "$w" >"$tmp/w.dot" 2>/dev/null
	if dot -Tsvg "$tmp/w.dot" >"$tmp/w.svg" 2>"$tmp/dot.err" && [ ! -s "$tmp/dot.err" ] &&
		grep -q 'say&quot;hi&quot; (10ms)' "$tmp/w.svg" &&
		grep -q 'ns::Vec&lt;int&gt;::push' "$tmp/w.svg" &&
		grep -q 'C:\\path\\fn' "$tmp/w.svg" &&
		grep -q 'handler:a&quot;b\\c&lt;d&gt;' "$tmp/w.svg" &&
		grep -q "bad$(printf '\357\277\275\357\277\275')name" "$tmp/w.svg" &&
		grep -q '<title>we&quot;ird&lt;app&gt;</title>' "$tmp/w.svg"; then
		ok "dot escaping"
	else
		fail=$((fail + 1))
		echo "FAIL dot escaping: $(head -c 300 "$tmp/dot.err")"
	fi
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
