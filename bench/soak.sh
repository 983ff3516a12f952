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
# (which runs the same with a 75 s outage).  The output is kept in
# BUILD_DIR/soak.log; the last line is "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
build=${1:?usage: bench/soak.sh BUILD_DIR}
mkdir -p "$build"
echo "soak: started $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$build/soak.log"
SCRAPE_INTERVAL=${SCRAPE_INTERVAL:-5} SCRAPE_SECONDS=${SCRAPE_SECONDS:-900} \
	SCRAPE_KILL_AT=${SCRAPE_KILL_AT:-60} SCRAPE_OUTAGE=${SCRAPE_OUTAGE:-600} \
	sh tests/cli/scrape.sh "$build" 2>&1 | tee -a "$build/soak.log"
echo "soak: ended $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$build/soak.log"
tail -n 2 "$build/soak.log" | head -n 1 | grep -q ' passed, 0 failed$'
