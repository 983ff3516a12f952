#!/usr/bin/env python3
"""Checks `hearth godebug -json` against an independent reading of the same
log (regular expressions written from the runtime's print statements) and
against the figures the Go program printed itself (runtime.MemStats).

  godebug_check.py LOG JSON SUBJECT_LINE [--parked N]
  godebug_check.py --charts SVG HTML

Exits 1 with the differences on stderr."""
import json
import math
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

NUM = r'(\d+(?:\.\d+)?)'
GC = re.compile(r'(?<![A-Za-z0-9])gc (\d+) @' + NUM + r's (\d+)%(?: \([^)]*\))?: ' +
                NUM + r'\+' + NUM + r'\+' + NUM + r' ms clock, ' +
                NUM + r'\+' + NUM + '/' + NUM + '/' + NUM + r'\+' + NUM + r' ms cpu, ' +
                r'(\d+)->(\d+)->(\d+) MB, (\d+) MB goal, (?:(\d+) MB stacks, (\d+) ?MB globals, )?(\d+) P( \(forced\))?')
SCHED = re.compile(r'SCHED (\d+)ms: (.*)$')
# A SCHED line as the runtime ends it: the Ps' run queues (Go 1.19 "[0 0]",
# later "[ 0 0 ] schedticks=[ 5 6 ]"), or with scheddetail the waits.  A
# line that SCHED matches but this does not was cut by another runtime line
# (a scav line in the middle of its run queues) and is joined again below.
SCHED_WHOLE = re.compile(r'SCHED \d+ms: .*runqueue=\d+(?: \[[\d ]*\](?: schedticks=\[[\d ]*\])?'
                         r'| .*gcwaiting=.* sysmonwait=(?:true|false|\d+))$')
GLINE = re.compile(r'^\s+G\d+: status=(\d+)\(')
PLINE = re.compile(r'^\s+P\d+: status=\d+ .* runqsize=(\d+) ')
SCAV = re.compile(r'scav (\d+) KiB work(?: \(bg\), (\d+) KiB work \(eager\))?, (\d+) KiB (?:total|now), (\d+)% util')

errors = []


def check(what, want, got):
    if isinstance(want, float) or isinstance(got, float):
        if not math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-9):
            errors.append(f'{what}: want {want}, hearth {got}')
    elif want != got:
        errors.append(f'{what}: want {want}, hearth {got}')


def nearest_rank(vals, p):
    v = sorted(vals)
    k = max(1, math.ceil(p / 100 * len(v)))
    return v[k - 1]


def dist(what, vals, d):
    check(what + '.n', len(vals), d['n'])
    if vals:
        check(what + '.p50', nearest_rank(vals, 50), d['p50'])
        check(what + '.p99', nearest_rank(vals, 99), d['p99'])
        check(what + '.max', max(vals), d['max'])


PMG = re.compile(r'^ +[PMG]\d')
MLINE = re.compile(r'^\s+M\d+: p=')


def pmg_whole(ln):
    return GLINE.match(ln) or PLINE.match(ln) or MLINE.match(ln)


HEAD = re.compile(r'(?:gc |SCHED |scav )\d{0,21}')
ANCHOR = re.compile(r'(?<![A-Za-z0-9])(gc \d+ @|SCHED \d+ms:|scav \d)')


def runq_sum(m):
    """The Ps' run queues of a SCHED match, summed (0 with scheddetail,
    where the P lines give them)."""
    q = re.search(r'\[\s*([\d ]*?)\s*\]', m.group(2).split('schedticks')[0])
    return sum(int(x) for x in q.group(1).split()) if q else 0


def whole(ln):
    return GC.search(ln) or SCHED_WHOLE.search(ln) or SCAV.search(ln)


def unsplice(lines):
    """The runtime writes a line in pieces; a line the program writes in one
    piece may land between two of them.  A runtime line that does not match
    is joined with the rest found on one of the next four lines, cut at the
    longest prefix that makes a match.  The program's line stays where it
    was."""
    out = list(lines)
    for i, ln in enumerate(out):
        a = ANCHOR.search(ln)
        if not a and not whole(ln):
            # Only the runtime's first write or two began the line ("gc ",
            # "gc 38"), the program's line came right after them.
            h = HEAD.match(ln)
            if h:
                for j in range(i + 1, min(i + 5, len(out))):
                    if ANCHOR.search(out[j]) or GLINE.match(out[j]) or PLINE.match(out[j]):
                        break
                    if whole(h.group(0) + out[j]):
                        out[i] = h.group(0) + out[j]
                        out[j] = ln[h.end():]
                        break
            continue
        if not a and PMG.match(ln) and not pmg_whole(ln):
            # A P, M or G line cut by the program's line: its head, then
            # the rest on a later line.
            for j in range(i + 1, min(i + 5, len(out))):
                if ANCHOR.search(out[j]) or PMG.match(out[j]):
                    break
                hit = next((k for k in range(len(ln), PMG.match(ln).end() - 1, -1)
                            if pmg_whole(ln[:k] + out[j])), None)
                if hit:
                    out[i] = ln[:hit] + out[j]
                    out[j] = ln[hit:]
                    break
            continue
        if a and a.group(1).startswith('SCHED') and SCHED_WHOLE.search(ln):
            continue
        if a and a.group(1).startswith('SCHED'):
            # Cut by a whole runtime line (scav): the SCHED line's rest is
            # on a later line; the cut is where what follows it in this
            # line is that other line.
            for j in range(i + 1, min(i + 5, len(out))):
                if ANCHOR.search(out[j]):
                    break
                hit = next((k for k in range(a.end(), len(ln) + 1)
                            if SCHED_WHOLE.search(ln[:k] + out[j]) and
                            (k == len(ln) or ANCHOR.match(ln[k:]) and whole(ln[k:]))), None)
                if hit is not None:
                    out[i] = ln[:hit] + out[j]
                    out[j] = ln[hit:]
                    break
            continue
        if not a or whole(ln):
            continue
        for j in range(i + 1, min(i + 5, len(out))):
            if ANCHOR.search(out[j]):
                break
            hit = None
            for k in range(len(ln), a.start(), -1):
                m = whole(ln[:k] + out[j])
                if m and m.start() < k:
                    hit = k
                    break
            if hit:
                out[i] = ln[:hit] + out[j]
                out[j] = ln[hit:]
                break
    return out


def logs(path, js, subject, parked, mode):
    gcs, scheds, scavs = [], [], []
    cur = None
    with open(path, 'rb') as f:
        lines = f.read().decode('utf-8', 'replace').split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    nlines = len(lines)
    lines = unsplice(lines)
    for ln in lines:
        m = GLINE.match(ln)
        if m and cur is not None:
            st = int(m.group(1)) & ~0x1000
            if st not in (0, 6, 11):
                cur['g'] += 1
            continue
        m = PLINE.match(ln)
        if m and cur is not None:
            cur['runq'] += int(m.group(1))
            continue
        if MLINE.match(ln):
            continue
        m = GC.search(ln)
        if m:
            gcs.append(m)
            continue
        m = SCHED.search(ln)
        if m:
            kv = dict(re.findall(r'(\w+)=(-?\w+)', m.group(2)))
            cur = {'kv': kv, 'g': 0, 'runq': runq_sum(m), 'detailed': 'gcwaiting' in kv}
            scheds.append(cur)
            if not cur['detailed']:
                cur = None
            continue
        m = SCAV.search(ln)
        if m:
            scavs.append(m)
        # The program's lines (and the gc lines) may come in the middle of
        # a SCHED line's P, M and G lines: the block goes on past them.
    s = js['summary']
    check('gc lines', len(gcs), js['lines']['gc'])
    check('sched lines', len(scheds), js['lines']['sched'])
    check('scavenger lines', len(scavs), js['lines']['scavenger'])
    check('malformed lines of a real log', 0, js['lines']['malformed'])
    check('forced', sum(1 for m in gcs if m.group(19)), s['forced'])
    stw = []
    for m in gcs:
        stw += [float(m.group(4)), float(m.group(6))]
    dist('stw', stw, s['stw'])
    dist('stw_gc', [float(m.group(4)) + float(m.group(6)) for m in gcs], s['stw_gc'])
    dist('mark', [float(m.group(5)) for m in gcs], s['mark'])
    dist('live', [float(m.group(14)) for m in gcs], s['live'])
    dist('goal', [float(m.group(15)) for m in gcs], s['goal'])
    if len(gcs) > 1:
        check('rate', (len(gcs) - 1) / (float(gcs[-1].group(2)) - float(gcs[0].group(2))), s['rate'])
    if gcs:
        check('cpu_pct', int(gcs[-1].group(3)), s['cpu_pct'])
        check('live_last', int(gcs[-1].group(14)), s['live_last'])
        check('goal_last', int(gcs[-1].group(15)), s['goal_last'])
    dist('runqueue', [float(c['kv']['runqueue']) for c in scheds], s['runqueue'])
    dist('threads', [float(c['kv']['threads']) for c in scheds], s['threads'])
    dist('idleprocs', [float(c['kv']['idleprocs']) for c in scheds], s['idleprocs'])
    dist('local_runq', [float(c['runq']) for c in scheds], s['local_runq'])
    det = [c for c in scheds if c['detailed']]
    dist('goroutines', [float(c['g']) for c in det], s['goroutines'])
    # The program's own figures.
    sub = dict(re.findall(r'(\w+)=(\S+)', subject))
    if mode == 'scav':
        if not scavs:
            errors.append('scavtrace: no scav lines')
        check('no gc lines under scavtrace alone', 0, len(gcs))
        return
    # NumGC counts a cycle at mark termination, before the runtime writes its
    # gctrace line: a MemStats read at that moment (the program exits right
    # after) is one ahead of the log.  The log and hearth must agree exactly.
    check('gc lines = hearth gcs', len(gcs), s['gcs'])
    if not (len(gcs) <= int(sub['numgc']) <= len(gcs) + 1):
        errors.append(f'NumGC (runtime.MemStats) {sub["numgc"]}, gc lines {len(gcs)}')
    # Go 1.19 prints "(forced)" from work.userForced after the world
    # restarts, when the next cycle may have set it anew: a forced cycle's
    # line may lose the mark, and the line of the cycle just before a forced
    # one may gain it, so at most twice NumForcedGC lines carry it.  The
    # newest Go prints it on exactly the forced ones.
    if sub['version'].startswith('go1.19'):
        if not (1 <= s['forced'] <= 2 * int(sub['forced'])):
            errors.append(f'forced: hearth {s["forced"]}, NumForcedGC {sub["forced"]}')
    else:
        check('NumForcedGC = hearth forced', int(sub['forced']), s['forced'])
    check('GOMAXPROCS = P', int(sub['gomaxprocs']), s['procs'])
    if scheds:
        check('GOMAXPROCS = gomaxprocs', int(sub['gomaxprocs']), s['gomaxprocs'])
    if det and s['goroutines']['max'] < parked + 1:
        errors.append(f'goroutines: max {s["goroutines"]["max"]} < the {parked} parked + main')
    # Every line is counted once.
    l = js['lines']
    check('lines add up', nlines,
          l['gc'] + l['sched'] + l['p'] + l['m'] + l['g'] + l['scavenger'] + l['other'] +
          l['malformed'] + l['too_long'])
    worker = sum(1 for ln in lines if ln.startswith('worker: '))
    if l['other'] < worker:
        errors.append(f'program output: {l["other"]} < {worker} worker lines')


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = {}
        self.bad = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k in ('src', 'href') and v and not v.startswith('#'):
                self.bad.append(f'{tag} {k}={v}')


def charts(svg, html):
    root = ET.parse(svg).getroot()
    if not root.tag.endswith('svg'):
        errors.append('svg: root is ' + root.tag)
    lines = [e for e in root.iter() if e.tag.endswith('polyline') or e.tag.endswith('circle')]
    if not lines:
        errors.append('svg: no series drawn')
    p = Page()
    p.feed(open(html, encoding='utf-8').read())
    if not p.tags.get('svg') or not p.tags.get('pre'):
        errors.append(f'html: tags {p.tags}')
    if p.tags.get('script') or p.bad:
        errors.append(f'html: not self-contained: script {p.tags.get("script")} {p.bad}')


if sys.argv[1] == '--charts':
    charts(sys.argv[2], sys.argv[3])
else:
    parked = 0
    if '--parked' in sys.argv:
        parked = int(sys.argv[sys.argv.index('--parked') + 1])
    mode = sys.argv[sys.argv.index('--mode') + 1] if '--mode' in sys.argv else 'plain'
    logs(sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3], parked, mode)
if errors:
    print('\n'.join(errors[:30]), file=sys.stderr)
    sys.exit(1)
