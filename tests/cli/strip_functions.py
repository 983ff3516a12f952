#!/usr/bin/env python3
"""Rewrites a profile.proto file as one captured without symbols: locations
keep their addresses and lose their lines, functions are dropped, and the
mappings' has_* flags are cleared.  For tests/cli/symbolize.sh.

    strip_functions.py IN.pb.gz OUT.pb.gz
"""
import gzip
import sys


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return v, i


def enc_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def fields(b):
    """(field number, wire type, raw bytes of the whole field) of a message."""
    i = 0
    while i < len(b):
        start = i
        key, i = varint(b, i)
        wt = key & 7
        if wt == 0:
            _, i = varint(b, i)
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        elif wt == 2:
            n, i = varint(b, i)
            i += n
        else:
            raise ValueError("wire type %d" % wt)
        yield key >> 3, wt, b[start:i]


def payload(raw):
    _, i = varint(raw, 0)
    _, i = varint(raw, i)
    return raw[i:]


def sub(num, body):
    return enc_varint(num << 3 | 2) + enc_varint(len(body)) + body


def main():
    data = gzip.open(sys.argv[1]).read()
    out = bytearray()
    for num, wt, raw in fields(data):
        if num == 5:  # function
            continue
        if num == 4:  # location: drop its lines
            body = b"".join(r for n, _, r in fields(payload(raw)) if n != 4)
            out += sub(4, body)
        elif num == 3:  # mapping: drop has_functions .. has_inline_frames
            body = b"".join(r for n, _, r in fields(payload(raw)) if n not in (7, 8, 9, 10))
            out += sub(3, body)
        else:
            out += raw
    with gzip.open(sys.argv[2], "wb") as f:
        f.write(bytes(out))


if __name__ == "__main__":
    main()
