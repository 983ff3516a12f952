#!/bin/sh
# hearth web: the server and its API (docs/web.md), over real HTTP.
#
# Starts `hearth web -no_browser` on test profiles (tests/data, and
# ../shared/corpus when present), reads the URL it prints, and checks
# (tests/cli/web_check.py):
#   - /api/top rows (names, flat/cum labels, percentages, inline marks) and
#     header equal `hearth top` with the same options, for several option
#     sets (sample_index, focus, lines, cum, nodecount, command-line
#     defaults overridden by the query);
#   - /api/search's matched equals what `hearth top -focus=RE
#     -nodefraction=0` shows, and its share;
#   - /api/flame's root equals top's total; reverse; diff with -diff_base
#     and -base;
#   - /api/graph and download=svg are SVG (XML parses); download=pprof is
#     read by `go tool pprof -top` (when go is there) and gives hearth top's
#     rows; folded is read back by hearth; speedscope parses;
#   - errors: bad regexp, unknown sample type, base=, diff_base=, source_path=,
#     unknown parameters -> 400 with the message; no path outside the
#     embedded files is served (/../../etc/passwd, %2e%2e, ...); non-GET ->
#     405; a foreign Host header -> 403; huge queries -> 414/413; the
#     server answers after all of it and exits 0 on SIGTERM.
#
#   tests/cli/web.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
. tests/cli/go.inc
build=${1:?usage: tests/cli/web.sh BUILD_DIR [-v]}
export TZ=UTC
exec python3 tests/cli/web_check.py "$build/hearth" "${2:-}"
