#!/bin/sh
# Names with U+00B7 (middle dot), as Go before 1.3 spelled methods
# (main.*LSG·NewLoop), in programs of our own (tests/subjects/middledot):
#
#   - a Go program built with the newest Go whose function is linknamed to
#     main.*LSG·NewLoop (its pclntab keeps the dot of U+00B7, its ELF symbol
#     gets a '.'): hearth top equal to go tool pprof -top, byte for byte, on
#     its heap profile as legacy text with the program, as protobuf, and as
#     protobuf with the program;
#   - a C program whose ELF symbol is main.*LSG·NewLoop, given a Go 1.0
#     .gosymtab (the format of Go programs from before Go 1.3) and a
#     .gopclntab by objcopy: the names hearth gives its addresses in a legacy
#     heap profile and a legacy CPU profile equal the names Go's debug/gosym
#     reads from those tables (tests/subjects/middledot/gosym),
#     main.*LSG.NewLoop; likewise the same program built with DWARF whose
#     function is the C identifier LSG·NewLoop (LSG.NewLoop), named from
#     DWARF. Today's go tool pprof no longer reads those tables (it names no
#     function there, only the program);
#   - the same C program without Go tables keeps its symbol as it is.
#
#   tests/cli/middledot.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed". SKIP (counted as passed) without go or cc.
name=middledot
. "$(dirname "$0")/gosubject.inc"
md=$PWD/tests/subjects/middledot
if ! command -v cc >/dev/null 2>&1 || ! command -v objcopy >/dev/null 2>&1; then
	echo "middledot: SKIP (needs cc and objcopy)"
	echo "0 passed, 0 failed"
	exit 0
fi

# The Go program: hearth as go tool pprof.
if (cd "$md" && go build -o "$tmp/md" . && go build -o "$tmp/gosym" ./gosym) >"$tmp/build.log" 2>&1 &&
	"$tmp/md" "$tmp/heap.txt" 1 >/dev/null && "$tmp/md" "$tmp/heap.pb.gz" 0 >/dev/null; then
	for args in "$tmp/md $tmp/heap.txt" "$tmp/heap.pb.gz" "$tmp/md $tmp/heap.pb.gz"; do
		# shellcheck disable=SC2086
		"$hearth" top $args >"$tmp/h.out" 2>&1
		# shellcheck disable=SC2086
		go tool pprof -top $args >"$tmp/g.out" 2>/dev/null
		what=$(echo "$args" | sed "s|$tmp/||g")
		if grep -q 'main\.\*LSG·NewLoop$' "$tmp/g.out" && diff "$tmp/g.out" "$tmp/h.out" >"$tmp/diff"; then
			ok "top $what: as go tool pprof (main.*LSG·NewLoop)"
		else
			bad "top $what: as go tool pprof" "$tmp/diff"
		fi
	done
else
	bad "go build tests/subjects/middledot" "$tmp/build.log"
fi

# The C program with Go 1.0 tables: hearth as debug/gosym.
cat >"$tmp/gosymtab.py" <<'PY'
# A Go 1.0 .gosymtab (debug/gosym's oldest format: big-endian 32-bit value,
# type byte | 0x80, NUL-terminated name, 32-bit Go type) naming every text
# symbol of the program, after a file symbol and a path symbol, and the
# etext symbol that ends the last function.
import struct, subprocess, sys
prog, out = sys.argv[1], sys.argv[2]
syms = []
for line in subprocess.run(["nm", "-S", prog], capture_output=True, check=True).stdout.decode().splitlines():
    p = line.split()
    if len(p) == 4 and p[2] in "Tt":
        syms.append((int(p[0], 16), int(p[1], 16), p[3]))
syms.sort()
def ent(value, typ, name):
    return struct.pack(">I", value) + bytes([ord(typ) | 0x80]) + name + b"\0" + struct.pack(">I", 0)
data = ent(1, "f", b"dot.c")
data += struct.pack(">I", 0) + bytes([ord("Z") | 0x80]) + b"\0" + struct.pack(">HH", 1, 0) + struct.pack(">I", 0)
for a, s, n in syms:
    data += ent(a, "T", n.encode())
data += ent(max(a + s for a, s, n in syms), "T", b"etext")
open(out, "wb").write(data)
PY
# Legacy profiles of ADDR...: a heap profile (one sample, the stack given)
# and a CPU profile (64-bit words: header, one sample of the first address
# alone, as pprof keeps only that of a legacy CPU stack, trailer).
cat >"$tmp/legacy.py" <<'PY'
import struct, sys
heap, cpu, addrs = sys.argv[1], sys.argv[2], [int(a, 0) for a in sys.argv[3:]]
open(heap, "w").write("heap profile: 1: 64 [1: 64] @ heap/1\n1: 64 [1: 64] @ %s\n" %
                      " ".join("%#x" % a for a in addrs))
words = [0, 3, 0, 10000, 0, 7, 1, addrs[0], 0, 1, 0]
open(cpu, "wb").write(struct.pack("<%dQ" % len(words), *words))
PY
names() { # hearth's function names of a top report, sorted
	awk 'NR > 4 && NF >= 6 { $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' "$1" | sort
}
if [ -x "$tmp/gosym" ] &&
	cc -O1 -no-pie -o "$tmp/dot" "$md/c/dot.c" 2>"$tmp/cc.log" &&
	cc -O1 -g -no-pie -DPLAIN -o "$tmp/dotg" "$md/c/dot.c" 2>>"$tmp/cc.log"; then
	for v in dot dotg; do
		python3 "$tmp/gosymtab.py" "$tmp/$v" "$tmp/$v.gosymtab" &&
			printf '\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >"$tmp/$v.gopclntab" &&
			objcopy --add-section .gosymtab="$tmp/$v.gosymtab" \
				--add-section .gopclntab="$tmp/$v.gopclntab" "$tmp/$v" "$tmp/${v}go" ||
			bad "objcopy $v"
		loop=$(nm "$tmp/$v" | awk '$3 ~ /NewLoop$/ { print $1 }')
		main=$(nm "$tmp/$v" | awk '$3 == "main" { print $1 }')
		a1=$(printf '%#x' $((0x$loop + 5)))
		a2=$(printf '%#x' $((0x$main + 10)))
		python3 "$tmp/legacy.py" "$tmp/$v.heap" "$tmp/$v.cpu" "$a1" "$a2"
		"$tmp/gosym" "$tmp/${v}go" "$a1" "$a2" | sort >"$tmp/ref.heap" 2>"$tmp/ref.err"
		"$tmp/gosym" "$tmp/${v}go" "$a1" >"$tmp/ref.cpu" 2>>"$tmp/ref.err"
		if ! grep -qx '\(main\.\*\)*LSG\.NewLoop' "$tmp/ref.cpu"; then
			bad "$v: debug/gosym's names" "$tmp/ref.err"
			continue
		fi
		for kind in heap cpu; do
			"$hearth" top "$tmp/${v}go" "$tmp/$v.$kind" >"$tmp/h.out" 2>&1
			names "$tmp/h.out" >"$tmp/h.names"
			cp "$tmp/ref.$kind" "$tmp/ref"
			if diff "$tmp/ref" "$tmp/h.names" >"$tmp/diff"; then
				ok "$v with Go 1.0 tables, legacy $kind profile: names as debug/gosym's ($(tr '\n' ' ' <"$tmp/ref"))"
			else
				bad "$v with Go 1.0 tables, legacy $kind profile: names as debug/gosym's" "$tmp/diff"
			fi
		done
	done
	# Without Go tables the symbol is the C program's, kept as it is.
	"$hearth" top "$tmp/dot" "$tmp/dot.heap" >"$tmp/h.out" 2>&1
	if grep -q 'main\.\*LSG·NewLoop$' "$tmp/h.out"; then
		ok "C program without Go tables: main.*LSG·NewLoop kept"
	else
		bad "C program without Go tables: main.*LSG·NewLoop kept" "$tmp/h.out"
	fi
else
	bad "cc tests/subjects/middledot/c/dot.c" "$tmp/cc.log"
fi
echo "$pass passed, $fail failed"
