#!/bin/sh
# hearth serve's durability (docs/serve.md, docs/store.md), against the real
# process (tests/cli/durability_check.py):
#   - kill -9 of the server during concurrent ingests (four clients, rollups
#     built meanwhile), twice; after the restart every push answered 200 is
#     there with its id, series and totals, nothing half stored, the merge
#     equals the sum of the files, SQLite's integrity_check passes;
#   - the same while the retention sweep runs every second (half the pushes
#     past retention): every answered push inside it is there, whole; no
#     block is left without its profile;
#   - a full disk (a small tmpfs in a private mount namespace): pushes get
#     507 and store nothing, what was stored reads, lists and merges, the
#     server stops and starts on the full disk, and stores again once space
#     returns;
#   - the same with a file size limit (RLIMIT_FSIZE, no privilege needed):
#     507, the server alive (not killed by SIGXFSZ), what was stored reads.
#
#   tests/cli/durability.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/durability.sh BUILD_DIR [-v]}
export TZ=UTC
exec python3 tests/cli/durability_check.py "$build/hearth" "${2:-}"
