#!/bin/sh
# make soak: hearth scrape across a ten-minute server outage (issue 10:
# "after a server outage of ten minutes everything spooled arrives, in
# order, exactly once").
#
#   bench/soak.sh BUILD_DIR
#
# It is tests/cli/scrape.sh with a longer run: two Go programs under hey
# load scraped every 5 s for 15 minutes, pushing through an on-disk spool to
# hearth serve, which is killed (kill -9) a minute in and started again ten
# minutes later on the same port and data.  Afterwards every stored profile
# is counted per target and type against the raw scrapes (-save), checked
# for duplicates and for its order (per series, and the server's insertion
# order against the order in which the scrapes finished), every allocs
# delta is compared with `hearth top -base`, and the GC series with the
# MemStats of the same scrapes.  About 17 minutes; not part of make test
# (which runs the same with a 75 s outage).
#
# The output is kept in BUILD_DIR/soak.log (the last line is "N passed, M
# failed"); its figures go into docs/BENCHMARKS.md between the lines
# <!-- soak --> and <!-- /soak --> (SOAK_DOC=FILE another page, - none),
# which make bench keeps (SOAK_COMMIT names the commit measured when the
# directory is no git work tree).
set -u
cd "$(dirname "$0")/.."
build=${1:?usage: bench/soak.sh BUILD_DIR}
doc=${SOAK_DOC:-docs/BENCHMARKS.md}
mkdir -p "$build"
# The shell script runs from a copy: sh reads it as it goes, and an edit of
# the work tree during the 17 minutes must not change it under the shell.
# (The Python checks it starts come from the work tree: each is read whole
# when it starts.)
snap=$(mktemp -d)
trap 'rm -rf "$snap"' EXIT
trap 'exit 1' INT TERM
cp tests/cli/scrape.sh "$snap/"
export SCRAPE_INTERVAL=${SCRAPE_INTERVAL:-5} SCRAPE_SECONDS=${SCRAPE_SECONDS:-900}
export SCRAPE_KILL_AT=${SCRAPE_KILL_AT:-60} SCRAPE_OUTAGE=${SCRAPE_OUTAGE:-600}
start=$(date -u '+%F %H:%M')
la0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "soak: started $start UTC, load average $la0" | tee "$build/soak.log"
# ($0 names the work tree's copy: scrape.sh finds the repository from it.)
sh -c ". '$snap/scrape.sh'" "$PWD/tests/cli/scrape.sh" "$build" 2>&1 | tee -a "$build/soak.log"
la1=$(cut -d' ' -f1-3 /proc/loadavg)
echo "soak: ended $(date -u '+%F %H:%M') UTC, load average $la1" | tee -a "$build/soak.log"
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$build/soak.log" | tail -n 1)
[ "$doc" = - ] || python3 - "$build/soak.log" "$doc" "$start" "$la0" "$la1" \
	"${SOAK_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}" <<'PY'
import re, sys
log, doc, start, la0, la1, commit = sys.argv[1:7]
lines = open(log).read().splitlines()
def find(pat):
    for l in lines:
        m = re.search(pat, l)
        if m:
            return l
    return "(not reached)"
res = [l for l in lines if re.match(r"^\d+ passed, \d+ failed$", l)]
sec = ["<!-- soak -->",
       "## hearth scrape across a ten-minute outage (make soak, %s UTC, commit %s)" % (start, commit),
       "",
       "Load average (1, 5, 15 min) of the shared machine: %s at the start, %s at the end." % (la0, la1),
       "`bench/soak.sh`: two Go programs under `hey` load scraped every %s s for %s"
       % (re.sub(r".*every (\d+)s.*", r"\1", find(r"the long run")), re.sub(r".*: (\d+) rounds.*", r"\1", find(r"the long run"))) + " rounds"
       " through an on-disk spool; `hearth serve` killed (`kill -9`) and restarted on the same port"
       " and data after the outage. Result: **%s**." % (res[-1] if res else "no result"),
       ""]
for pat in (r"the long run", r"restarted on", r"finished after", r"while the server was down",
            r"stored profiles per target", r"allocs delta", r"GC series in the server"):
    l = find(pat)
    sec.append("- " + re.sub(r"^(ok|FAIL|#) +", "", l).strip())
sec.append("<!-- /soak -->")
text = open(doc).read()
block = re.compile(r"^<!-- soak -->$.*?^<!-- /soak -->$", re.S | re.M)
if block.search(text):
    text = block.sub(lambda m: "\n".join(sec), text)
elif "\n## Reproducing" in text:
    text = text.replace("\n## Reproducing", "\n" + "\n".join(sec) + "\n\n## Reproducing", 1)
else:
    text += "\n" + "\n".join(sec) + "\n"
open(doc, "w").write(text)
print("soak: wrote its figures into " + doc)
PY
echo "$last" | grep -q ' passed, 0 failed$'
