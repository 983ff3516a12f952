#!/bin/sh
# The retention sweep deletes the symbols only deleted profiles used
# (docs/store.md), against the real hearth serve
# (tests/cli/dictsweep_check.py): the dictionary falls to exactly what a
# store of the profiles left holds, the database file shrinks, what is left
# reads as its files; kill -9 during sweeps with concurrent ingests leaves
# a consistent store where every acknowledged profile reads back.
#
#   tests/cli/dictsweep.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/dictsweep.sh BUILD_DIR [-v]}
export TZ=UTC
exec python3 tests/cli/dictsweep_check.py "$build/hearth" "${2:-}"
