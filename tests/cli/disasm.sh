#!/bin/sh
# hearth disasm and hearth weblist against `go tool pprof -disasm` and
# `-weblist`, on a Go program of our own (tests/subjects/hotloop, profiled
# as tests/cli/symbolize.sh does it: its CPU profile re-encoded without
# functions, and its heap?debug=1 text):
#
#   - disasm: the Total, ROUTINE and (flat, cum) lines, and for every
#     instruction its flat, cum, address and ";function file:line" note,
#     equal to pprof's for several regexps and options (-cum, -lines,
#     -noinlines, -unit, -divide_by, -focus, -sample_index, heap); the
#     instruction text, in Go's assembler syntax, equal to pprof's for at
#     least 99 % of the instructions (gotext.py);
#   - a stripped program (-ldflags=-s -w): pprof finds no symbol; hearth
#     takes the pclntab's functions, and its numbers equal pprof's on the
#     unstripped program;
#   - a regexp matching nothing: pprof's message; a program whose build id
#     is not the profile's: the mismatch said, nothing disassembled;
#   - damaged programs: one error line, never a crash;
#   - arm64 (GOARCH=arm64 build, a heap profile written here): numbers and
#     addresses equal to pprof's, the addresses those of `go tool objdump`;
#     386 likewise, its text against pprof's;
#   - weblist: well-formed HTML (python3 html.parser); its source rows,
#     headers and the assembly rows with samples equal to pprof's page (the
#     instruction text aside, and pprof's rows before a run's first
#     function entry); each line `hearth list` gives a value has the same
#     values on the page; names escaped; -output=FILE; in Chromium (when
#     tests/e2e's playwright-core is installed) a click on a line shows and
#     hides its instructions; in hearth web's source view, a click on each
#     line shows the rows weblist's page has under it (inlined calls,
#     instructions, their values: tests/cli/srcclick.js, weblist_check.py);
#   - -h of both lists -seconds, -timeout and -symbolize.
#
#   tests/cli/disasm.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed". SKIP (counted as passed) without go.
name=disasm
. "$(dirname "$0")/gosubject.inc"
weird=$PWD/tests/data/reports/weird-names.pb.gz
# The disasm output without the instruction text: each instruction as
# "flat cum address ;note" (the note from its own line, or from the line
# before it that pprof prints for a long instruction).
# Routines with AVX-512 code (Go 1.26's asyncPreempt, expandAVX512*) are
# compared like the others: for Go programs hearth reads EVEX and mask
# instructions as Go's disassembler does (docs/reports-differences.md).
cat >"$tmp/norm.py" <<'PY'
import os, re, sys
pend = None
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"^ {74};(.*)$", line)
    if m:
        pend = m.group(1)
        continue
    m = re.match(r"^\s*(\S+)\s+(\S+)\s+([0-9a-f]+): (.*)$", line)
    if m and not line.startswith(("ROUTINE", "Total:")) and "(flat, cum)" not in line:
        rest, loc, pend = m.group(4), pend, None
        if loc is None and len(rest) > 40 and rest[40] == ";":
            loc = rest[41:]
        print(m.group(1), m.group(2), m.group(3), "" if loc is None else ";" + loc)
        continue
    print(line)
PY

# A weblist page reduced to what hearth and pprof must agree on: the
# function headers, the source rows (values and text) and the assembly rows
# that have samples (values and address).
cat >"$tmp/wnorm.py" <<'PY'
import re, sys
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith(("<h2>", "<div class=\"legend\">", "  Total:")) or \
            line.startswith("Type:") or line.startswith("Duration:"):
        print(line)
        continue
    m = re.match(r"^(<span class=line>.*?</span> <span class=\w+>.*? </span>)", line)
    if m:
        print(m.group(1))
        line = line[len(m.group(1)):]
    for a in re.finditer(r"(?:^|<span class=asm>)\s+(\S+)\s+(\S+)\s+([0-9a-f]+): ", line):
        if a.group(1) != "." or a.group(2) != ".":
            print("asm", a.group(1), a.group(2), a.group(3))
PY

# Well-formed HTML; with a list output, each line it gives a value has the
# same values on the page (keyed by file base name and line).
cat >"$tmp/wcheck.py" <<'PY'
import html.parser, os, re, sys
VOID = {"meta", "br", "link", "img", "hr", "input"}
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors = [], []
    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> at %s, open: %s" % (tag, self.getpos(), self.stack[-3:]))
        else:
            self.stack.pop()
page = open(sys.argv[1], encoding="utf-8").read()
p = P()
p.feed(page)
p.close()
if p.errors or p.stack or not page.startswith("<!DOCTYPE html>"):
    print("not well-formed:", p.errors[:3], p.stack)
    sys.exit(1)
asm = len(re.findall(r"^\s+\S+\s+\S+\s+[0-9a-f]+: ", page.replace("<span class=asm>", "\n"), re.M))
if asm == 0:
    print("no assembly rows")
    sys.exit(1)
if len(sys.argv) > 2:
    shown, f = {}, None
    for line in page.splitlines():
        m = re.search(r'<p class="filename">(.*?)</p>', line)
        if m:
            f = os.path.basename(m.group(1))
        m = re.match(r"<span class=line>\s*(\d+)</span> <span class=\w+>\s+(\S+)\s+(\S+)", line)
        if m:
            shown[(f, int(m.group(1)))] = (m.group(2), m.group(3))
    want, f = {}, None
    for line in open(sys.argv[2]):
        m = re.match(r"ROUTINE =+ .* in (.*)$", line)
        if m:
            f = os.path.basename(m.group(1).strip())
            continue
        m = re.match(r"^\s*(\S+)\s+(\S+)\s+(\d+):", line)
        if m and (m.group(1) != "." or m.group(2) != "."):
            want[(f, int(m.group(3)))] = (m.group(1), m.group(2))
    missing = [(k, v, shown.get(k)) for k, v in sorted(want.items()) if shown.get(k) != v]
    if not want or missing:
        print("lines of hearth list not on the page as it gives them:", missing[:5], len(want))
        sys.exit(1)
print("%d assembly rows" % asm)
PY

# disasm NAME -- HEARTH ARGS -- PPROF ARGS: normalized outputs equal.
# Instruction text against pprof's (Go's assembler syntax for Go programs):
# gotext.py HEARTH_OUT PPROF_OUT prints "E of N" and fails below 99 %.
cat >"$tmp/gotext.py" <<'PY'
import re, sys
def insts(fn):
    d = {}
    for line in open(fn):
        line = line.rstrip("\n")
        m = re.match(r"^\s*(\S+)\s+(\S+)\s+([0-9a-f]+): (.*)$", line)
        if m and not line.startswith(("ROUTINE", "Total:")) and "(flat, cum)" not in line:
            t = m.group(4)
            if len(t) > 40 and t[40] == ";":
                t = t[:40]
            d[m.group(3)] = t.rstrip()
    return d
h, g = insts(sys.argv[1]), insts(sys.argv[2])
common = [a for a in g if a in h]
eq = [a for a in common if g[a] == h[a]]
for a in [a for a in common if g[a] != h[a]][:10]:
    print("%s: pprof %r, hearth %r" % (a, g[a], h[a]))
print("%d of %d instructions as pprof's" % (len(eq), len(common)))
sys.exit(0 if common and len(eq) >= 0.99 * len(common) and len(common) >= 0.99 * len(g) else 1)
PY

disasm_same() {
	name=$1
	shift 2
	h=""
	while [ "$1" != "--" ]; do h="$h $1"; shift; done
	shift
	# shellcheck disable=SC2086
	"$hearth" disasm $h >"$tmp/h.out" 2>"$tmp/h.err"
	# shellcheck disable=SC2068
	go tool pprof $@ >"$tmp/g.out" 2>"$tmp/g.err"
	python3 "$tmp/norm.py" "$tmp/h.out" >"$tmp/h.n"
	python3 "$tmp/norm.py" "$tmp/g.out" >"$tmp/g.n"
	if [ ! -s "$tmp/g.out" ] || ! grep -q "^ROUTINE" "$tmp/g.out"; then
		bad "$name: go tool pprof gave no routine" "$tmp/g.err"
	elif cmp -s "$tmp/h.n" "$tmp/g.n"; then
		ok "$name"
	else
		diff "$tmp/g.n" "$tmp/h.n" >"$tmp/diff"
		cat "$tmp/h.err" >>"$tmp/diff"
		bad "$name" "$tmp/diff"
	fi
}

b=$tmp/hot
if gobuild "$b" && "$b" "$tmp/heap.txt" "$tmp/cpu.pb.gz" 1 >"$tmp/run.log" 2>&1 &&
	python3 "$strip" "$tmp/cpu.pb.gz" "$tmp/cpu.bare.pb.gz" 2>>"$tmp/run.log"; then
	cpu=$tmp/cpu.bare.pb.gz
	heap=$tmp/heap.txt
	for re in main.spin main runtime 'main\.(spin|main)' .; do
		disasm_same "disasm $re" -- "$re" "$b" "$cpu" -- "-disasm=$re" "$b" "$cpu"
	done
	for o in -cum -lines -noinlines -unit=ms -divide_by=10 -focus=spin -relative_percentages; do
		disasm_same "disasm main $o" -- "$o" main "$b" "$cpu" -- "$o" -disasm=main "$b" "$cpu"
	done
	disasm_same "disasm -disasm=spin" -- -disasm=spin "$b" "$cpu" -- -disasm=spin "$b" "$cpu"
	disasm_same "heap disasm main" -- main "$b" "$heap" -- -disasm=main "$b" "$heap"
	disasm_same "heap disasm . -sample_index=alloc_space" -- -sample_index=alloc_space . \
		"$b" "$heap" -- -sample_index=alloc_space -disasm=. "$b" "$heap"
	disasm_same "heap disasm -lines keep" -- -lines 'keep' "$b" "$heap" -- -lines -disasm=keep \
		"$b" "$heap"

	# The instruction text, in Go's syntax, against pprof's.
	for re in main runtime .; do
		"$hearth" disasm "$re" "$b" "$cpu" >"$tmp/m.out" 2>&1
		go tool pprof -disasm="$re" "$b" "$cpu" >"$tmp/mg.out" 2>/dev/null
		if python3 "$tmp/gotext.py" "$tmp/m.out" "$tmp/mg.out" >"$tmp/m.log" 2>&1; then
			ok "text of $re as pprof's ($(tail -1 "$tmp/m.log"))"
		else
			bad "text of $re as pprof's" "$tmp/m.log"
		fi
	done
	"$hearth" disasm . "$b" "$heap" >"$tmp/m.out" 2>&1
	go tool pprof -disasm=. "$b" "$heap" >"$tmp/mg.out" 2>/dev/null
	if python3 "$tmp/gotext.py" "$tmp/m.out" "$tmp/mg.out" >"$tmp/m.log" 2>&1; then
		ok "text of the heap profile's functions as pprof's ($(tail -1 "$tmp/m.log"))"
	else
		bad "text of the heap profile's functions as pprof's" "$tmp/m.log"
	fi

	# runtime.memmove, with AVX instructions: a sample in its middle.
	set -- $(nm -S "$b" | awk '$4 == "runtime.memmove" {print $1, $2}')
	if [ $# = 2 ]; then
		printf 'heap profile: 1: 64 [1: 64] @ heap/1\n1: 64 [1: 64] @ %#x\n' \
			$((0x$1 + 0x$2 / 2)) >"$tmp/mm.heap"
		disasm_same "disasm runtime.memmove (AVX)" -- 'runtime\.memmove' "$b" "$tmp/mm.heap" -- \
			'-disasm=runtime\.memmove' "$b" "$tmp/mm.heap"
		if grep -q "VMOVDQU" "$tmp/h.out" &&
			python3 "$tmp/gotext.py" "$tmp/h.out" "$tmp/g.out" >"$tmp/m.log" 2>&1; then
			ok "runtime.memmove: text as pprof's ($(tail -1 "$tmp/m.log"))"
		else
			bad "runtime.memmove: text as pprof's" "$tmp/m.log"
		fi
	else
		bad "nm -S: no runtime.memmove"
	fi

	# 400 random addresses over every function of the program (a fixed
	# seed): the routines and the rows with samples as pprof's.  (The rows
	# past a symbol's cut last instruction are garbage both tools read their
	# own way; they have no samples.)
	python3 - "$b" "$tmp/rand.heap" <<'PY'
import random, subprocess, sys
random.seed(7)
syms = []
for l in subprocess.run(["nm", "-S", sys.argv[1]], capture_output=True, text=True).stdout.splitlines():
    f = l.split()
    if len(f) == 4 and f[2] in "tT" and int(f[1], 16) > 8:
        syms.append((int(f[0], 16), int(f[1], 16)))
out = ["heap profile: 400: 25600 [400: 25600] @ heap/1"]
for _ in range(400):
    a, n = random.choice(syms)
    out.append("1: 64 [1: 64] @ %#x" % (a + random.randrange(1, n - 1)))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
	"$hearth" disasm . "$b" "$tmp/rand.heap" >"$tmp/h.out" 2>"$tmp/h.err"
	go tool pprof -disasm=. "$b" "$tmp/rand.heap" >"$tmp/g.out" 2>/dev/null
	for x in h g; do
		python3 "$tmp/norm.py" "$tmp/$x.out" | grep -v '^\. \. ' >"$tmp/$x.n"
	done
	if [ "$(grep -c '^ROUTINE' "$tmp/g.n")" -gt 100 ] && cmp -s "$tmp/h.n" "$tmp/g.n"; then
		ok "400 random addresses: $(grep -c '^ROUTINE' "$tmp/g.n") routines as pprof's"
	else
		diff "$tmp/g.n" "$tmp/h.n" >"$tmp/diff"
		bad "400 random addresses: routines as pprof's" "$tmp/diff"
	fi
	if python3 "$tmp/gotext.py" "$tmp/h.out" "$tmp/g.out" >"$tmp/m.log" 2>&1; then
		ok "400 random addresses: text as pprof's ($(tail -1 "$tmp/m.log"))"
	else
		bad "400 random addresses: text as pprof's" "$tmp/m.log"
	fi

	# A regexp that matches nothing: pprof's message, on one line.
	"$hearth" disasm nothing_matches_this "$b" "$cpu" >"$tmp/h.out" 2>"$tmp/h.err"
	rc=$?
	go tool pprof -disasm=nothing_matches_this "$b" "$cpu" >"$tmp/g.out" 2>&1
	want=$(grep "no matches found" "$tmp/g.out")
	if [ "$rc" -ne 0 ] && [ -n "$want" ] && [ "$(cat "$tmp/h.err")" = "hearth: $want" ] &&
		[ ! -s "$tmp/h.out" ]; then
		ok "no match: pprof's message"
	else
		bad "no match: pprof's message (rc $rc, pprof: $want)" "$tmp/h.err"
	fi
	"$hearth" weblist nothing_matches_this "$b" "$cpu" >"$tmp/h.out" 2>"$tmp/h.err"
	rc=$?
	go tool pprof -weblist=nothing_matches_this -output="$tmp/g.html" "$b" "$cpu" >"$tmp/g.out" 2>&1
	want=$(grep "no matches found" "$tmp/g.out")
	if [ "$rc" -ne 0 ] && [ -n "$want" ] && [ "$(cat "$tmp/h.err")" = "hearth: $want" ]; then
		ok "weblist no match: pprof's message"
	else
		bad "weblist no match: pprof's message (rc $rc, pprof: $want)" "$tmp/h.err"
	fi

	# Stripped: no symbol table; the pclntab's functions run to the next
	# one's entry, so a routine shows the padding after its code, but its
	# numbers and the rows that have samples are pprof's on the unstripped
	# program.
	# With the unstripped program's build ID: Go 1.26 gives a stripped
	# build another one, and a mismatch rightly stops symbolization.
	bid=$(readelf -n "$b" | awk '/Build ID:/ {print $3; exit}')
	if gobuild "$tmp/hot.s" "-ldflags=-s -w -B 0x$bid"; then
		go tool pprof -disasm=main "$tmp/hot.s" "$cpu" >"$tmp/g.out" 2>&1
		if grep -q "no matches found for regexp main" "$tmp/g.out"; then
			ok "stripped: pprof finds no symbol"
		else
			bad "stripped: pprof finds no symbol" "$tmp/g.out"
		fi
		for re in main runtime.main; do
			"$hearth" disasm "$re" "$tmp/hot.s" "$cpu" >"$tmp/h.out" 2>"$tmp/h.err"
			go tool pprof -disasm="$re" "$b" "$cpu" >"$tmp/g.out" 2>/dev/null
			for x in h g; do
				python3 "$tmp/norm.py" "$tmp/$x.out" |
					grep -v '^\. \. ' >"$tmp/$x.n"
			done
			if [ -s "$tmp/g.n" ] && cmp -s "$tmp/h.n" "$tmp/g.n"; then
				ok "stripped $re: numbers of the unstripped program's"
			else
				diff "$tmp/g.n" "$tmp/h.n" >"$tmp/diff"
				cat "$tmp/h.err" >>"$tmp/diff"
				bad "stripped $re: numbers of the unstripped program's" "$tmp/diff"
			fi
		done
	fi

	# weblist against pprof's page.  (Regexps that select few runs of code:
	# past 25, pprof keeps those with the most flat samples and breaks ties
	# in no fixed order.)
	for re in main.spin main 'runtime\.main$'; do
		"$hearth" weblist "$re" "$b" "$cpu" >"$tmp/h.html" 2>"$tmp/h.err"
		go tool pprof -weblist="$re" -output="$tmp/g.html" "$b" "$cpu" >/dev/null 2>&1
		python3 "$tmp/wnorm.py" "$tmp/h.html" >"$tmp/h.n"
		python3 "$tmp/wnorm.py" "$tmp/g.html" >"$tmp/g.n"
		if [ ! -s "$tmp/g.n" ] || ! grep -q "^asm " "$tmp/g.n"; then
			bad "weblist $re: pprof's page has no sampled assembly" "$tmp/g.html"
		elif cmp -s "$tmp/h.n" "$tmp/g.n"; then
			ok "weblist $re: rows and numbers as pprof's"
		else
			diff "$tmp/g.n" "$tmp/h.n" >"$tmp/diff"
			cat "$tmp/h.err" >>"$tmp/diff"
			bad "weblist $re: rows and numbers as pprof's" "$tmp/diff"
		fi
		"$hearth" list "$re" "$b" "$cpu" >"$tmp/list.out" 2>/dev/null
		if python3 "$tmp/wcheck.py" "$tmp/h.html" "$tmp/list.out" >"$tmp/w.log" 2>&1; then
			ok "weblist $re: well-formed, lines as hearth list gives them ($(cat "$tmp/w.log"))"
		else
			bad "weblist $re: well-formed, lines as hearth list gives them" "$tmp/w.log"
		fi
	done
	for o in "-focus=spin main $cpu" "-divide_by=3 main $cpu" "-unit=s main $cpu" \
		"-sample_index=alloc_space main $heap" "-mean keep $heap"; do
		# shellcheck disable=SC2086
		set -- $o
		opt=$1 re=$2 prof=$3
		rm -f "$tmp/g.html"
		"$hearth" weblist "$opt" "$re" "$b" "$prof" >"$tmp/h.html" 2>"$tmp/h.err"
		go tool pprof "$opt" -weblist="$re" -output="$tmp/g.html" "$b" "$prof" >/dev/null 2>&1
		python3 "$tmp/wnorm.py" "$tmp/h.html" >"$tmp/h.n"
		python3 "$tmp/wnorm.py" "$tmp/g.html" >"$tmp/g.n" 2>/dev/null
		if grep -q "^asm " "$tmp/g.n" && cmp -s "$tmp/h.n" "$tmp/g.n"; then
			ok "weblist $opt $re: rows and numbers as pprof's"
		else
			diff "$tmp/g.n" "$tmp/h.n" >"$tmp/diff"
			bad "weblist $opt $re: rows and numbers as pprof's" "$tmp/diff"
		fi
	done
	# A regexp that reads as a sampled address: the function holding it.
	"$hearth" disasm main.spin "$b" "$cpu" >"$tmp/h.out" 2>&1
	addr=0x$(awk '$1 != "." && $3 ~ /^[0-9a-f]+:$/ {sub(":", "", $3); print $3; exit}' "$tmp/h.out")
	"$hearth" weblist "$addr" "$b" "$cpu" >"$tmp/h.html" 2>"$tmp/h.err"
	go tool pprof -weblist="$addr" -output="$tmp/g.html" "$b" "$cpu" >/dev/null 2>&1
	python3 "$tmp/wnorm.py" "$tmp/h.html" >"$tmp/h.n"
	python3 "$tmp/wnorm.py" "$tmp/g.html" >"$tmp/g.n"
	if [ "$addr" != 0x ] && grep -q "^asm " "$tmp/g.n" && cmp -s "$tmp/h.n" "$tmp/g.n"; then
		ok "weblist $addr (an address): rows and numbers as pprof's"
	else
		diff "$tmp/g.n" "$tmp/h.n" >"$tmp/diff"
		bad "weblist $addr (an address): rows and numbers as pprof's" "$tmp/diff"
	fi
	"$hearth" weblist main "$b" "$heap" >"$tmp/h.html" 2>"$tmp/h.err"
	go tool pprof -weblist=main -output="$tmp/g.html" "$b" "$heap" >/dev/null 2>&1
	python3 "$tmp/wnorm.py" "$tmp/h.html" >"$tmp/h.n"
	python3 "$tmp/wnorm.py" "$tmp/g.html" >"$tmp/g.n"
	if [ -s "$tmp/g.n" ] && cmp -s "$tmp/h.n" "$tmp/g.n"; then
		ok "weblist main, heap: rows and numbers as pprof's"
	else
		diff "$tmp/g.n" "$tmp/h.n" >"$tmp/diff"
		bad "weblist main, heap: rows and numbers as pprof's" "$tmp/diff"
	fi
	# In a browser: a click on a source line shows its instructions, a
	# second hides them (Chromium through playwright-core, when installed).
	pw=$PWD/tests/e2e/node_modules/playwright-core
	if command -v node >/dev/null 2>&1 && [ -d "$pw" ] && command -v chromium >/dev/null 2>&1; then
		"$hearth" weblist main.spin "$b" "$cpu" >"$tmp/c.html" 2>/dev/null
		cat >"$tmp/click.js" <<'JS'
const { chromium } = require(process.argv[2]);
(async () => {
  const b = await chromium.launch({ executablePath: process.argv[4], args: ['--no-sandbox'] });
  const p = await b.newPage();
  const errors = [];
  p.on('pageerror', e => errors.push(String(e)));
  await p.goto('file://' + process.argv[3]);
  const live = p.locator('span.livesrc').first();
  const asm = p.locator('span.livesrc + span.asm').first();
  const before = await asm.isVisible();
  await live.click();
  const after = await asm.isVisible();
  await live.click();
  const again = await asm.isVisible();
  console.log(JSON.stringify({ before, after, again, errors }));
  await b.close();
})().catch(e => { console.log(String(e)); process.exit(1); });
JS
		got=$(timeout 120 node "$tmp/click.js" "$pw" "$tmp/c.html" "$(command -v chromium)" 2>&1)
		if [ "$got" = '{"before":false,"after":true,"again":false,"errors":[]}' ]; then
			ok "weblist in Chromium: a click shows a line's assembly, another hides it"
		else
			echo "$got" >"$tmp/click.log"
			bad "weblist in Chromium: a click shows a line's assembly, another hides it" "$tmp/click.log"
		fi
	fi
	# -output=FILE: the page there, nothing on stdout.
	"$hearth" weblist -output="$tmp/o.html" main.spin "$b" "$cpu" >"$tmp/h.out" 2>"$tmp/h.err"
	if [ ! -s "$tmp/h.out" ] && python3 "$tmp/wcheck.py" "$tmp/o.html" >/dev/null 2>&1 &&
		grep -q "Generating report in $tmp/o.html" "$tmp/h.err"; then
		ok "weblist -output=FILE"
	else
		bad "weblist -output=FILE" "$tmp/h.err"
	fi

	# hearth web on the program and its profile: the page's Disassemble view
	# (/api/disasm) is hearth disasm's text, and the title names the profile,
	# not the program.
	"$hearth" web -no_browser -http=127.0.0.1:0 "$b" "$cpu" >"$tmp/web.out" 2>"$tmp/web.err" &
	wpid=$!
	wurl=
	for _ in $(seq 1 300); do
		wurl=$(grep -o 'http://[0-9.:]*' "$tmp/web.out" 2>/dev/null | head -n 1)
		[ -n "$wurl" ] && break
		kill -0 $wpid 2>/dev/null || break
		sleep 0.1
	done
	"$hearth" disasm main.spin "$b" "$cpu" >"$tmp/d.want" 2>/dev/null
	if [ -n "$wurl" ] && python3 - "$wurl" "$tmp/d.want" "$(basename "$cpu")" >"$tmp/web.log" 2>&1 <<'PY'
import json, sys, urllib.parse, urllib.request
url, want, prof = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
q = urllib.parse.urlencode({"f": "main.spin"})
got = json.load(urllib.request.urlopen(url + "/api/disasm?" + q, timeout=60))["text"]
title = json.load(urllib.request.urlopen(url + "/api/profile", timeout=60))["title"]
print("title:", title)
sys.exit(0 if got == want and want.strip() and title == prof else 1)
PY
	then
		ok "hearth web: /api/disasm is hearth disasm's text; the title names the profile, not the program"
	else
		cat "$tmp/web.err" >>"$tmp/web.log"
		bad "hearth web: /api/disasm is hearth disasm's text; the title names the profile, not the program" "$tmp/web.log"
	fi
	# In the page (Chromium, when installed): a click on each line of the
	# Source view shows what weblist's page shows under it (the inlined
	# calls, the instructions and their values), a second click hides it
	# (tests/cli/srcclick.js clicks, weblist_check.py compares).
	if [ -n "$wurl" ] && command -v node >/dev/null 2>&1 && [ -d "$pw" ] && command -v chromium >/dev/null 2>&1; then
		"$hearth" weblist '^main\.spin$' "$b" "$cpu" >"$tmp/e.html" 2>/dev/null
		timeout 300 node tests/cli/srcclick.js "$pw" "$wurl/?view=source&f=main.spin" "$(command -v chromium)" >"$tmp/ui.json" 2>&1
		if python3 tests/cli/weblist_check.py "$tmp/e.html" "$tmp/ui.json" >"$tmp/wl.log" 2>&1; then
			ok "hearth web Source: a click on each line shows weblist's inlined calls and instructions with their values ($(tail -n 1 "$tmp/wl.log"))"
		else
			cat "$tmp/ui.json" >>"$tmp/wl.log"
			bad "hearth web Source: a click on each line shows weblist's inlined calls and instructions with their values" "$tmp/wl.log"
		fi
	fi
	kill $wpid 2>/dev/null
	wait $wpid 2>/dev/null

	# Damaged programs: one line on stderr, an exit code, no crash.
	python3 - "$b" "$tmp" <<'PY'
import struct, sys
src, tmp = sys.argv[1], sys.argv[2]
d = bytearray(open(src, "rb").read())
shoff, = struct.unpack_from("<Q", d, 0x28)
shnum, shstrndx = struct.unpack_from("<HH", d, 0x3C)
def sh(i):
    return shoff + 64 * i
stroff, = struct.unpack_from("<Q", d, sh(shstrndx) + 24)
def name(i):
    n, = struct.unpack_from("<I", d, sh(i))
    s = stroff + n
    return bytes(d[s:d.index(0, s)]).decode()
secs = {name(i): i for i in range(shnum)}
def write(tag, b):
    open("%s/bad.%s" % (tmp, tag), "wb").write(b)
b = bytearray(d); struct.pack_into("<Q", b, sh(secs[".text"]) + 24, 1 << 62)
write("textoff", b)                      # .text's bytes past the end of the file
b = bytearray(d); struct.pack_into("<Q", b, sh(secs[".text"]) + 32, 1 << 62)
write("textsize", b)                     # .text larger than the file
b = bytearray(d); struct.pack_into("<Q", b, sh(secs[".symtab"]) + 56, 0)
write("symentsize", b)                   # a symbol table with entries of size 0
b = bytearray(d); struct.pack_into("<Q", b, sh(secs[".symtab"]) + 32, 1 << 40)
write("symsize", b)                      # a symbol table larger than the file
# main.spin's symbol made 1 TB long.
st = secs[".symtab"]
so, ss = struct.unpack_from("<QQ", d, sh(st) + 24)
link, = struct.unpack_from("<I", d, sh(st) + 40)
lo, = struct.unpack_from("<Q", d, sh(link) + 24)
b = bytearray(d)
for k in range(ss // 24):
    e = so + 24 * k
    n, = struct.unpack_from("<I", d, e)
    if d[lo + n:d.index(0, lo + n)] == b"main.spin":
        struct.pack_into("<Q", b, e + 16, 1 << 40)
write("huge", b)
b = bytearray(d)
for k in range(1, ss // 24):
    struct.pack_into("<Q", b, so + 24 * k + 16, 1 << 40)
write("allhuge", b)                      # every symbol 1 TB long
b = bytearray(d); struct.pack_into("<H", b, 0x12, 0x1234)
write("machine", b)                      # an unknown machine
write("short", d[:len(d) // 3])          # cut short
PY
	# Every symbol covering the rest of .text: the report's cap on code.
	"$hearth" disasm . "$tmp/bad.allhuge" "$cpu" >"$tmp/h.out" 2>"$tmp/h.err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q "^hearth: disasm: more than 32 MiB of code" "$tmp/h.err" &&
		[ "$(wc -l <"$tmp/h.err")" = 1 ]; then
		ok "damaged program (every symbol 1 TB): the cap on code said"
	else
		bad "damaged program (every symbol 1 TB): the cap on code said (rc $rc)" "$tmp/h.err"
	fi
	for v in textoff textsize symentsize symsize huge machine short; do
		for cmd in disasm weblist; do
			"$hearth" $cmd main.spin "$tmp/bad.$v" "$cpu" >"$tmp/h.out" 2>"$tmp/h.err"
			rc=$?
			last=$(tail -1 "$tmp/h.err")
			if [ "$rc" -ge 0 ] && [ "$rc" -le 2 ] && [ "$(wc -l <"$tmp/h.err")" -le 2 ] &&
				{ [ "$rc" = 0 ] || case $last in hearth:*) true ;; *) false ;; esac; }; then
				ok "damaged program ($v), $cmd: rc $rc, $(tail -c 60 "$tmp/h.err" | tr '\n' ' ')"
			else
				bad "damaged program ($v), $cmd: rc $rc" "$tmp/h.err"
			fi
		done
	done
else
	bad "running the subject" "$tmp/run.log"
fi

# A program with another build id: said on stderr, nothing disassembled
# (pprof words it "regexp X" for disasm and "regexp: X" for weblist).
id1=1111111111111111111111111111111111111111
id2=2222222222222222222222222222222222222222
if gobuild "$tmp/hot.b1" "-ldflags=-B 0x$id1" && gobuild "$tmp/hot.b2" "-ldflags=-B 0x$id2" &&
	"$tmp/hot.b1" "$tmp/h1.txt" "$tmp/c1.pb.gz" 1 >"$tmp/run.log" 2>&1 &&
	python3 "$strip" "$tmp/c1.pb.gz" "$tmp/c1.bare.pb.gz"; then
	for cmd in disasm weblist; do
		"$hearth" $cmd main.spin "$tmp/hot.b2" "$tmp/c1.bare.pb.gz" >"$tmp/h.out" 2>"$tmp/h.err"
		rc=$?
		if [ "$rc" -ne 0 ] && grep -q "build ID mismatch" "$tmp/h.err" &&
			grep -Eq "no matches found for regexp:? main.spin" "$tmp/h.err" &&
			[ "$(wc -l <"$tmp/h.err")" = 2 ]; then
			ok "$cmd: mismatching build id said"
		else
			bad "$cmd: mismatching build id said (rc $rc)" "$tmp/h.err"
		fi
	done
	"$hearth" disasm main.spin "$tmp/hot.b1" "$tmp/c1.bare.pb.gz" >"$tmp/h.out" 2>"$tmp/h.err"
	if grep -q "^ROUTINE ======================== main.spin" "$tmp/h.out"; then
		ok "disasm: the right build id is taken"
	else
		bad "disasm: the right build id is taken" "$tmp/h.err"
	fi
fi

# arm64: a heap profile with three samples in main.spin; numbers and
# addresses as pprof's, addresses as go tool objdump's, no undecoded
# instruction before the cut at the symbol's last byte.
if (cd "$subject" && GOARCH=arm64 go build -o "$tmp/hot.arm64" .) >"$tmp/build.log" 2>&1; then
	go tool objdump -s '^main\.spin$' "$tmp/hot.arm64" >"$tmp/arm.od" 2>&1
	set -- $(awk '$2 ~ /^0x/ {print $2}' "$tmp/arm.od")
	if [ $# -gt 10 ]; then
		a1=$(printf '%#x' $(($3 + 1)))
		a2=$(printf '%#x' $(($6 + 1)))
		a3=$(printf '%#x' $(($9 + 1)))
		printf 'heap profile: 4: 256 [4: 256] @ heap/1\n1: 64 [1: 64] @ %s %s\n3: 192 [3: 192] @ %s %s\n' \
			"$a1" "$a2" "$a3" "$a2" >"$tmp/arm.heap"
		disasm_same "arm64 disasm main.spin" -- main.spin "$tmp/hot.arm64" "$tmp/arm.heap" -- \
			-disasm=main.spin "$tmp/hot.arm64" "$tmp/arm.heap"
		"$hearth" disasm main.spin "$tmp/hot.arm64" "$tmp/arm.heap" >"$tmp/h.out" 2>&1
		awk '$3 ~ /:$/ {sub(":", "", $3); print "0x" $3}' "$tmp/h.out" >"$tmp/h.addr"
		# go tool objdump shows the whole symbol; hearth stops before its
		# last byte, so its last instruction is the one cut.
		printf '%s\n' "$@" | sed '$d' >"$tmp/o.addr"
		sed '$d' "$tmp/h.addr" >"$tmp/h.addr2"
		# Words neither decodes: "?" in both.
		n=$(awk '$3 ~ /:$/ && $4 == "?"' "$tmp/h.out" | wc -l)
		q=$(awk '$2 ~ /^0x/ && $4 == "?"' "$tmp/arm.od" | wc -l)
		if [ -s "$tmp/o.addr" ] && cmp -s "$tmp/h.addr2" "$tmp/o.addr" && [ "$n" = "$q" ]; then
			ok "arm64: $(wc -l <"$tmp/h.addr") instructions at go tool objdump's addresses"
		else
			diff "$tmp/o.addr" "$tmp/h.addr2" >"$tmp/diff"
			bad "arm64: instructions at go tool objdump's addresses ($n undecoded, go: $q)" "$tmp/diff"
		fi
		# In Go's syntax, as pprof writes it (tests/cli/goasm.sh
		# compares every instruction).
		if grep -q ': MOVD 16(R28), R16' "$tmp/h.out" && grep -q ': CALL runtime\.' "$tmp/h.out"; then
			ok "arm64: the prologue and calls in Go's syntax"
		else
			bad "arm64: the prologue and calls in Go's syntax" "$tmp/h.out"
		fi
	else
		bad "arm64: go tool objdump" "$tmp/arm.od"
	fi
else
	bad "GOARCH=arm64 go build" "$tmp/build.log"
fi

# 386: the same, and the text against pprof's.
if (cd "$subject" && GOARCH=386 go build -o "$tmp/hot.386" .) >"$tmp/build.log" 2>&1; then
	set -- $(go tool objdump -s '^main\.spin$' "$tmp/hot.386" 2>/dev/null | awk '$2 ~ /^0x/ {print $2}')
	if [ $# -gt 10 ]; then
		printf 'heap profile: 4: 256 [4: 256] @ heap/1\n1: 64 [1: 64] @ %s %s\n3: 192 [3: 192] @ %s %s\n' \
			"$(printf '%#x' $(($3 + 1)))" "$(printf '%#x' $(($6 + 1)))" \
			"$(printf '%#x' $(($9 + 1)))" "$(printf '%#x' $(($6 + 1)))" >"$tmp/386.heap"
		disasm_same "386 disasm main.spin" -- main.spin "$tmp/hot.386" "$tmp/386.heap" -- \
			-disasm=main.spin "$tmp/hot.386" "$tmp/386.heap"
		if python3 "$tmp/gotext.py" "$tmp/h.out" "$tmp/g.out" >"$tmp/m.log" 2>&1; then
			ok "386: text as pprof's ($(tail -1 "$tmp/m.log"))"
		else
			bad "386: text as pprof's" "$tmp/m.log"
		fi
	else
		bad "386: go tool objdump"
	fi
else
	bad "GOARCH=386 go build" "$tmp/build.log"
fi

# A program that cannot be opened: pprof's line (on stderr here), then no match.
"$hearth" disasm Vec "$weird" >"$tmp/h.out" 2>"$tmp/h.err"
rc=$?
go tool pprof -disasm=Vec "$weird" >"$tmp/g.out" 2>/dev/null
want=$(grep '^open ' "$tmp/g.out")
if [ "$rc" = 2 ] && [ -n "$want" ] && grep -qxF "$want" "$tmp/h.err" &&
	grep -q "^hearth: no matches found for regexp Vec" "$tmp/h.err" && [ ! -s "$tmp/h.out" ]; then
	ok "disasm: a program that cannot be opened said as pprof says it"
else
	bad "disasm: a program that cannot be opened said as pprof says it (rc $rc; pprof: $want)" \
		"$tmp/h.err"
fi

# Names from the profile escaped on the page (a program that cannot be
# read: the profile's own lines, no assembly).
"$hearth" weblist 'Vec|say' "$weird" >"$tmp/w.html" 2>"$tmp/h.err"
if grep -q '<h2>ns::Vec&lt;int&gt;::push</h2>' "$tmp/w.html" &&
	grep -q '<h2>main.(\*T).say&#34;hi&#34;</h2>' "$tmp/w.html" &&
	grep -q 'File: we&#34;ird&lt;app&gt;' "$tmp/w.html" && ! grep -q '<int>' "$tmp/w.html" &&
	python3 - "$tmp/w.html" <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
    def handle_starttag(self, t, a):
        if t not in ("meta", "br"):
            self.stack.append(t)
    def handle_endtag(self, t):
        assert self.stack.pop() == t, t
p = P()
p.feed(open(sys.argv[1]).read())
assert not p.stack
PY
then
	ok "weblist: names escaped, page well-formed"
else
	bad "weblist: names escaped, page well-formed" "$tmp/w.html"
fi

for cmd in disasm weblist; do
	"$hearth" $cmd -h >"$tmp/help" 2>&1
	if grep -q -- "-seconds" "$tmp/help" && grep -q -- "-timeout" "$tmp/help" &&
		grep -q -- "-symbolize" "$tmp/help" && grep -q "usage: hearth $cmd" "$tmp/help"; then
		ok "$cmd -h lists the source options"
	else
		bad "$cmd -h lists the source options" "$tmp/help"
	fi
done

echo "$pass passed, $fail failed"
