#!/bin/sh
# hearth web's hardening (issue 14, item 10), each against the running
# server (tests/cli/hardening_check.py): answers cached per options as
# applied; costly regexps a clear 422 at once; two pathological call graphs
# stopped with 503 inside their budget while cached requests go on being
# answered; work stopped when its client leaves; 1 MB function names drawn
# fast; 64 slow connections leave a normal client served and are cut at the
# read deadline; SIGTERM during a long request; CSP and cross-site refusal;
# NUL bytes, two Host headers, 1000 parameters, divide_by=1e-320; a URL
# source's token kept out of titles and download names.
#
#   tests/cli/hardening.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/hardening.sh BUILD_DIR [-v]}
export TZ=UTC
exec python3 tests/cli/hardening_check.py "$build/hearth" "${2:-}"
