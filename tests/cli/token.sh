#!/bin/sh
# hearth token (docs/token.md) on a data directory:
#   - create prints a token as its last line (hth_ + 43 base64url
#     characters), and the database holds its SHA-256 (checked with
#     coreutils' sha256sum and the sqlite3 CLI), never the secret;
#   - list shows id, scopes, prefix, state and description; revoke marks it;
#   - errors: unknown tenant for list/revoke (no tenant created), unknown
#     token id, another tenant's token id, bad scope, missing options -> a
#     one-line message and status 1 or 2;
#   - several processes creating tokens on one directory at once (as the
#     CLI does while hearth serve runs) all succeed, and the file stays
#     consistent (PRAGMA integrity_check).
#
#   tests/cli/token.sh BUILD_DIR
#
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/token.sh BUILD_DIR}
hearth=$build/hearth
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
check() { # description, command...
	d=$1
	shift
	if "$@"; then ok; else ko "$d"; fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
data=$tmp/data

out=$("$hearth" token create -data="$data" -tenant=acme -scope=push,read -description="ci job" 2>&1)
check "create exits 0" test $? -eq 0
tok=$(printf '%s\n' "$out" | tail -n 1)
check "token shape ($tok)" sh -c "printf '%s' '$tok' | grep -Eq '^hth_[A-Za-z0-9_-]{43}$'"

want=$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1 | tr a-f A-F)
got=$(sqlite3 "$data/hearth.db" "select hex(hash) from tokens where id=1")
check "the stored hash is SHA-256 of the token" test "$want" = "$got"
check "the secret is not in the database" sh -c "! grep -qa '$tok' '$data/hearth.db' '$data'/hearth.db-wal 2>/dev/null"

"$hearth" token create -data="$data" -tenant=acme -scope=admin >/dev/null 2>&1
"$hearth" token create -data="$data" -tenant=other >/dev/null 2>&1
list=$("$hearth" token list -data="$data" -tenant=acme)
check "list shows two tokens of acme" test "$(printf '%s\n' "$list" | grep -c active)" -eq 2
check "list shows scopes and description" sh -c "printf '%s\n' '$list' | grep -E '^1 +push,read +hth_' | grep -q 'ci job'"
check "list shows the prefix, not the secret" sh -c "! printf '%s\n' '$list' | grep -q '$tok'"

"$hearth" token revoke -data="$data" -tenant=acme 1 >/dev/null
check "revoke exits 0" test $? -eq 0
check "revoked in the list" sh -c "'$hearth' token list -data='$data' -tenant=acme | grep -E '^1 ' | grep -q revoked"
got=$(sqlite3 "$data/hearth.db" "select revoked from tokens where id=1")
check "revoked in the database" test "$got" = 1

# Errors.
"$hearth" token revoke -data="$data" -tenant=acme 3 2>"$tmp/err"
check "another tenant's token id: status 1" test $? -eq 1
check "another tenant's token id: not found" grep -q "token not found" "$tmp/err"
"$hearth" token revoke -data="$data" -tenant=acme 99 2>"$tmp/err"
check "unknown id: status 1" test $? -eq 1
"$hearth" token list -data="$data" -tenant=nobody 2>"$tmp/err"
check "unknown tenant: status 1" test $? -eq 1
check "unknown tenant: message" grep -q "tenant not found" "$tmp/err"
got=$(sqlite3 "$data/hearth.db" "select count(*) from tenants where name='nobody'")
check "list creates no tenant" test "$got" = 0
"$hearth" token create -data="$data" -tenant=acme -scope=root 2>"$tmp/err"
check "bad scope: status 2" test $? -eq 2
check "bad scope: message" grep -q 'unknown scope "root"' "$tmp/err"
"$hearth" token create -tenant=acme 2>/dev/null
check "no -data: status 2" test $? -eq 2
"$hearth" token create -data="$data" -tenant='bad name!' 2>"$tmp/err"
check "bad tenant name: status 1" test $? -eq 1
"$hearth" token revoke -data="$data" -tenant=acme x 2>/dev/null
check "bad id: status 2" test $? -eq 2
"$hearth" token 2>/dev/null
check "no verb: status 2" test $? -eq 2

# Concurrent writers on one directory.
i=0
while [ $i -lt 4 ]; do
	(
		j=0
		while [ $j -lt 10 ]; do
			"$hearth" token create -data="$data" -tenant=busy >/dev/null || echo x >>"$tmp/cfail"
			j=$((j + 1))
		done
	) &
	i=$((i + 1))
done
wait
check "40 concurrent creates succeed" test ! -e "$tmp/cfail"
got=$(sqlite3 "$data/hearth.db" "select count(*) from tokens t join tenants n on t.tenant=n.id where n.name='busy'")
check "40 tokens stored ($got)" test "$got" = 40
got=$(sqlite3 "$data/hearth.db" "pragma integrity_check")
check "integrity_check" test "$got" = ok

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
