#!/bin/sh
# disasm's instruction text in Go's assembler syntax, against
# `go tool pprof -disasm` (the newest Go's, tests/cli/go.inc), on the Go
# subjects of the project built here with that Go: tests/subjects/hotloop,
# rtsubject, netsubject, goclient, middledot and ../shared/subjects/* (leaky,
# searchsvc) when present.
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

subjects="hotloop rtsubject netsubject goclient middledot"
total=0
same=0
for dir in $(for s in $subjects; do echo "$PWD/tests/subjects/$s"; done) $(ls -d "$PWD"/../shared/subjects/*/ 2>/dev/null); do
	dir=${dir%/}
	prog=$(basename "$dir")
	[ -f "$dir/go.mod" ] || continue
	if ! (cd "$dir" && go build -o "$tmp/$prog" .) >"$tmp/build.log" 2>&1; then
		bad "go build $prog" "$tmp/build.log"
		continue
	fi
	if ! python3 "$tmp/cmp.py" "$hearth" "$tmp/$prog" "$tmp/$prog.heap" "$verbose" >"$tmp/cmp.out" 2>&1; then
		bad "$prog: comparison" "$tmp/cmp.out"
		continue
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
done
pct=$(awk -v e="$same" -v c="$total" 'BEGIN { printf "%.3f", c ? 100 * e / c : 0 }')
if [ "$total" -gt 0 ] && [ $((same * 100)) -ge $((total * 99)) ]; then
	ok "all subjects: text as pprof's: $same of $total instructions ($pct %)"
	echo "goasm: $same of $total instructions as pprof's ($pct %)"
else
	bad "all subjects: text as pprof's: $same of $total instructions ($pct %)"
fi
echo "$pass passed, $fail failed"
