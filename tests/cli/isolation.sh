#!/bin/sh
# hearth serve's tenant isolation, adversarially (docs/serve.md), against the
# real process (tests/cli/isolation_check.py): tenant bravo's service, label,
# metric, token description and functions are markers; tenant alpha asks
# every /api/v1 route (names, series, list, merge and every render view,
# downloads, metrics, tokens, usage), guesses ids (sequential, another's,
# path tricks), and tries revoked, under-scoped, forged, overlong and garbage
# tokens, cookies without or with another's CSRF value, forged sessions.
# A tenant signed up on a public instance (asking for bravo by name) sees
# nothing either. Each answer is the right status and holds no marker; bravo's own token
# finds them (the scan can fail); bravo's ids answer as never-used ids.
#
#   tests/cli/isolation.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/isolation.sh BUILD_DIR [-v]}
export TZ=UTC
exec python3 tests/cli/isolation_check.py "$build/hearth" "${2:-}"
