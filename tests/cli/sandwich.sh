#!/bin/sh
# hearth web's sandwich by exact identity (issue 14, item 1): for the
# corpus's CPU and heap profiles, GET /api/flame?callers=NAME and
# ?callees=NAME, rooted at that function, give its callers and callees equal
# to `hearth peek` of it, caller by caller and callee by callee, for the top
# 50 by cum plus every method with "(", every closure (funcN) and every
# generic name ("[...]", and Go's shape names, from tests/cli/generics run
# with the newest Go) (tests/cli/sandwich_check.py).
#
#   tests/cli/sandwich.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
. tests/cli/go.inc
build=${1:?usage: tests/cli/sandwich.sh BUILD_DIR [-v]}
export TZ=UTC
exec python3 tests/cli/sandwich_check.py "$build/hearth" "${2:-}"
