#!/usr/bin/env python3
"""Checks of hearth's drawn call graphs, for tests/cli/graph.sh.

  graph_check.py svg FILE.svg FILE.dot [TEXT...]
      FILE.svg parses as XML, is pannable (root fills the window, a script, a
      viewport group) and draws every node of FILE.dot (its title and every
      line of its label) and every TEXT given.
  graph_check.py png FILE.png MIN_SHARE
      a PNG of sane dimensions whose pixels are not blank: at least MIN_SHARE
      of them are not white (and not all of them are).
  graph_check.py nodes FILE.svg
      prints the number of call graph nodes drawn (titles N1, N2, ...).
  graph_check.py same-graph A.svg B.svg
      the <g id="graph0"> elements of the two drawings are the same.

Exits 1 with one line on stderr when a check fails.  Only the standard
library: PNGs are decoded here (zlib and the five scanline filters).
"""
import html
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

SVG = "{http://www.w3.org/2000/svg}"


def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)


def dot_unquote(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append(s[i + 1] if s[i + 1] in '"\\' else s[i : i + 2])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def dot_nodes(path):
    """(id, label lines) of the call graph nodes of a pprof-style DOT file."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    nodes = []
    for m in re.finditer(r'^(N\d+) \[label="((?:[^"\\]|\\.)*)"', text, re.M):
        # dot decodes entities in labels ("&lt;" draws "<").
        label = html.unescape(dot_unquote(m.group(2)))
        lines = [l for l in re.split(r"\\[nlr]", label) if l.strip()]
        nodes.append((m.group(1), lines))
    return nodes


def svg_texts(root):
    return [t.text or "" for t in root.iter(SVG + "text")]


def check_svg(path, dot, extra):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fail("%s: not XML: %s" % (path, e))
    if root.tag != SVG + "svg":
        fail("%s: root element is %s" % (path, root.tag))
    if root.get("width") != "100%" or root.get("height") != "100%" or root.get("viewBox"):
        fail("%s: the root does not fill the window" % path)
    if root.find(SVG + "script") is None:
        fail("%s: no pan/zoom script" % path)
    vp = root.find(SVG + "g")
    if vp is None or vp.get("id") != "viewport":
        fail("%s: no viewport group" % path)
    titles = {t.text for t in root.iter(SVG + "title")}
    texts = svg_texts(root)
    # Graphviz draws U+FFFD where hearth replaced bytes that are not UTF-8;
    # the DOT file has those bytes, decoded with "replace" the same way.
    joined = "\n".join(texts)
    nodes = dot_nodes(dot)
    if not nodes:
        fail("%s: no nodes in the DOT text" % dot)
    for nid, lines in nodes:
        if nid not in titles:
            fail("%s: node %s missing" % (path, nid))
        for line in lines:
            if line.strip() not in joined:
                fail("%s: node %s: text %r missing" % (path, nid, line))
    for t in extra:
        if t not in joined:
            fail("%s: text %r missing" % (path, t))


def png_pixels(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s: no PNG signature" % path)
    pos, idat, ihdr = 8, [], None
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    if ihdr is None:
        fail("%s: no IHDR" % path)
    w, h, depth, ctype, _, _, interlace = ihdr
    if not (10 <= w <= 30000 and 10 <= h <= 30000):
        fail("%s: %dx%d is not a sane size" % (path, w, h))
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        fail("%s: unexpected PNG format (depth %d, color type %d)" % (path, depth, ctype))
    raw = zlib.decompress(b"".join(idat))
    stride = w * channels
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        ftype, cur = line[0], bytearray(line[1:])
        for i in range(stride):
            a = cur[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                cur[i] = (cur[i] + a) & 255
            elif ftype == 2:
                cur[i] = (cur[i] + b) & 255
            elif ftype == 3:
                cur[i] = (cur[i] + ((a + b) >> 1)) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[i] = (cur[i] + pr) & 255
        rows.append(bytes(cur))
        prev = cur
    return w, h, channels, rows


def check_png(path, min_share):
    w, h, channels, rows = png_pixels(path)
    color = min(channels, 3)
    nonwhite = 0
    for row in rows:
        for x in range(0, len(row), channels):
            px = row[x : x + color]
            if channels in (2, 4) and row[x + channels - 1] == 0:
                continue  # transparent
            if min(px) < 240:
                nonwhite += 1
    share = nonwhite / float(w * h)
    if share < min_share:
        fail("%s: %dx%d, only %.2f%% of the pixels are not white" % (path, w, h, 100 * share))
    if share > 0.9:
        fail("%s: %.2f%% of the pixels are dark" % (path, 100 * share))
    print("%s: %dx%d, %.1f%% not white" % (path, w, h, 100 * share))


def graph_group(path):
    root = ET.parse(path).getroot()
    for g in root.iter(SVG + "g"):
        if (g.get("id") or "").startswith("graph"):
            return ET.tostring(g)
    fail("%s: no graph group" % path)


def main(argv):
    if len(argv) >= 3 and argv[0] == "svg":
        check_svg(argv[1], argv[2], argv[3:])
    elif len(argv) == 3 and argv[0] == "png":
        check_png(argv[1], float(argv[2]))
    elif len(argv) == 2 and argv[0] == "nodes":
        root = ET.parse(argv[1]).getroot()
        print(sum(1 for t in root.iter(SVG + "title") if re.fullmatch(r"N\d+", t.text or "")))
    elif len(argv) == 3 and argv[0] == "same-graph":
        if graph_group(argv[1]) != graph_group(argv[2]):
            fail("%s and %s draw different graphs" % (argv[1], argv[2]))
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
