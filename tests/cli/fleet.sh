#!/bin/sh
# The public fleet report of hearth serve (docs/fleet.md), over real HTTP
# against the real process (tests/cli/fleet_check.py):
#   - synthetic tenants push real CPU profiles (Go 1.19 corpus, Go 1.26),
#     some with their own functions renamed like the standard library's;
#   - each tenant's own figures (GET /api/v1/fleet) equal hearth top's on
#     the same files (-focus of the GC functions for the GC share; go tool
#     pprof agrees), and the public report (/api/v1/fleet/report, /fleet)
#     equals the report computed from them with docs/fleet.md's rules and
#     `go list std`: a symbol of fewer than k tenants never appears, nor a
#     symbol outside the standard library, a tenant, service or label name;
#   - opting in and out (API with the admin scope, hearth fleet on the data
#     directory while the server runs): the next report is without the
#     tenant; fewer than k tenants show nothing.
#
#   tests/cli/fleet.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/fleet.sh BUILD_DIR [-v]}
export TZ=UTC
exec python3 tests/cli/fleet_check.py "$build/hearth" "${2:-}"
