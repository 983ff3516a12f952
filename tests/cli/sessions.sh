#!/bin/sh
# hearth serve's UI sessions live in the store (docs/serve.md), against the
# real process (tests/cli/sessions_check.py): a login survives a restart
# and a kill -9; revoking its token (API or `hearth token revoke`) ends it;
# logout and expiry end it for good; the store keeps no id, token or CSRF
# secret in clear; forged cookies are refused.
#
#   tests/cli/sessions.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/sessions.sh BUILD_DIR [-v]}
export TZ=UTC
exec python3 tests/cli/sessions_check.py "$build/hearth" "${2:-}"
