"""Checks `hearth raw BINARY PROFILE` of tests/subjects/chot against binutils.

Every location of the program's mapping must have the frames
`addr2line -f -i` gives for its address (function names, innermost first,
file base names and lines), and, for the copy without debug information,
the function symbol that `nm` says holds the address.  Also `hearth top`
must show the inlined function under its caller.

    symbolize_c_check.py HEARTH TMPDIR   (TMPDIR holds hot, hot.nodebug, hot.prof)
"""
import os
import re
import subprocess
import sys

hearth, tmp = sys.argv[1], sys.argv[2]
binary, nodebug, prof = (os.path.join(tmp, n) for n in ("hot", "hot.nodebug", "hot.prof"))
passed = failed = 0


def check(cond, what, *detail):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)
        for d in detail:
            print("     " + str(d))


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def raw_locations(binpath):
    """hearth raw's locations of mapping 1 (the program): address -> [(func, file, line)]."""
    out = run(hearth, "raw", binpath, prof)
    check(out.returncode == 0, "hearth raw %s exits 0" % os.path.basename(binpath), out.stderr)
    locs, mappings, cur, section = {}, {}, None, None
    for line in out.stdout.splitlines():
        if line in ("Locations", "Mappings"):
            section = line
            continue
        if section == "Mappings":
            m = re.match(r"(\d+): (0x[0-9a-f]+)/(0x[0-9a-f]+)/(0x[0-9a-f]+) (\S+)", line)
            if m:
                mappings[m.group(1)] = (int(m.group(2), 16), int(m.group(4), 16), m.group(5))
        elif section == "Locations":
            m = re.match(r"\s+\d+: (0x[0-9a-f]+) M=(\d+)\s*(.*)", line)
            if m:
                cur = (int(m.group(1), 16), m.group(2))
                locs[cur] = []
                rest = m.group(3)
            elif cur and line.startswith("     ") and line.strip():
                rest = line.strip()
            else:
                continue
            # file:line, or file:line:column as the newest pprof prints it.
            f = re.match(r"(\S+) (\S*?):(\d+)(?::\d+)? s=\d+", rest)
            if f:
                locs[cur].append((f.group(1), os.path.basename(f.group(2)), int(f.group(3))))
    return locs, mappings


def program_addresses(locs, mappings):
    """(runtime address, file address, frames) of the program's locations."""
    res = []
    for (addr, mid), frames in sorted(locs.items()):
        start, offset, path = mappings.get(mid, (0, 0, ""))
        if os.path.basename(path) != "hot":
            continue
        # The text segment's file offset equals its virtual address in the
        # ELF file (checked below with readelf), so this is the file address.
        res.append((addr, addr - start + offset, frames))
    return res


locs, mappings = raw_locations(binary)
prog = program_addresses(locs, mappings)
check(len(prog) >= 5, "the profile has locations in the program", len(prog))

# addr2line: pairs of lines (function, file:line [(discriminator N)]) per frame.
a2l = run("addr2line", "-f", "-i", "-a", "-e", binary, *[hex(fa) for _, fa, _ in prog])
want, cur = {}, None
lines = a2l.stdout.splitlines()
i = 0
while i < len(lines):
    if lines[i].startswith("0x"):
        cur = int(lines[i], 16)
        want[cur] = []
        i += 1
        continue
    fn, pos = lines[i], lines[i + 1] if i + 1 < len(lines) else "??:0"
    m = re.match(r"(.*):(\d+|\?)", pos.split(" (discriminator")[0])
    file = os.path.basename(m.group(1)) if m else "??"
    want[cur].append((fn, "" if file == "??" else file,
                      int(m.group(2)) if m and m.group(2).isdigit() else 0))
    i += 2
mismatch = [(hex(fa), frames, want.get(fa)) for _, fa, frames in prog if frames != want.get(fa)]
check(not mismatch, "every program address has addr2line -f -i's frames (%d addresses)" % len(prog),
      *mismatch[:5])
inlined = [fa for _, fa, frames in prog if len(frames) > 1]
check(any(f[0][0] == "inner" and f[1][0] == "middle" for _, _, f in prog if len(f) > 1),
      "inlined inner() shows inside middle() (%d addresses with inlined frames)" % len(inlined))

top = run(hearth, "top", "-nodefraction=0", "-unit=ms", binary, prof)
rows = {l.split()[5]: float(l.split()[3].rstrip("ms")) for l in top.stdout.splitlines()[4:]
        if len(l.split()) >= 6 and l.split()[3].endswith("ms")}
check("inner" in rows and "middle" in rows and rows["middle"] >= rows["inner"] > 0,
      "top: middle's cum holds inner's", *top.stdout.splitlines()[:12])

# Without debug information: the ELF symbol table, as nm lists it.
rd = run("readelf", "-lW", binary).stdout
check(re.search(r"LOAD\s+0x0*1000 0x0*1000 .* R E", rd) is not None,
      "the text segment's offset is its address (the file addresses above hold)")
locs2, maps2 = raw_locations(nodebug)
syms = []
for l in run("nm", "-S", "--defined-only", nodebug).stdout.splitlines():
    p = l.split()
    if len(p) == 4 and p[2] in "tT":
        syms.append((int(p[0], 16), int(p[1], 16), p[3]))
fails = []
for _, fa, frames in program_addresses(locs2, maps2):
    holder = [n for a, s, n in syms if a <= fa < a + s]
    got = [f[0] for f in frames]
    if got != holder[:1]:
        fails.append((hex(fa), got, holder))
check(not fails, "without DWARF every program address is named by nm's symbol", *fails[:5])
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
