#!/usr/bin/env python3
"""A profile as another build of the program would write it: every
function's name gets the suffix "@KEY" (new functions, so new locations in
a store's dictionary), everything else as it was.  profile.proto's field
numbers, parsed and written here.

    rebuild_profile.py IN OUT KEY      (or as a module: rebuilt(data, key))
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


def read_varint(b, i):
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def fields(b):
    """(number, wire type, value or payload, raw bytes of the field)."""
    i = 0
    while i < len(b):
        start = i
        tag, i = read_varint(b, i)
        num, wt = tag >> 3, tag & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 2:
            n, i = read_varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v, b[start:i]


def rebuilt(data, key):
    raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    strings = [v for num, wt, v, _ in fields(raw) if num == 6 and wt == 2]
    out, extra = bytearray(), []
    for num, wt, v, whole in fields(raw):
        if num != 5 or wt != 2:
            out += whole
            continue
        fn = bytearray()
        for fnum, fwt, fv, fwhole in fields(v):
            if fnum == 2 and fwt == 0:
                extra.append(strings[fv] + b"@" + str(key).encode())
                fn += varint(2 << 3) + varint(len(strings) + len(extra) - 1)
            else:
                fn += fwhole
        out += varint(5 << 3 | 2) + varint(len(fn)) + fn
    for s in extra:
        out += varint(6 << 3 | 2) + varint(len(s)) + s
    return gzip.compress(bytes(out), 1)


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as f:
        d = rebuilt(f.read(), sys.argv[3])
    with open(sys.argv[2], "wb") as f:
        f.write(d)
