#!/bin/sh
# Bad input: hearth must refuse it cleanly.  For every case the rules are
#   - exit status 1 (bad input) or 2 (bad usage), as the case says;
#   - exactly one line on stderr, "hearth: ...", naming the file (or the
#     option, or the command) and saying what is wrong; for a damaged
#     profile it gives the byte offset ("offset N: ...");
#   - nothing on stdout (no partial output);
#   - no crash, no sanitizer report, no hang (timeout), bounded memory
#     (ulimit -v, except under ASan, which reserves terabytes of address
#     space for its shadow memory).
#
#   tests/cli/bad_input.sh BUILD_DIR [-v]
#
# Environment: BAD_INPUT_STEP=N multiplies the stride of the truncation and
# byte-flip sweeps (default 1, 3 under ASan; larger is quicker and coarser).
# The 10 GB gzip bomb is made once (about a minute) and kept as
# BUILD_DIR/tests/bomb-10g.gz, or hard-linked from another build directory
# that has it.
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/bad_input.sh BUILD_DIR [-v]}
verbose=false
[ "${2:-}" = "-v" ] && verbose=true
hearth=$build/hearth
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
pass=0
fail=0

# Errors found by the sanitizers must not look like bad input (status 1).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:exitcode=86:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}"
san=false
grep -q __asan_init "$hearth" 2>/dev/null && san=true
# Under ASan each run costs several times more; the fuzzers search the
# decoder far more thoroughly anyway, so the sweeps are thinned.
if $san; then step=${BAD_INPUT_STEP:-3}; else step=${BAD_INPUT_STEP:-1}; fi
# Address-space cap in kB: a gzip bomb may take all of the default -max_size
# (1 to 2 GB); 3 GB leaves room for the rest and nothing more.
vlimit=3145728

# exe ARGS...: runs hearth ARGS, with stdout and stderr in $tmp/out and
# $tmp/err and the status in $rc.
exe() {
	(
		$san || ulimit -v $vlimit
		exec timeout -k 5 60 "$hearth" "$@"
	) >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
}

# check STATUS PATTERN ARGS...: checks the rules above on what exe left;
# PATTERN is an extended regexp the stderr line must match.
check() {
	want=$1 pat=$2
	shift 2
	why=""
	# Lines counted with read, which is built in: this runs thousands of
	# times.  A line without its newline does not count.
	lines=0 l1=""
	{ read -r l1 && lines=1 && read -r l2 && lines=2; } <"$tmp/err"
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		why="timed out"
	elif [ $rc -ne "$want" ]; then
		why="exit status $rc, want $want"
	elif [ $lines -ne 1 ] || [ ${#l1} -gt 600 ]; then
		why="not one line on stderr"
	elif [ -s "$tmp/out" ]; then
		why="output on stdout"
	elif [ "${l1#hearth: }" = "$l1" ]; then
		why="stderr does not start with \"hearth: \""
	elif ! grep -Eq -- "$pat" "$tmp/err"; then
		why="stderr does not match /$pat/"
	fi
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		$verbose && echo "ok   hearth $* : $(cat "$tmp/err")"
		return 0
	fi
	fail=$((fail + 1))
	echo "FAIL hearth $*: $why"
	head -c 2000 "$tmp/err" | sed 's/^/     /'
	return 1
}

# run STATUS PATTERN ARGS...: runs hearth ARGS and checks the rules above.
run() {
	want=$1 pat=$2
	shift 2
	exe "$@"
	check "$want" "$pat" "$@"
}

# damaged FILE ARGS...: a damaged profile.  It may still be a valid profile
# (a flipped byte inside a string, a prefix that ends between two fields):
# then hearth must succeed quietly.  Otherwise status 1 and one line naming
# the file with the byte offset of the damage.
damaged() {
	f=$1
	shift
	exe "$@" "$f"
	# A damaged file that still reads may have lost its program's name:
	# said as pprof says it, and nothing else.
	if [ $rc -eq 0 ] && ! grep -qv '^Main binary filename not available\.$' "$tmp/err"; then
		pass=$((pass + 1))
		return 0
	fi
	check 1 "^hearth: $f: (offset [0-9]+: |empty input)" "$@" "$f"
}

# flip FILE OFFSET BYTE OUT: OUT is FILE with BYTE, the byte at OFFSET,
# inverted.
flip() {
	x=$(($3 ^ 255))
	o=$(((x >> 6) * 100 + (x >> 3 & 7) * 10 + (x & 7)))
	# shellcheck disable=SC2059 # the format is the byte, in octal
	{ head -c "$2" "$1"; printf "\\$o"; tail -c +$(($2 + 2)) "$1"; } >"$4"
}

# bytes FILE: the file's bytes in decimal, for flip.
bytes() {
	od -An -tu1 -v "$1"
}

# Commands take turns, so that each sees damaged input: sets $cmd.
pick_cmd() {
	case $(($1 % 3)) in
	0) cmd=top ;;
	1) cmd=traces ;;
	*) cmd="proto -output=$tmp/written.pb.gz" ;;
	esac
}

gz=tests/data/leaky.cpu.pb.gz
small=tests/data/leaky.mutex.pb.gz
gunzip -c "$gz" >"$tmp/cpu.pb"
gunzip -c "$small" >"$tmp/mutex.pb"

# Truncations: every byte of the small profile, every few bytes of the
# larger one and of the gzipped files.  A gzip stream cut short is always
# an error.
sweep_truncate() { # FILE STRIDE gz|raw
	n=$(wc -c <"$1")
	i=0
	while [ $i -lt "$n" ]; do
		head -c $i "$1" >"$tmp/cut"
		pick_cmd $i
		# shellcheck disable=SC2086 # $cmd is words
		if [ "$3" = gz ]; then
			run 1 "^hearth: $tmp/cut: (offset [0-9]+: truncated gzip data|empty input)" \
				$cmd "$tmp/cut"
		elif [ $i -le 1 ]; then
			# One byte is as much "no profile" as a damaged one.
			run 1 "^hearth: $tmp/cut: (empty input|not a profile|offset [0-9]+: )" \
				$cmd "$tmp/cut"
		else
			damaged "$tmp/cut" $cmd
		fi
		i=$((i + $2))
	done
}
sweep_truncate "$small" $((7 * step)) gz
sweep_truncate "$tmp/mutex.pb" $((1 * step)) raw
sweep_truncate "$gz" $((31 * step)) gz
sweep_truncate "$tmp/cpu.pb" $((13 * step)) raw

# Flipped bytes: the gzip header, trailer and body, and the raw profile.
sweep_flip() { # FILE FIRST STRIDE
	src=$1 i=$2 stride=$3
	n=$(wc -c <"$src")
	# shellcheck disable=SC2046 # one parameter per byte
	set -- $(bytes "$src")
	while [ $i -lt "$n" ]; do
		eval "b=\${$((i + 1))}"
		flip "$src" $i "$b" "$tmp/flipped"
		pick_cmd $i
		# shellcheck disable=SC2086 # $cmd is words
		damaged "$tmp/flipped" $cmd
		i=$((i + stride))
	done
}
# shellcheck disable=SC2046
set -- $(bytes "$gz")
n=$#
for i in 0 1 2 3 4 5 6 7 8 9; do
	eval "b=\${$((i + 1))}"
	flip "$gz" $i "$b" "$tmp/flipped"
	damaged "$tmp/flipped" top
done
for i in 1 2 3 4 5 6 7 8; do
	eval "b=\${$((n - i + 1))}"
	flip "$gz" $((n - i)) "$b" "$tmp/flipped"
	run 1 "^hearth: $tmp/flipped: offset [0-9]+: bad gzip data" top "$tmp/flipped"
done
sweep_flip "$gz" 10 $((29 * step))
sweep_flip "$tmp/cpu.pb" 0 $((11 * step))
sweep_flip "$tmp/mutex.pb" 0 $((3 * step))

# Hand-made damage.
printf '\110\200\200\200\200\200\200\200\200\200\200\001' >"$tmp/varint11"
run 1 "^hearth: $tmp/varint11: offset 1: varint longer than 10 bytes" top "$tmp/varint11"
printf '\110\377\377\377\377\377\377\377\377\377\177' >"$tmp/varint10big"
run 1 "^hearth: $tmp/varint10big: offset 1: varint" top "$tmp/varint10big"
printf '\012\177\010\001' >"$tmp/pastend"
run 1 "^hearth: $tmp/pastend: offset 1: length past the end" top "$tmp/pastend"
printf '\012\377\377\377\377\377\377\377\377\001\010\001' >"$tmp/hugelen"
run 1 "^hearth: $tmp/hugelen: offset 1: length past the end" top "$tmp/hugelen"
printf '\062\000\062\001a\012\004\010\001\020\001\022\002\001\001' >"$tmp/nostrings"
run 1 "^hearth: $tmp/nostrings: offset [0-9]+: " top "$tmp/nostrings"
gzip -c "$tmp/varint11" >"$tmp/varint11.gz"
run 1 "^hearth: $tmp/varint11.gz: offset 1: varint longer than 10 bytes" top "$tmp/varint11.gz"
# Two gzip members, the second damaged.
{ cat "$gz"; head -c 100 "$gz"; } >"$tmp/twomembers.gz"
run 1 "^hearth: $tmp/twomembers.gz: offset [0-9]+: truncated gzip data" top "$tmp/twomembers.gz"
# A gzip header and nothing else.
head -c 10 "$gz" >"$tmp/header.gz"
run 1 "^hearth: $tmp/header.gz: offset [0-9]+: truncated gzip data" top "$tmp/header.gz"
# Gzipped nothing.
: | gzip -c >"$tmp/empty.gz"
run 1 "^hearth: $tmp/empty.gz: empty input" top "$tmp/empty.gz"

# Files that are no profile at all.
: >"$tmp/empty"
run 1 "^hearth: $tmp/empty: empty input" top "$tmp/empty"
run 1 "^hearth: -: empty input" top -
run 1 "^hearth: $tmp: is a directory" top "$tmp"
run 1 "^hearth: $tmp/missing: No such file or directory" top "$tmp/missing"
run 1 "^hearth: $tmp/missing: No such file or directory" top -base="$tmp/missing" "$gz"
run 1 "^hearth: $tmp/missing: No such file or directory" top "$gz" "$tmp/missing"
printf 'Hello, this is a text file.\nIt is not a profile.\n' >"$tmp/text"
run 1 "^hearth: $tmp/text: not a profile" top "$tmp/text"
run 1 "^hearth: $tmp/text: not a profile" traces "$tmp/text"
head -c 4096 /dev/urandom >"$tmp/random"
run 1 "^hearth: $tmp/random: (offset [0-9]+: |not a profile)" top "$tmp/random"
run 1 "^hearth: /dev/null: empty input" top /dev/null
run 1 "^hearth: /dev/zero: file exceeds 100000 bytes" top -max_size=100000 /dev/zero
# Profiles that cannot be merged.
run 1 "^hearth: tests/data/leaky.heap.pb.gz: .*incompatible" top "$small" tests/data/leaky.heap.pb.gz

# The size cap: the compressed file is over it, or only what it inflates to.
run 1 "^hearth: $gz: file exceeds 1000 bytes" top -max_size=1000 "$gz"
run 1 "^hearth: $gz: decompressed size exceeds 5000 bytes" top -max_size=5000 "$gz"
run 1 "^hearth: $tmp/cpu.pb: (input|file) exceeds 5000 bytes" top -max_size=5000 "$tmp/cpu.pb"

# Gzip bombs.  A small one whose trailer lies (it claims 1000 bytes, it
# inflates to 256 MB): the cap must stop it, and without the cap the lie is
# found out.
head -c 256M /dev/zero | gzip -9 >"$tmp/liar.gz"
n=$(wc -c <"$tmp/liar.gz")
head -c $((n - 4)) "$tmp/liar.gz" >"$tmp/liar2.gz"
printf '\350\003\000\000' >>"$tmp/liar2.gz"
run 1 "^hearth: $tmp/liar2.gz: decompressed size exceeds 1000000 bytes" top -max_size=1000000 "$tmp/liar2.gz"
run 1 "^hearth: $tmp/liar2.gz: offset [0-9]+: bad gzip data" top "$tmp/liar2.gz"
# The real thing: 10 GB of zeros, made once per build directory.
bomb=$build/tests/bomb-10g.gz
mkdir -p "$build/tests"
for other in build*/tests/bomb-10g.gz; do
	[ -s "$bomb" ] || ln "$other" "$bomb" 2>/dev/null || true
done
if [ ! -s "$bomb" ]; then
	echo "bad_input: making $bomb (10 GB of zeros, gzip -1; once)"
	head -c 10G /dev/zero | gzip -1 >"$bomb.tmp" && mv "$bomb.tmp" "$bomb"
fi
run 1 "^hearth: $bomb: decompressed size exceeds [0-9]+ bytes" top "$bomb"
run 1 "^hearth: $bomb: decompressed size exceeds 100000000 bytes" traces -max_size=100000000 "$bomb"

# Usage errors: status 2.
run 2 "unknown command \"frobnicate\"" frobnicate "$gz"
run 2 "unknown option -frobnicate" top -frobnicate "$gz"
run 2 "unknown option -+frobnicate" top --frobnicate=1 "$gz"
run 2 "option -focus needs a value" top "$gz" -focus
run 2 "focus.*\\(" top -focus='main(' "$gz"
run 2 "ignore.*\\[" top -ignore='[' "$gz"
run 2 "show_from" top -show_from='a**' "$gz"
run 2 "tagfocus" top -tagfocus='handler=(' "$gz"
run 2 "nodecount" top -nodecount=many "$gz"
run 2 "sample_index" top -sample_index=nosuch "$gz"
run 2 "max_size" top -max_size=lots "$gz"
run 2 "no profile given" top
run 2 "no profile given" traces -cum
run 2 "-base and -diff_base" top -base="$gz" -diff_base="$gz" "$gz"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
