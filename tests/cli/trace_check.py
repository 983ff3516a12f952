#!/usr/bin/env python3
"""Checks for tests/cli/trace.sh.

  trace_check.py top WANT GOT          two `hearth top` outputs: equal, but
        for the last digit of the "accounting for" sums (go tool trace
        writes its samples in map order, and the float sum of a different
        order can differ in its last printed digit)
  trace_check.py traces WANT GOT       two `hearth traces` outputs: the same
        samples, in any order
  trace_check.py goroutines GOTOOL HEARTH_JSON PORT_FILE
        the goroutine groups of `go tool trace -http` (its /goroutines page
        and each group's /goroutine?name= page, fetched over HTTP) against
        `hearth trace -json`: count, execution, scheduler wait, syscall,
        network and sync block per start function, to the nanosecond
  trace_check.py mmu BASE HEARTH_JSON FLAGS OLD
        hearth's MMU (-json, run with -mmu=FLAGS) at each of its windows
        against go tool trace's for the same window and flags: the worst
        windows its /mmu page lists (mode=details; /mmuDetails in Go 1.19's
        tool, OLD=1), whose lowest utilization is the MMU
  trace_check.py chrome JSON HEARTH_JSON
        the Chrome trace-event JSON against the trace-event format, and its
        goroutine slices against the execution times
Exits 1 with the differences on stderr."""
import html
import json
import re
import sys
import time
import urllib.parse
import urllib.request

errors = []


def close(p, q):
    """Two printed figures within their last digit, or within a
    millionth: the +1 ns tie-breaks of events at one nanosecond add up over
    a sum of many intervals (a few tens of ns in a total of 0.46 s)."""
    a, b = float(p), float(q)
    return abs(a - b) <= max(0.011, 1e-6 * max(abs(a), abs(b)))


def top(want, got):
    a = open(want).read().splitlines()
    b = open(got).read().splitlines()
    if len(a) != len(b):
        errors.append(f'top: {len(a)} lines, hearth {len(b)}')
    for x, y in zip(a, b):
        if x == y:
            continue
        if x.startswith('Showing nodes accounting for') and \
                re.sub(r'\d(?=\D*\d*\.?\d*%? of)', '', x) == re.sub(r'\d(?=\D*\d*\.?\d*%? of)', '', y):
            continue
        num = r'\d+(?:\.\d+)?'
        nx = re.findall(num, x)
        ny = re.findall(num, y)
        # Events at the same nanosecond on two threads may be ordered
        # differently from internal/trace, which moves its +1 ns tie-break:
        # the same names, each figure within its last printed digit.
        if re.sub(num, '#', x) == re.sub(num, '#', y) and len(nx) == len(ny) and all(
                close(p, q) for p, q in zip(nx, ny)):
            continue
        errors.append(f'top: go tool trace: {x!r}\n     hearth:        {y!r}')


def blocks(path):
    text = open(path).read()
    parts = re.split(r'\n-+\+-+\n', text)
    head, samples = parts[0], parts[1:]
    return sorted(samples)


def near(a, b):
    # The same stacks, each value within its last printed digit (see top).
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if re.sub(r'[\d.]+', '#', x) != re.sub(r'[\d.]+', '#', y):
            return False
        nx, ny = re.findall(r'\d+\.\d+', x), re.findall(r'\d+\.\d+', y)
        if len(nx) != len(ny) or any(not close(p, q) for p, q in zip(nx, ny)):
            return False
    return True


def traces(want, got):
    a, b = blocks(want), blocks(got)
    if a != b and not near(a, b):
        sa, sb = set(a), set(b)
        errors.append(f'traces: {len(a)} samples, hearth {len(b)}; '
                      f'only go: {list(sa - sb)[:2]} only hearth: {list(sb - sa)[:2]}')


UNITS = {'ns': 1, 'µs': 1000, 'us': 1000, 'ms': 1000000, 's': 1000000000, 'm': 60000000000,
         'h': 3600000000000}


def duration(s):
    """A Go time.Duration's String() back to nanoseconds (exactly)."""
    s = s.strip()
    if s == '0s':
        return 0
    total = 0
    for num, unit in re.findall(r'([\d.]+)(ns|µs|us|ms|s|m|h)', s):
        if '.' in num:
            ip, fp = num.split('.')
        else:
            ip, fp = num, ''
        scale = UNITS[unit]
        total += int(ip) * scale
        if fp:
            total += int(fp) * scale // (10 ** len(fp))
    return total


# internal/trace makes equal timestamps unique by adding nanoseconds in the
# order it puts events in; hearth's order is the same but for events of two
# threads with one timestamp, so a sum may differ by a few nanoseconds.
TOL = 1000


def fetch(base, path):
    with urllib.request.urlopen(base + path, timeout=60) as r:
        return r.read().decode('utf-8')


def goroutines(base, hearth_json):
    hj = json.load(open(hearth_json))
    groups = {g['name']: g for g in hj['groups']}
    page = fetch(base, '/goroutines')
    rows = re.findall(r'<td><code><a href="/goroutine\?name=([^"]*)">.*?</a></code></td>\s*'
                      r'<td>(\d+)</td>\s*<td>([^<]*)</td>', page, re.S)
    if not rows:
        errors.append('goroutines: no rows on go tool trace\'s page')
    seen = set()
    for qname, count, exe in rows:
        name = html.unescape(urllib.parse.unquote(html.unescape(qname)))
        seen.add(name)
        g = groups.get(name)
        if not g:
            errors.append(f'goroutines: group {name!r} missing in hearth')
            continue
        if int(count) != g['count']:
            errors.append(f'{name}: count {count}, hearth {g["count"]}')
        if abs(duration(exe) - g['exec']) > TOL:
            errors.append(f'{name}: execution {exe} = {duration(exe)}ns, hearth {g["exec"]}')
        # The group's page: per goroutine, the non-overlapping times.
        gp = fetch(base, '/goroutine?name=' + urllib.parse.quote(name))
        i = gp.find('<table class="details">')
        if i < 0:
            errors.append(f'{name}: no details table')
            continue
        t = gp[i:]
        t = t[:t.find('</table>')]
        heads = [h.strip() for h in re.findall(r'<th[^>]*>\s*([^<]*?)\s*</th>', t)]
        sums = {}
        for r in re.findall(r'<tr>(.*?)</tr>', t, re.S)[1:]:
            cells = [re.sub(r'<[^>]*>', '', c).strip() for c in re.findall(r'<td[^>]*>(.*?)</td>', r, re.S)]
            if len(cells) != len(heads):
                continue
            for h, c in zip(heads, cells):
                if h in ('Goroutine', 'Total', ''):
                    continue
                sums[h] = sums.get(h, 0) + duration(c)
        want = {'exec': 0, 'sched_wait': 0, 'syscall': 0, 'syscall_block': 0, 'net_wait': 0,
                'sync_block': 0, 'other_block': 0}
        for h, v in sums.items():
            if h == 'Execution time':
                want['exec'] += v
            elif h == 'Sched wait time':
                want['sched_wait'] += v
            elif h == 'Syscall execution time':
                want['syscall'] += v
            elif h == 'Block time (syscall)':
                want['syscall_block'] += v
            elif h.startswith('Block time ('):
                reason = h[len('Block time ('):-1]
                if reason == 'network':
                    want['net_wait'] += v
                elif 'chan' in reason or 'sync' in reason or 'select' in reason:
                    want['sync_block'] += v
                else:
                    want['other_block'] += v
        for k, v in want.items():
            if abs(v - g[k]) > TOL:
                errors.append(f'{name}: {k} {v}ns (go tool trace), hearth {g[k]}ns')
    for name in groups:
        if name not in seen:
            errors.append(f'goroutines: hearth has group {name!r}, go tool trace not')


# The MMU is a mean over a window of a step function whose steps are at
# event times; hearth and go tool trace add the same steps up in the same
# order, so the two agree but for the rounding of those float sums (1e-9).
# Events of two threads at one nanosecond come in internal/trace's order
# too (hearth keeps its frontier heap, sifted as it sifts), so each takes
# the same +1 ns tie-break: no nanoseconds of the window are allowed.
MMU_TOL = 1e-9


def mmu(base, hearth_json, flags, old):
    hj = json.load(open(hearth_json))
    if not hj['mmu']:
        # No curve: go tool trace has none either (a trace whose only
        # GOMAXPROCS event the newest reader drops: its handler fails).
        try:
            got = json.loads(fetch(base, f'/mmu?mode=details&window=100000&flags={flags}'
                                   if old != '1' else
                                   f'/mmuDetails?window=100000&flags={flags}'))
        except Exception:
            got = None
        if got:
            errors.append(f'mmu {flags}: hearth has no curve, go tool trace {got[:1]}')
    for w in hj['mmu']:
        win = w['window']
        q = urllib.parse.quote(flags, safe='')
        path = (f'/mmuDetails?window={win}&flags={q}' if old == '1' else
                f'/mmu?mode=details&window={win}&flags={q}')
        worst = json.loads(fetch(base, path)) or []
        if not worst:
            errors.append(f'mmu {flags} {win}ns: go tool trace lists no window')
            continue
        want = min(x['MutatorUtil'] for x in worst)
        if abs(want - w['mmu']) > MMU_TOL:
            errors.append(f'mmu {flags} {win}ns: go tool trace {want!r}, hearth {w["mmu"]!r}')


def chrome(path, hearth_json):
    d = json.load(open(path))
    hj = json.load(open(hearth_json))
    if not isinstance(d, dict) or not isinstance(d.get('traceEvents'), list):
        errors.append('chrome: no traceEvents array')
        return
    phases = set('BEXIiCbneMPOND(s)tfR')
    run = {}
    for i, e in enumerate(d['traceEvents']):
        where = f'chrome event {i}'
        if not isinstance(e, dict):
            errors.append(f'{where}: not an object')
            continue
        for k in ('name', 'ph', 'pid', 'tid'):
            if k not in e:
                errors.append(f'{where}: no {k}')
        if e.get('ph') not in phases:
            errors.append(f'{where}: phase {e.get("ph")!r}')
        if not isinstance(e.get('pid'), int) or not isinstance(e.get('tid'), int):
            errors.append(f'{where}: pid/tid not integers')
        if e.get('ph') == 'M':
            if not isinstance(e.get('args', {}).get('name'), str):
                errors.append(f'{where}: metadata without args.name')
            continue
        if not isinstance(e.get('ts'), (int, float)) or e['ts'] < 0:
            errors.append(f'{where}: ts {e.get("ts")!r}')
        if e.get('ph') == 'X':
            if not isinstance(e.get('dur'), (int, float)) or e['dur'] < 0:
                errors.append(f'{where}: dur {e.get("dur")!r}')
            if e.get('cat') == 'goroutine':
                run[e['name']] = run.get(e['name'], 0) + e['dur']
        if len(errors) > 20:
            return
    # The goroutines' slices add up to their execution time (microseconds
    # with three decimals each; a slice's name is the goroutine's once it
    # is known, so the sum is over all of them).
    got = sum(run.values()) * 1000
    want = sum(g['exec'] for g in hj['groups'])
    nslices = sum(1 for e in d['traceEvents'] if e.get('cat') == 'goroutine')
    if abs(got - want) > 1 + nslices:
        errors.append(f'chrome: goroutine slices {got:.0f}ns, execution {want}ns')


cmd = sys.argv[1]
if cmd == 'top':
    top(sys.argv[2], sys.argv[3])
elif cmd == 'traces':
    traces(sys.argv[2], sys.argv[3])
elif cmd == 'goroutines':
    goroutines(sys.argv[2], sys.argv[3])
elif cmd == 'mmu':
    mmu(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
elif cmd == 'chrome':
    chrome(sys.argv[2], sys.argv[3])
if errors:
    print('\n'.join(errors[:30]), file=sys.stderr)
    sys.exit(1)
