#!/usr/bin/env python3
"""Checks behind tests/cli/flame.sh.  Each subcommand exits 0 when the check
passes, else prints why (one line) and exits 1.

  svg FILE                 parses as XML, has frames
  html FILE                parses (html.parser), its embedded JSON parses
  json FILE                parses as JSON
  numbers JSON TOP         flame JSON (-resolution=0) against `top -nodefraction=0
                           -unit=<base unit>`: root = total, self per name = flat
  colors SVG               a diff flame graph has red and green frames
  hostile-pb FILE          writes a profile.proto whose names hold quotes,
                           markup, control characters and bytes that are not UTF-8
"""
import gzip
import html.parser
import json
import re
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def fail(msg):
    print(msg)
    sys.exit(1)


def check_svg(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fail(f"{path}: not well-formed XML: {e}")
    frames = root.findall(f".//{SVG}g[@id='frames']/{SVG}g")
    if not frames:
        fail(f"{path}: no frames")
    for g in frames:
        if g.find(f"{SVG}title") is None or g.find(f"{SVG}rect") is None:
            fail(f"{path}: a frame without title or rect")


class Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.data, self.tags = [], {}, 0

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] == "script":
            a = self.stack[-1][1]
            if a.get("type") == "application/json":
                self.data[a.get("id")] = self.data.get(a.get("id"), "") + data


def check_html(path):
    text = open(path, encoding="utf-8").read()
    p = Collect()
    p.feed(text)
    p.close()
    if "flame-data" not in p.data:
        fail(f"{path}: no <script type=application/json id=flame-data>")
    try:
        d = json.loads(p.data["flame-data"])
    except ValueError as e:
        fail(f"{path}: embedded JSON does not parse: {e}")
    if len(d["frames"]["name"]) == 0:
        fail(f"{path}: no frames")
    # Exactly one JSON script and one renderer: a name cannot have closed
    # the element early.
    if text.count("</script>") != 2:
        fail(f"{path}: {text.count('</script>')} </script> tags, want 2")


def check_json(path):
    try:
        json.load(open(path, encoding="utf-8"))
    except ValueError as e:
        fail(f"{path}: not JSON: {e}")


def parse_top(path):
    total, flat = None, {}
    rows = False
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        m = re.search(r" of (-?\d+)\D* total$", line)
        if m:
            total = int(m.group(1))
        if re.match(r"^\s+flat\s+flat%", line):
            rows = True
            continue
        if not rows:
            continue
        parts = line.split(None, 5)
        name = re.sub(r" \((partial-)?inline\)$", "", parts[5])
        v = int(re.match(r"-?\d+", parts[0]).group(0))
        flat[name] = flat.get(name, 0) + v
    return total, flat


def check_numbers(jpath, tpath):
    d = json.load(open(jpath, encoding="utf-8"))
    total, flat = parse_top(tpath)
    fr = d["frames"]
    if fr["value"][0] != total:
        fail(f"root value {fr['value'][0]} != top total {total}")
    self_ = {}
    for i in range(1, len(fr["name"])):
        n = d["names"][fr["name"][i]]
        self_[n] = self_.get(n, 0) + fr["self"][i]
    for n in set(self_) | set(flat):
        a, b = self_.get(n, 0), flat.get(n, 0)
        if a != b:
            fail(f"{n}: summed self {a} != flat {b}")


def check_colors(path):
    root = ET.parse(path).getroot()
    red = green = 0
    for r in root.iter(f"{SVG}rect"):
        f = r.get("fill", "")
        if not re.fullmatch(r"#[0-9a-f]{6}", f):
            continue
        R, G, B = (int(f[i:i + 2], 16) for i in (1, 3, 5))
        red += R > G + 40
        green += G > R + 40
    if not red or not green:
        fail(f"{path}: {red} red and {green} green frames, want both")


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, payload):
    if isinstance(payload, int):
        return varint(num << 3) + varint(payload)
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def hostile_pb(path):
    names = [b"main.\"quoted\" 'name'", b"<script>alert(1)</script>&amp;",
             b"</script><!--<script>", b"bad\xff\xfe utf8 \xc3", b"ctl\x01\x7f\x1bchars",
             b"]]> cdata", b"semi;colon", b"pkg/\xe2\x80\x8bzw.sp\xef\xbf\xbe"]
    strings = [b"", b"samples", b"count"] + names
    p = field(1, field(1, 1) + field(2, 2))  # sample_type samples/count
    for i in range(len(names)):
        fid = i + 1
        p += field(5, field(1, fid) + field(2, 3 + i))  # function id, name
        p += field(4, field(1, fid) + field(4, field(1, fid)))  # location id, line
    # A chain through every name, and each name alone.
    chain = b"".join(varint(i + 1) for i in range(len(names)))
    p += field(2, field(1, chain) + field(2, varint(5)))
    for i in range(len(names)):
        p += field(2, field(1, varint(i + 1)) + field(2, varint(i + 1)))
    for s in strings:
        p += field(6, s)
    with gzip.open(path, "wb") as f:
        f.write(p)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"svg": check_svg, "html": check_html, "json": check_json, "numbers": check_numbers,
     "colors": check_colors, "hostile-pb": hostile_pb}[cmd](*args)


if __name__ == "__main__":
    main()
