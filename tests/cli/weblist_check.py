#!/usr/bin/env python3
"""hearth web's source-view breakdown against hearth weblist's page.

    weblist_check.py PAGE.html UI.json

PAGE.html is `hearth weblist RE ...`; UI.json maps each source line the page
of hearth web showed a breakdown for (clicked in Chromium) to its rows as
shown.  For every line the page gives rows, the UI's rows must be the same:
the inlined calls (call site's source text, file:line), the instructions
(flat, cum, address, text with blanks collapsed, file:line) and the gaps.
Prints a line per difference and exits 1 on any.
"""
import html
import json
import re
import sys

TAG = re.compile(r"<[^>]*>")


def page_rows(path):
    """{line: [row, ...]} of the page's asm blocks (all functions)."""
    out = {}
    cur = None
    for raw in open(path, encoding="utf-8"):
        raw = raw.rstrip("\n")
        m = re.match(r"<span class=line>\s*(\d+)</span> <span class=(livesrc|deadsrc|nop)>", raw)
        if m:
            cur = None
            i = raw.find("<span class=asm>")
            if i >= 0:
                cur = out.setdefault(int(m.group(1)), [])
                rest = raw[i + len("<span class=asm>"):]
                if rest.strip():
                    cur.append(row(rest))
            continue
        if cur is None:
            continue
        if raw.startswith("</span>"):
            cur = None
            continue
        cur.append(row(raw))
    return out


def row(raw):
    if "class=inlinesrc" in raw:
        m = re.search(r"<span class=inlinesrc>(.*?)</span> <span class=unimportant>(.*?)</span>", raw)
        return ["call", html.unescape(m.group(1)).strip(), html.unescape(m.group(2))]
    t = html.unescape(TAG.sub("", raw))
    if t.strip() == "\u22ee":
        return ["gap"]
    m = re.match(r"^\s*(\S+)\s+(\S+)\s+([0-9a-f]+): (.*?)\s*(\S+:\d+)?\s*$", t)
    # the file name is escaped twice on the page (pprof's habit)
    where = html.unescape(m.group(5) or "")
    return ["inst", m.group(1), m.group(2), m.group(3), " ".join(m.group(4).split()), where]


def ui_row(kind, text):
    if kind == "gap":
        return ["gap"]
    if kind == "call":
        m = re.match(r"^\s*(.*?\S)?\s\s(\S+:\d+)$", text)
        return ["call", (m.group(1) or "").strip(), m.group(2)]
    m = re.match(r"^\s*(\S+)\s+(\S+)\s+([0-9a-f]+): (.*?)(?:\s\s(\S+:\d+))?$", text)
    return ["inst", m.group(1), m.group(2), m.group(3), " ".join(m.group(4).split()), m.group(5) or ""]


want = page_rows(sys.argv[1])
got = json.load(open(sys.argv[2]))
bad = 0
compared = insts = calls = 0
for ln, rows in sorted(want.items()):
    if not rows:
        continue
    if str(ln) not in got:
        print("line %d: the page has rows, the UI showed none" % ln)
        bad += 1
        continue
    g = [ui_row(k, t) for k, t in got[str(ln)]]
    if g != rows:
        print("line %d:\n  page %s\n  ui   %s" % (ln, rows, g))
        bad += 1
    compared += 1
    insts += sum(1 for r in rows if r[0] == "inst")
    calls += sum(1 for r in rows if r[0] == "call")
for ln in sorted(got, key=int):
    if not want.get(int(ln)):
        print("line %s: the UI shows rows the page does not have: %s" % (ln, got[ln]))
        bad += 1
if compared == 0 or insts == 0:
    print("nothing compared (lines %d, instructions %d)" % (compared, insts))
    bad += 1
print("%d lines, %d instructions, %d inlined calls compared" % (compared, insts, calls))
sys.exit(1 if bad else 0)
