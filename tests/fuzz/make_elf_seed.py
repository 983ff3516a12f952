#!/usr/bin/env python3
"""Writes a small ELF file for fuzz_elf's seeds (tests/fuzz/regress/elf-gopclntab):
a PT_LOAD, .text, a GNU build-id note and a Go 1.18 .gopclntab with two
functions, so the fuzzer starts from a file the symbolizer reads all the way.

    make_elf_seed.py OUT

elf-gopclntab-noshdr is the same file with e_shoff, e_shnum and e_shstrndx
zeroed (no section headers: the pclntab is found by its magic).
"""
import struct
import sys

TEXT = 0x401000
# --- pclntab (Go 1.18 layout, little endian, quantum 1, pointers of 8) ---
names = b"main.a\0main.b\0"
cutab = struct.pack("<I", 0)
filetab = b"a.go\0"
# pctab: a 0 byte first (offset 0 is "no table"), then the line table (10
# over 16 bytes) and the file table (index 0 over 16 bytes).
line_tab = bytes([22, 16, 0])
file_tab = bytes([2, 16, 0])
pctab = b"\0" + line_tab + file_tab
pcln_off, pcfile_off = 1, 1 + len(line_tab)
hdr_len = 8 + 8 * 8
off = hdr_len
funcname_off = off; off += len(names)
cutab_off = off; off += len(cutab)
filetab_off = off; off += len(filetab)
pctab_off = off; off += len(pctab)
off = (off + 7) & ~7
functab_off = off
functab_len = 3 * 8
funcs = b""
for i, nameoff in enumerate((0, 7)):
    funcs += struct.pack("<IiiIIIIIIBBBB", 16 * i, nameoff, 0, 0, 0, pcfile_off, pcln_off, 0, 0, 0, 0, 0, 0)
f0 = functab_len
f1 = functab_len + 40
functab = struct.pack("<IIIIII", 0, f0, 16, f1, 32, 0)
pcln = struct.pack("<IBBBB", 0xFFFFFFF0, 0, 0, 1, 8)
pcln += struct.pack("<8Q", 2, 1, TEXT, funcname_off, cutab_off, filetab_off, pctab_off, functab_off)
pcln += names + cutab + filetab + pctab
pcln += b"\0" * (functab_off - len(pcln)) + functab + funcs
# --- sections ---
text = b"\x90" * 32
note = struct.pack("<III", 4, 8, 3) + b"GNU\0" + bytes(range(1, 9))
shstr = b"\0.text\0.gopclntab\0.note.gnu.build-id\0.shstrtab\0"
def name(s):
    return shstr.index(s.encode() + b"\0")
ehdr_len, phdr_len = 64, 56
body = b""
layout = []
cur = ehdr_len + phdr_len
for sname, data, stype, addr in ((".text", text, 1, TEXT), (".gopclntab", pcln, 1, 0x402000),
                                 (".note.gnu.build-id", note, 7, 0), (".shstrtab", shstr, 3, 0)):
    pad = (-cur) % 8
    body += b"\0" * pad
    cur += pad
    layout.append((sname, cur, len(data), stype, addr))
    body += data
    cur += len(data)
pad = (-cur) % 8
body += b"\0" * pad
cur += pad
shoff = cur
sh = b"\0" * 64
for sname, o, n, stype, addr in layout:
    flags = 6 if sname == ".text" else 2 if sname != ".shstrtab" else 0
    sh += struct.pack("<IIQQQQIIQQ", name(sname), stype, flags, addr, o, n, 0, 0, 8 if stype != 3 else 1, 0)
ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
ehdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, TEXT, ehdr_len, shoff, 0, ehdr_len, phdr_len, 1, 64,
                    len(layout) + 1, len(layout))
phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, shoff, shoff, 0x1000)
open(sys.argv[1], "wb").write(ehdr + phdr + body + sh)
