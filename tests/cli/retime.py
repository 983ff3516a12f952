#!/usr/bin/env python3
"""Writes a copy of a profile.proto (gzipped or not) with another time.

    retime.py IN OUT UNIX_SECONDS

hearth serve files a pushed profile under its own time_nanos (field 9 of
Profile); the browser tests need real profiles spread over the last hour,
so they push copies of the corpus's profiles whose time is rewritten.  Only
the top-level field 9 changes: every other field is copied byte for byte,
so `hearth top` of the copy shows the same rows as the original."""
import gzip
import sys


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def enc(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def main():
    src, dst, secs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = open(src, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    out, i = bytearray(), 0
    while i < len(data):
        start = i
        key, i = varint(data, i)
        wire = key & 7
        if wire == 0:
            _, i = varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 2:
            n, i = varint(data, i)
            i += n
        elif wire == 5:
            i += 4
        else:
            sys.exit("%s: wire type %d at byte %d" % (src, wire, start))
        if i > len(data):
            sys.exit("%s: truncated at byte %d" % (src, start))
        if key >> 3 != 9:
            out += data[start:i]
    out += enc(9 << 3) + enc(secs * 1000000000)
    with open(dst, "wb") as f:
        f.write(gzip.compress(bytes(out)))


main()
