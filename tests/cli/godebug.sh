#!/bin/sh
# hearth godebug on GODEBUG logs written during the test by a Go program
# (tests/subjects/rtsubject) built with Debian's Go 1.19 and with the newest
# Go, each run under gctrace=1,schedtrace=100,scavtrace=1 and under
# gctrace=1,schedtrace=100,scheddetail=1 (under a second each):
#
#   - `-json`'s summary equals an independent reading of the same log
#     (tests/cli/godebug_check.py: regular expressions from the runtime's
#     print statements, nearest-rank percentiles), and the program's own
#     runtime.MemStats: NumGC = the gc lines, NumForcedGC, GOMAXPROCS;
#     with scheddetail the goroutines include the ones the program parked;
#   - garbage appended to a real log (cut lines, binary, an over-long line)
#     is counted as malformed, too long or program output, never fatal,
#     and leaves the collections as they were;
#   - -o writes an SVG that parses and a self-contained HTML page;
#   - the shared corpus's Go 1.19 logs read without a malformed line.
# The line shapes one by one are in tests/unit/test_godebug.c.
#
#   tests/cli/godebug.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
name=godebug subject=rtsubject gooptional=true
. "$(dirname "$0")/gosubject.inc"

for pair in $gos; do
	tag=${pair%%:*} go=${pair#*:}
	if ! (cd "$subject" && GOTOOLCHAIN=local "$go" build -o "$tmp/rt-$tag" .) >"$tmp/build.log" 2>&1; then
		bad "$tag: go build" "$tmp/build.log"
		continue
	fi
	# scavtrace has a run of its own: with gctrace as well, Go 1.26 was
	# seen to hang in the middle of a gc line (the process stuck in
	# futexes for good, SIGQUIT unanswered).
	for mode in plain detail scav; do
		case $mode in
		plain) dbg=gctrace=1,schedtrace=100 ;;
		detail) dbg=gctrace=1,schedtrace=100,scheddetail=1 ;;
		scav) dbg=scavtrace=1,schedtrace=100 ;;
		esac
		log=$tmp/$tag.$mode.log
		if ! GODEBUG=$dbg timeout 30 "$tmp/rt-$tag" -d 300ms -parked 8 >"$tmp/$tag.$mode.out" 2>"$log"; then
			bad "$tag $mode: the subject failed" "$log"
			continue
		fi
		sub=$(grep '^SUBJECT ' "$tmp/$tag.$mode.out")
		if ! timeout 60 "$hearth" godebug -json "$log" >"$log.json" 2>"$tmp/err"; then
			bad "$tag $mode: hearth godebug -json" "$tmp/err"
			continue
		fi
		if python3 "$check" "$log" "$log.json" "$sub" --parked 8 --mode $mode 2>"$tmp/err"; then
			ok "$tag $mode: summary = independent reading and MemStats ($sub)"
		else
			bad "$tag $mode: summary" "$tmp/err"
		fi
		if timeout 60 "$hearth" godebug "$log" >"$tmp/text" 2>"$tmp/err" &&
			grep -q '^Scheduler: ' "$tmp/text" &&
			{ [ $mode = scav ] || grep -q '^GC: ' "$tmp/text"; } &&
			{ [ $mode != scav ] || grep -q '^Scavenger: ' "$tmp/text"; }; then
			ok "$tag $mode: text summary"
		else
			bad "$tag $mode: text summary" "$tmp/err"
		fi
	done
	# Garbage: cut runtime lines, binary, a 100 KB line, no final newline.
	log=$tmp/$tag.plain.log
	[ -f "$log.json" ] || continue
	g=$tmp/$tag.garbage.log
	{
		cat "$log"
		printf 'gc 999 @1.0s 3%%: 0.1+0.2+\n'
		printf 'SCHED 5ms: gomaxprocs=2 idleprocs=\n'
		printf '\001\002\377\376 not text\n'
		head -c 100000 /dev/zero | tr '\0' 'x'
		printf '\nscav 12 KiB work, 1'
	} >"$g"
	if timeout 60 "$hearth" godebug -json "$g" >"$g.json" 2>"$tmp/err" &&
		python3 - "$log.json" "$g.json" >"$tmp/err" 2>&1 <<'PY'; then
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
la, lb = a['lines'], b['lines']
want = {'gc': la['gc'], 'sched': la['sched'], 'malformed': la['malformed'] + 3,
        'too_long': la['too_long'] + 1, 'other': la['other'] + 1, 'total': la['total'] + 5}
got = {k: lb[k] for k in want}
assert got == want, f'want {want}, got {got}'
assert a['summary']['stw'] == b['summary']['stw'], 'the pauses changed'
PY
		ok "$tag: garbage lines counted, not fatal"
	else
		bad "$tag: garbage lines" "$tmp/err"
	fi
	d=$tmp/$tag.detail.log
	if timeout 60 "$hearth" godebug -o "$tmp/$tag.svg" "$log" "$d" >/dev/null 2>"$tmp/err" &&
		timeout 60 "$hearth" godebug -o "$tmp/$tag.html" "$log" "$d" >/dev/null 2>>"$tmp/err" &&
		python3 "$check" --charts "$tmp/$tag.svg" "$tmp/$tag.html" 2>>"$tmp/err"; then
		ok "$tag: charts (SVG, HTML)"
	else
		bad "$tag: charts" "$tmp/err"
	fi
done
[ -n "$gos" ] || echo "godebug: no Go toolchain; the subject's logs were not made"

for f in ../shared/corpus/searchsvc.godebug.log ../shared/corpus/leaky.gctrace.log; do
	[ -f "$f" ] || continue
	if "$hearth" godebug -json "$f" >"$tmp/c.json" 2>"$tmp/err" &&
		python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["lines"]; sys.exit(l["malformed"] or not l["gc"])' "$tmp/c.json"; then
		ok "corpus ${f##*/}"
	else
		bad "corpus ${f##*/}" "$tmp/err"
	fi
done

# The runtime prints a SCHED line in pieces, and the scavenger's line can
# land between two of them (seen in a newest-Go log).  A SCHED line and a
# scav line of the real log, the scav line put at every position of the
# SCHED line: each log reads as the two lines one after the other (the
# same SCHED figures, one scav line); the checker's reading of each log
# too.
log=$tmp/newest.scav.log
if [ -f "$log" ]; then
	if python3 - "$hearth" "$log" tests/cli/godebug_check.py >"$tmp/err" 2>&1 <<'PY'; then
import json, re, subprocess, sys
hearth, log, check = sys.argv[1:4]
ns = {}
exec(open(check).read().split("\nif sys.argv[1] == ")[0], ns)
lines = open(log, encoding='utf-8', errors='replace').read().split('\n')
# One with a Ps' run queue that is not empty, if the log has one.
# (Whole lines: the log's own may have been cut.)
scheds = [ln for ln in lines if ns['SCHED_WHOLE'].match(ln)]
sched = next((ln for ln in scheds if re.search(r'\[[\d ]*[1-9]', ln.split('schedticks')[0])), scheds[0])
scav = next(ln for ln in lines if (m := ns['SCAV'].match(ln)) and m.end() == len(ln))
path = log + '.splice'


def read(text):
    open(path, 'w').write(text)
    out = subprocess.run([hearth, 'godebug', '-json', path], capture_output=True, text=True, check=True)
    js = json.loads(out.stdout)
    figures = [{k: v for k, v in e.items() if k != 'line'} for e in js['sched']]
    mine = [ns['runq_sum'](m) for ln in ns['unsplice'](text.rstrip('\n').split('\n'))
            if (m := ns['SCHED'].search(ln))]
    return figures, js['lines']['scavenger'], js['lines']['malformed'], mine


want = read(sched + '\n' + scav + '\n')
bad = []
start = sched.index(':') + 2
for k in range(start, len(sched) + 1):
    got = read(sched[:k] + scav + '\n' + sched[k:] + '\n')
    if got != want:
        bad.append(f'cut at {k} ({sched[max(0, k - 8):k]!r}|{sched[k:k + 8]!r}): {got} != {want}')
print(f'{len(sched) + 1 - start} cuts')
if bad:
    print('\n'.join(bad[:5]))
    sys.exit(1)
PY
		ok "a scav line inside a SCHED line, at each of its $(cat "$tmp/err")"
	else
		bad "a scav line inside a SCHED line" "$tmp/err"
	fi
fi

# Usage errors: exit status 2; a missing file: 1.
"$hearth" godebug >/dev/null 2>&1
[ $? -eq 2 ] && ok "no log: usage" || bad "no log: usage"
"$hearth" godebug -o x.png "$tmp/none" >/dev/null 2>&1
[ $? -eq 2 ] && ok "-o x.png: usage" || bad "-o x.png: usage"
"$hearth" godebug "$tmp/none" >/dev/null 2>&1
[ $? -eq 1 ] && ok "missing log: 1" || bad "missing log: 1"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
