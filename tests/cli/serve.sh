#!/bin/sh
# hearth serve: the service and its HTTP API (docs/serve.md), over real HTTP
# against the real process (tests/cli/serve_check.py):
#   - tokens from `hearth token create` (also while the server runs);
#     Bearer and Basic auth; no token 401, a token without the scope 403,
#     another tenant's ids 404, a revoked token 401;
#   - round trips: the merge of ten pushed corpus CPU profiles read by
#     `hearth top`/`traces` through the server selector source
#     (http://HOST:PORT/{service="leaky"}) equals the same command on the
#     files, for every sample type; heap's alloc_* summed (= top of the file
#     twice) and inuse_* averaged (= top of the file) over two copies;
#     each listed profile's totals and each series step equal the file's
#     totals (hearth raw); a diff of two ranges downloaded as pprof equals
#     `hearth top -diff_base`; a downloaded single profile reads as the
#     pushed file (top, traces, time);
#   - limits (body, gzip bomb, truncated profile, reserved label) give 4xx
#     with nothing stored; signup and requests per tenant are rate-limited;
#   - the UI's session: login cookie (HttpOnly, SameSite=Strict), CSRF header
#     on writes, logout; SIGTERM and SIGINT stop it with status 0, and the
#     data is there after a restart.
#
#   tests/cli/serve.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/serve.sh BUILD_DIR [-v]}
export TZ=UTC
exec python3 tests/cli/serve_check.py "$build/hearth" "${2:-}"
