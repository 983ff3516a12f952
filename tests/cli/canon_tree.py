#!/usr/bin/env python3
"""Canonical form of a -call_tree report (dot or callgrind), for comparing
hearth's output with pprof's.

With -call_tree a function has one node per calling context, and contexts
often tie on every key pprof sorts by (same name, same weights): pprof then
orders them as its map iteration happens to (its output changes from run to
run), which moves node numbers in dot and the [i/n] suffixes, the name
numbers and the relative positions of callgrind.  This prints what does not
depend on that order, sorted:

  dot        every line with node numbers replaced by their node's label
  callgrind  every cost line and call, with names expanded, [i/n] suffixes
             dropped and positions made absolute

Usage: canon_tree.py dot|callgrind FILE
"""
import re
import sys


def canon_dot(text):
    labels = {}
    for line in text.splitlines():
        m = re.match(r'^(N\d+) \[label="(.*?)" id=', line)
        if m:
            labels[m.group(1)] = m.group(2)
    out = []
    for line in text.splitlines():
        line = re.sub(r'id="node\d+"', 'id="node"', line)
        line = re.sub(r'\bN(\d+)(_\d+)?\b',
                      lambda m: "<%s>%s" % (labels.get("N" + m.group(1), "?"), m.group(2) or ""),
                      line)
        line = re.sub(r'\bNN(\d+)', lambda m: "N<%s>" % labels.get("N" + m.group(1), "?"), line)
        out.append(line)
    return sorted(out)


def canon_callgrind(text):
    names = {"ob": {}, "fl": {}, "fn": {}}
    kinds = {"ob": "ob", "fl": "fl", "fn": "fn", "cfl": "fl", "cfn": "fn"}
    cur = {}
    prev_addr = None
    out = []
    node = None

    def expand(kind, v):
        m = re.match(r'^\((\d+)\)(?: (.*))?$', v)
        if not m:
            return v
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
            return m.group(2)
        return names[kind].get(m.group(1), "?")

    def pos(tok, prev):
        if tok == "*":
            return prev
        if tok[0] in "+-":
            return prev + int(tok)
        return int(tok, 16)

    pending = None
    for line in text.splitlines():
        m = re.match(r'^(ob|fl|fn|cfl|cfn)=(.*)$', line)
        if m:
            v = re.sub(r' \[\d+/\d+\]$', '', expand(kinds[m.group(1)], m.group(2)))
            cur[m.group(1)] = v
            continue
        m = re.match(r'^calls=0 (\S+) (\d+)$', line)
        if m:
            pending = (cur.get("cfl"), cur.get("cfn"), pos(m.group(1), prev_addr), m.group(2))
            continue
        m = re.match(r'^(\S+) (\S+) (-?\d+)$', line)
        if m and pending is None:
            # Positions (of the node and of its callees) are relative to
            # the previous node's.
            if node is not None:
                prev_addr = node[3]
            a = pos(m.group(1), prev_addr)
            node = (cur.get("ob"), cur.get("fl"), cur.get("fn"), a, m.group(2), m.group(3))
            out.append("node %s" % (node,))
            continue
        if m and pending is not None:
            out.append("call %s -> %s %s" % (node, pending, m.group(3)))
            pending = None
            continue
        if line.strip():
            out.append(line)
    return sorted(out)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    text = open(path, encoding="utf-8", errors="surrogateescape").read()
    lines = canon_dot(text) if kind == "dot" else canon_callgrind(text)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
