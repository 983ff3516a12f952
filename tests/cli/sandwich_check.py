#!/usr/bin/env python3
"""The checks of tests/cli/sandwich.sh (see there).

    sandwich_check.py HEARTH [-v]

The reference is `hearth peek -nodefraction=0 -edgefraction=0` of each
function (one run per profile, its names joined in one anchored regexp).
Percentages are compared as peek prints them (its calls% column is the
share of the function's cum): the flame tree's values give the same
figure.  A function that calls itself, directly or through others, has no
tree whose first level equals peek's edges (peek counts an edge once per
sample, a tree counts a path): for those the root's value (the cum) is
compared and the names of the callees and callers are checked to be among
peek's.  Prints a FAIL line per mismatch and ends with "N passed, M
failed".
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

HEARTH = sys.argv[1]
VERBOSE = len(sys.argv) > 2 and sys.argv[2] == "-v"
CORPUS = "../shared/corpus"
PROFILES = ["searchsvc.cpu.pb.gz", "searchsvc.heap.pb.gz", "leaky.cpu.pb.gz", "leaky.heap.pb.gz"]
passed = failed = 0


def ok(name):
    global passed
    passed += 1
    if VERBOSE:
        print("ok   " + name)


def bad(name, detail=""):
    global failed
    failed += 1
    print("FAIL " + name)
    for line in str(detail).splitlines()[:12]:
        print("     " + line)


def hearth(*args):
    r = subprocess.run([HEARTH] + list(args), capture_output=True, timeout=300)
    if r.returncode:
        raise RuntimeError("hearth %s: %s" % (" ".join(args), r.stderr.decode()[:300]))
    return r.stdout.decode("utf-8", "replace")


ROW = re.compile(r"^\s*(\S+)\s+(\S+)%\s+(\S+)%\s+(\S+)\s+(\S+)%  (.*)$")


def top_cum(prof, n):
    out = hearth("top", "-cum", "-nodecount=%d" % n, prof)
    lines = out.split("\n")
    i = next(k for k, l in enumerate(lines) if re.match(r"^\s+flat\s+flat%", l))
    return [strip_inline(ROW.match(l).group(6)) for l in lines[i + 1:] if l.strip()]


def strip_inline(name):
    return re.sub(r" \((partial-)?inline\)$", "", name)


def every_function(prof):
    out = hearth("top", "-nodefraction=0", "-nodecount=0", prof)
    lines = out.split("\n")
    i = next(k for k, l in enumerate(lines) if re.match(r"^\s+flat\s+flat%", l))
    return [strip_inline(ROW.match(l).group(6)) for l in lines[i + 1:] if l.strip()]


EDGE = re.compile(r"^\s+(\S+)\s+(\S+)% \|   (.*)$")
CENTER = re.compile(r"^\s*(\S+)\s+(\S+)%\s+(\S+)%\s+(\S+)\s+(\S+)%\s+\| (.*)$")


def parse_peek(text):
    """{name: (cum%, {caller: calls%}, {callee: calls%})}"""
    out = {}
    blocks = re.split(r"(?m)^-+\+-+$", text)
    for b in blocks:
        callers, callees, center = {}, {}, None
        for line in b.split("\n"):
            m = CENTER.match(line)
            if m and center is None:
                center = (strip_inline(m.group(6)), float(m.group(5)))
                continue
            m = EDGE.match(line)
            if m:
                (callees if center else callers)[strip_inline(m.group(3))] = float(m.group(2))
        if center:
            out[center[0]] = (center[1], callers, callees)
    return out


def go_regexp_quote(s):
    # Go's regexp.QuoteMeta: the characters RE2 gives a meaning.
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", s)


def peek_all(prof, names):
    res = {}
    for i in range(0, len(names), 80):
        chunk = names[i:i + 80]
        rx = "^(?:%s)$" % "|".join(go_regexp_quote(n) for n in chunk)
        res.update(parse_peek(hearth("peek", "-nodefraction=0", "-edgefraction=0", rx, prof)))
    return res


class Web:
    def __init__(self, prof):
        self.p = subprocess.Popen([HEARTH, "web", "-no_browser", prof],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.p.stdout.readline().decode()
        m = re.match(r"Serving hearth web on (http://\S+?)/?\s*$", line)
        if not m:
            raise RuntimeError("no URL: %r" % line)
        self.url = m.group(1)

    def flame(self, **params):
        q = urllib.parse.urlencode(dict(params, resolution="0") if params else {})
        with urllib.request.urlopen(self.url + "/api/flame?" + q, timeout=120) as r:
            return json.load(r)

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=20)


def first_level(d):
    """The root function's value and its children's values, summed by name
    (inlined and not), and whether the function recurs below the root."""
    fr, names = d["frames"], d["names"]
    n = len(fr["name"])
    if n < 2:
        return None, {}, False
    rootname = fr["name"][1]
    kids, recurs = {}, False
    for i in range(2, n):
        if fr["depth"][i] == 2:
            nm = names[fr["name"][i]]
            kids[nm] = kids.get(nm, 0) + fr["value"][i]
        if fr["name"][i] == rootname:
            recurs = True
    # One root frame only: the function (depth 1).
    roots = [i for i in range(n) if fr["depth"][i] == 1]
    return (fr["value"][roots[0]] if len(roots) == 1 else None), kids, recurs


def pct(v, of):
    return 100.0 * v / of if of else 0.0


def close(a, b):
    # Both sides are figures peek would print: 2 decimals, Go's trimming.
    return abs(a - b) < 0.0051 + 1e-9


def check_profile(prof):
    path = prof if os.path.isabs(prof) else os.path.join(CORPUS, prof)
    if not os.path.exists(path):
        print("skip: %s is not here" % path)
        return
    names = every_function(path)
    pick = list(dict.fromkeys(
        top_cum(path, 50) +
        [n for n in names if "(" in n or re.search(r"\.func\d", n) or "[" in n]))
    peek = peek_all(path, pick)
    web = Web(path)
    kinds = {"methods": 0, "closures": 0, "generics": 0}
    try:
        total = web.flame()["total"]
        for name in pick:
            if name not in peek:
                bad("%s %s: hearth peek shows it" % (prof, name))
                continue
            cum_pct, callers, callees = peek[name]
            good = True
            for side, want in (("callees", callees), ("callers", callers)):
                d = web.flame(**{side: name})
                root, kids, recurs = first_level(d)
                if root is None:
                    bad("%s %s: %s tree rooted at it" % (prof, side, name), d["frames"])
                    good = False
                    continue
                if not close(pct(root, total), cum_pct):
                    bad("%s %s=%s: root %.2f%% of the total, peek's cum %.2f%%" %
                        (prof, side, name, pct(root, total), cum_pct))
                    good = False
                got = {k: pct(v, root) for k, v in kids.items()}
                if recurs:
                    # peek leaves out the edge of a function to itself.
                    if not set(got) - {name} <= set(want):
                        bad("%s %s=%s (recursive): names beyond peek's" % (prof, side, name),
                            sorted(set(got) - set(want) - {name}))
                        good = False
                    continue
                if set(got) != set(want) or any(not close(got[k], want[k]) for k in got):
                    diff = ["%s: tree %.2f%%, peek %s" % (k, got.get(k, -1), want.get(k))
                            for k in sorted(set(got) | set(want))
                            if k not in got or k not in want or not close(got[k], want[k])]
                    bad("%s %s=%s equals hearth peek" % (prof, side, name), "\n".join(diff))
                    good = False
            if good:
                ok("%s %s: callers and callees equal hearth peek" % (prof, name))
                kinds["methods"] += "(" in name
                kinds["closures"] += bool(re.search(r"\.func\d", name))
                kinds["generics"] += "[" in name
        # The root's identity is exact: a name that only looks alike (a
        # regexp prune_from would match) is no frame.
        st = None
        try:
            web.flame(callers="regexp.(*Regexp).backtrac")
        except urllib.error.HTTPError as e:
            st = e.code
        if st == 400:
            ok("%s: a name that is only a prefix is refused" % prof)
        else:
            bad("%s: a name that is only a prefix is refused" % prof, st)
    finally:
        web.stop()
    if VERBOSE:
        print("     %s: %d functions (%s)" % (prof, len(pick), kinds))


def generics():
    """Profiles of tests/cli/generics (generic instantiations, closures,
    methods), made with the newest Go; [] without Go."""
    go = shutil.which("go")
    if not go:
        print("skip: generics profiles (no go)")
        return []
    tmp = tempfile.mkdtemp(prefix="hearth-sandwich-")
    cpu, heap = os.path.join(tmp, "generics.cpu.pb.gz"), os.path.join(tmp, "generics.heap.pb.gz")
    r = subprocess.run([go, "run", ".", cpu, heap], cwd="tests/cli/generics",
                       capture_output=True, timeout=300,
                       env=dict(os.environ, GOFLAGS="-mod=mod", GOTOOLCHAIN="local"))
    if r.returncode:
        bad("generics: the Go program runs", r.stderr.decode()[:500])
        return []
    return [cpu, heap]


def main():
    extra = generics()
    for prof in PROFILES + extra:
        check_profile(prof)
    for prof in extra:
        os.unlink(prof)
    if extra:
        os.rmdir(os.path.dirname(extra[0]))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
