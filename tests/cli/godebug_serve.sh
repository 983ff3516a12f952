#!/bin/sh
# GODEBUG logs in hearth serve (docs/godebug.md#hearth-serve), over real
# HTTP against the real process (tests/cli/godebug_serve_check.py):
#   - logs written during the test by tests/subjects/rtsubject (the newest
#     Go and Debian's Go 1.19; gctrace and schedtrace, with and without
#     scheddetail) are pushed (POST /api/v1/godebug, one gzipped), and the
#     answer's line counts are `hearth godebug -json`'s;
#   - the summaries and charts of a service's range (text, json, svg,
#     html) equal `hearth godebug LOG...` / `-json` / `-o` on the same
#     files (but for the logs' names); the metric series gc_cpu_fraction
#     and gc_count are the last gc line's; a log reads back byte for byte;
#   - another tenant sees none of it; a body without runtime lines, bad
#     labels, no service, a token without push: 4xx, nothing stored.
#
#   tests/cli/godebug_serve.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/godebug_serve.sh BUILD_DIR [-v]}
export TZ=UTC
exec python3 tests/cli/godebug_serve_check.py "$build/hearth" "${2:-}"
