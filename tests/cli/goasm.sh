#!/bin/sh
# disasm's instruction text in Go's assembler syntax, against
# `go tool pprof -disasm` (the newest Go's, tests/cli/go.inc), on the Go
# subjects of the project built here with that Go: tests/subjects/hotloop,
# rtsubject, netsubject, goclient, middledot and ../shared/subjects/* (leaky,
# searchsvc) when present, and hotloop built for 386 and for arm64, and an
# arm64 program of drawn instruction words.
#
# For each program a legacy heap profile is written with one sample in each
# of every third function of its symbol table (every function of package
# main), so that both tools disassemble the same routines; the instruction
# text of every address both print is compared.  Each program, and all of
# them together, must have at least 99 % of the instructions as pprof
# writes them, and at least 99 % of pprof's addresses must be hearth's too.
# The measured share is printed ("text as pprof's: E of N (P %)"); the
# kinds of difference that remain are in docs/reports-differences.md
# (-v prints them, counted by pprof's mnemonic against hearth's).
# A C program (tests/subjects/chot) stays in objdump's AT&T syntax: each
# branch and call target is named as GNU objdump names it (<main+0x49>,
# <printf@plt>).
#
#   tests/cli/goasm.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed". SKIP (counted as passed) without go.
name=goasm
. "$(dirname "$0")/gosubject.inc"

cat >"$tmp/cmp.py" <<'PY'
import collections, re, subprocess, sys
hearth, prog, heap, verbose = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "true"
syms = []
nm = subprocess.run(["nm", "-S", prog], capture_output=True, text=True, check=True).stdout
for line in nm.splitlines():
    p = line.split()
    if len(p) >= 4 and p[2] in "tT" and int(p[1], 16) > 0:
        syms.append((int(p[0], 16), p[3]))
pick = [a for i, (a, n) in enumerate(syms) if i % 3 == 0 or n.startswith("main.")]
with open(heap, "w") as f:
    f.write("heap profile: %d: %d [%d: %d] @ heap/1\n" % (len(pick), 64 * len(pick), len(pick), 64 * len(pick)))
    for a in pick:
        f.write("1: 64 [1: 64] @ %#x\n" % (a + 1))
def insts(txt):
    d = {}
    for line in txt.splitlines():
        m = re.match(r"^\s*(\S+)\s+(\S+)\s+([0-9a-f]+): (.*)$", line)
        if m and not line.startswith(("ROUTINE", "Total:")) and "(flat, cum)" not in line:
            t = m.group(4)
            if len(t) > 40 and t[40] == ";":
                t = t[:40]
            d[m.group(3)] = t.rstrip()
    return d
g = subprocess.run(["go", "tool", "pprof", "-disasm=.", prog, heap], capture_output=True, text=True).stdout
h = subprocess.run([hearth, "disasm", ".", prog, heap], capture_output=True, text=True).stdout
G, H = insts(g), insts(h)
common = [a for a in G if a in H]
diff = [a for a in common if G[a] != H[a]]
kinds = collections.Counter(G[a].split(" ")[0] + " / " + H[a].split(" ")[0] for a in diff)
if verbose:
    ex = {}
    for a in diff:
        ex.setdefault(G[a].split(" ")[0] + " / " + H[a].split(" ")[0], (a, G[a], H[a]))
    for k, c in kinds.most_common(15):
        print("  %d %s e.g. %s: pprof %r, hearth %r" % ((c, k) + ex[k]))
print("%d %d %d %d" % (len(G), len(common), len(common) - len(diff), len(pick)))
PY

measure() { # NAME DIR [GOARCH]
	prog=$1
	if ! (cd "$2" && GOARCH=${3:-amd64} go build -o "$tmp/$prog" .) >"$tmp/build.log" 2>&1; then
		bad "go build $prog" "$tmp/build.log"
		return
	fi
	if ! python3 "$tmp/cmp.py" "$hearth" "$tmp/$prog" "$tmp/$prog.heap" "$verbose" >"$tmp/cmp.out" 2>&1; then
		bad "$prog: comparison" "$tmp/cmp.out"
		return
	fi
	$verbose && sed '$d' "$tmp/cmp.out"
	set -- $(tail -1 "$tmp/cmp.out")
	n=$1 common=$2 eq=$3 funcs=$4
	total=$((total + common))
	same=$((same + eq))
	pct=$(awk -v e="$eq" -v c="$common" 'BEGIN { printf "%.3f", c ? 100 * e / c : 0 }')
	if [ "$common" -gt 1000 ] && [ $((eq * 100)) -ge $((common * 99)) ] &&
		[ $((common * 100)) -ge $((n * 99)) ]; then
		ok "$prog ($funcs functions): text as pprof's: $eq of $common ($pct %)"
	else
		bad "$prog ($funcs functions): text as pprof's: $eq of $common of pprof's $n ($pct %)" "$tmp/cmp.out"
	fi
}

total=0
same=0
for s in hotloop rtsubject netsubject goclient middledot; do
	measure "$s" "$PWD/tests/subjects/$s"
done
for dir in $(ls -d "$PWD"/../shared/subjects/*/ 2>/dev/null); do
	dir=${dir%/}
	[ -f "$dir/go.mod" ] && measure "$(basename "$dir")" "$dir"
done
# 386, where Go's syntax is the same decoder's in 32-bit mode.
measure hotloop.386 "$PWD/tests/subjects/hotloop" 386
# arm64, Go's arm64 decoder (golang.org/x/arch/arm64/arm64asm) against
# hearth's reading of capstone's.
measure hotloop.arm64 "$PWD/tests/subjects/hotloop" arm64
# And words no compiler writes: a program whose functions are 9,600 words
# (150 functions of 64, WORD directives in Go assembly), drawn with a fixed
# seed from the arm64 build's own instructions with one to three bits or a
# field changed, from the SIMD and floating-point space, and at random, so
# that aliases, reserved encodings and "?" are read as Go's decoder reads
# them.  Every word must be as pprof writes it but for 0.1 %.
cat >"$tmp/words.py" <<'PY'
import random, re, struct, subprocess, sys
hearth, prog, dir = sys.argv[1:4]
random.seed(20261203)
data = open(prog, "rb").read()
for line in subprocess.run(["readelf", "-S", "-W", prog], capture_output=True, text=True, check=True).stdout.splitlines():
    p = line.split()
    if ".text" in p:
        i = p.index(".text")
        off, size = int(p[i + 3], 16), int(p[i + 4], 16)
real = [w for w in struct.unpack("<%dI" % (size // 4), data[off:off + size // 4 * 4]) if w]
nf, nw = 150, 64
with open(dir + "/words_arm64.s", "w") as f, open(dir + "/main.go", "w") as m:
    f.write('#include "textflag.h"\n')
    m.write("package main\n\n")
    for i in range(nf):
        f.write("TEXT \u00b7w%d(SB),NOSPLIT|NOFRAME,$0-0\n" % i)
        m.write("func w%d()\n" % i)
        for k in range(nw):
            r = random.random()
            if r < 0.45:
                w = random.choice(real)
                for b in range(random.randint(1, 3)):
                    w ^= 1 << random.randint(0, 31)
            elif r < 0.7:
                w = random.choice(real) ^ (random.getrandbits(14) << 10)
            elif r < 0.85:
                w = (random.getrandbits(32) & ~0x0e000000) | 0x0e000000
            else:
                w = random.getrandbits(32)
            f.write("\tWORD $0x%08x\n" % w)
        f.write("\tRET\n")
    m.write("\nvar fs = []func(){%s}\n\nfunc main() {\n\tif len(fs) == 0 {\n\t\tfs[0]()\n\t}\n}\n" % ", ".join("w%d" % i for i in range(nf)))
open(dir + "/go.mod", "w").write("module words\n\ngo 1.22\n")
PY
cat >"$tmp/wordcmp.py" <<'PY'
import re, subprocess, sys
hearth, prog, heap = sys.argv[1:4]
syms = []
for line in subprocess.run(["nm", prog], capture_output=True, text=True, check=True).stdout.splitlines():
    p = line.split()
    if len(p) == 3 and re.match(r"main\.w\d+\.abi0$", p[2]):
        syms.append(int(p[0], 16))
with open(heap, "w") as f:
    f.write("heap profile: %d: %d [%d: %d] @ heap/1\n" % (len(syms), 64 * len(syms), len(syms), 64 * len(syms)))
    for a in syms:
        f.write("1: 64 [1: 64] @ %#x\n" % (a + 1))
def insts(txt):
    d = {}
    for line in txt.splitlines():
        m = re.match(r"^\s*\S+\s+\S+\s+([0-9a-f]+): (.*?)(\s+;.*)?$", line)
        if m and not line.startswith(("ROUTINE", "Total:")):
            d[m.group(1)] = m.group(2).rstrip()
    return d
G = insts(subprocess.run(["go", "tool", "pprof", "-disasm=main\\.w", prog, heap], capture_output=True, text=True).stdout)
H = insts(subprocess.run([hearth, "disasm", "main\\.w", prog, heap], capture_output=True, text=True).stdout)
common = [a for a in G if a in H]
diff = [a for a in common if G[a] != H[a]]
for a in diff[:10]:
    print("%s: pprof %r, hearth %r" % (a, G[a], H[a]))
print("%d %d %d" % (len(G), len(common), len(common) - len(diff)))
PY
mkdir -p "$tmp/words"
if [ -x "$tmp/hotloop.arm64" ] && python3 "$tmp/words.py" "$hearth" "$tmp/hotloop.arm64" "$tmp/words" &&
	(cd "$tmp/words" && GOARCH=arm64 go build -o "$tmp/words.arm64" .) >"$tmp/build.log" 2>&1 &&
	python3 "$tmp/wordcmp.py" "$hearth" "$tmp/words.arm64" "$tmp/words.heap" >"$tmp/wcmp.out" 2>&1; then
	$verbose && sed '$d' "$tmp/wcmp.out"
	set -- $(tail -1 "$tmp/wcmp.out")
	if [ "$1" -ge 9600 ] && [ "$2" = "$1" ] && [ $(($3 * 1000)) -ge $(($2 * 999)) ]; then
		ok "arm64 words: text as pprof's: $3 of $2"
	else
		bad "arm64 words: text as pprof's: $3 of $2 of pprof's $1" "$tmp/wcmp.out"
	fi
else
	bad "arm64 words: program built and compared" "$tmp/build.log"
fi
# Non-Go code stays in objdump's syntax (AT&T), its branch and call targets
# named as objdump names them (<main+0x49>, <printf@plt>): a C program of
# ours (tests/subjects/chot), every function, against GNU objdump.
cat >"$tmp/gnu.py" <<'PY'
import re, subprocess, sys
hearth, prog, heap = sys.argv[1:4]
syms = []
for line in subprocess.run(["nm", "-S", prog], capture_output=True, text=True, check=True).stdout.splitlines():
    p = line.split()
    if len(p) >= 4 and p[2] in "tT" and int(p[1], 16) > 0:
        syms.append(int(p[0], 16))
with open(heap, "w") as f:
    f.write("heap profile: %d: %d [%d: %d] @ heap/1\n" % (len(syms), 64 * len(syms), len(syms), 64 * len(syms)))
    for a in syms:
        f.write("1: 64 [1: 64] @ %#x\n" % (a + 1))
od = {}
for line in subprocess.run(["objdump", "-d", "-w", prog], capture_output=True, text=True, check=True).stdout.splitlines():
    m = re.match(r"^\s*([0-9a-f]+):\t[0-9a-f ]+\t(\S+)\s+[0-9a-f]+ (<[^>]+>)$", line)
    if m:
        od[m.group(1)] = (m.group(2), m.group(3))
hh = {}
for line in subprocess.run([hearth, "disasm", ".", prog, heap], capture_output=True, text=True).stdout.splitlines():
    m = re.match(r"^\s*\S+\s+\S+\s+([0-9a-f]+): (\S+) 0x[0-9a-f]+( <[^>]+>)?", line)
    if m:
        hh[m.group(1)] = (m.group(3) or "").strip()
both = [a for a in od if a in hh]
same = [a for a in both if hh[a] == od[a][1]]
for a in [a for a in both if hh[a] != od[a][1]][:10]:
    print("%s: objdump %s %s, hearth %r" % (a, od[a][0], od[a][1], hh[a]))
print("%d of %d branch targets named as objdump names them" % (len(same), len(both)))
sys.exit(0 if len(both) >= 10 and len(same) == len(both) else 1)
PY
if command -v cc >/dev/null 2>&1 && command -v objdump >/dev/null 2>&1 &&
	cc -O1 -g -o "$tmp/chot" "$PWD/tests/subjects/chot/hot.c" 2>"$tmp/cc.log"; then
	if python3 "$tmp/gnu.py" "$hearth" "$tmp/chot" "$tmp/chot.heap" >"$tmp/gnu.out" 2>&1; then
		ok "C program: $(tail -1 "$tmp/gnu.out")"
	else
		bad "C program: branch targets named as objdump's" "$tmp/gnu.out"
	fi
fi

pct=$(awk -v e="$same" -v c="$total" 'BEGIN { printf "%.3f", c ? 100 * e / c : 0 }')
if [ "$total" -gt 0 ] && [ $((same * 100)) -ge $((total * 99)) ]; then
	ok "all subjects: text as pprof's: $same of $total instructions ($pct %)"
	echo "goasm: $same of $total instructions as pprof's ($pct %)"
else
	bad "all subjects: text as pprof's: $same of $total instructions ($pct %)"
fi
echo "$pass passed, $fail failed"
