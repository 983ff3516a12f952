#!/usr/bin/env python3
"""Writes hostile or large pprof profiles for the hardening tests and the
memory bench: protobuf encoded here from profile.proto's field numbers.

  mkprofile.py bignames OUT [N [BYTES]]  N functions named with BYTES bytes
                                          each (40 x 1 MB), one call chain
  mkprofile.py frames OUT [FRAMES]        FRAMES distinct frames (300000) in
                                          deep, branching stacks
"""
import gzip
import sys


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


def field(num, payload):  # length-delimited
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def vfield(num, n):
    return varint(num << 3) + varint(n)


def packed(num, vals):
    return field(num, b"".join(varint(v) for v in vals))


class Writer:
    def __init__(self):
        self.strings = [""]
        self.index = {"": 0}
        self.parts = []

    def s(self, text):
        if text not in self.index:
            self.index[text] = len(self.strings)
            self.strings.append(text)
        return self.index[text]

    def function(self, fid, name, file):
        self.parts.append(field(5, vfield(1, fid) + vfield(2, self.s(name)) +
                                vfield(3, self.s(name)) + vfield(4, self.s(file))))

    def location(self, lid, fid, line):
        self.parts.append(field(4, vfield(1, lid) + vfield(3, 0x1000 + lid) +
                                field(4, vfield(1, fid) + vfield(2, line))))

    def sample(self, locs, values):
        self.parts.append(field(2, packed(1, locs) + packed(2, values)))

    def write(self, path):
        head = field(1, vfield(1, self.s("samples")) + vfield(2, self.s("count")))
        head += field(1, vfield(1, self.s("cpu")) + vfield(2, self.s("nanoseconds")))
        tail = b"".join(field(6, t.encode()) for t in self.strings)
        tail += field(11, vfield(1, self.s("cpu")) + vfield(2, self.s("nanoseconds")))
        tail += vfield(12, 10000000)
        data = head + b"".join(self.parts) + tail
        # The string table must be complete before it is written.
        with gzip.open(path, "wb", compresslevel=6) as f:
            f.write(data)


def bignames(out, n=40, size=1 << 20):
    w = Writer()
    for i in range(1, n + 1):
        # Distinct, with dots (the graph splits labels on them) and a
        # recognisable head.
        name = ("pkg%d.F" % i) + ("x.y" * (size // 3 + 1))[: size - 8]
        w.function(i, name, "big%d.go" % i)
        w.location(i, i, i)
    # One chain through all, and each as a leaf of a shorter chain.
    for k in range(1, n + 1):
        w.sample(list(range(k, 0, -1)), [k, k * 10000000])
    w.write(out)


def frames(out, nframes=300000):
    w = Writer()
    for i in range(1, nframes + 1):
        w.function(i, "example.com/svc/pkg%d.(*T%d).Method%d" % (i % 97, i % 13, i),
                   "pkg%d/file%d.go" % (i % 97, i % 31))
        w.location(i, i, 10 + i % 500)
    # Stacks of depth 40 walking the frames, each a distinct path.
    depth = 40
    i = 1
    seed = 7
    while i <= nframes:
        stack = []
        for d in range(depth):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            stack.append(1 + (i + d) % nframes if d < depth - 8 else 1 + seed % 2000)
        w.sample(stack, [1 + seed % 5, (1 + seed % 5) * 10000000])
        i += depth - 8
    w.write(out)


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    args = [int(a) for a in sys.argv[3:]]
    {"bignames": bignames, "frames": frames}[kind](out, *args)
