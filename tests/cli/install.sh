#!/bin/sh
# `make install DESTDIR=... PREFIX=...` and what it installs: the binary
# (which says its commit), the man page (rendered by man -l without groff
# warnings) and the bash completion (commands, options, files).
#
#   tests/cli/install.sh BUILD_DIR [-v]
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/install.sh BUILD_DIR [-v]}
verbose=false
[ "${2:-}" = "-v" ] && verbose=true
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
ok() {
	pass=$((pass + 1))
	$verbose && echo "ok   $1"
	return 0
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	return 0
}
check() { # check NAME WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: want [$2], got [$3]"; fi
}

dest=$tmp/root
if make -s BUILD="$build" install DESTDIR="$dest" PREFIX=/opt/hearth >"$tmp/log" 2>&1; then
	ok "make install"
else
	bad "make install: $(tail -5 "$tmp/log")"
fi
for f in bin/hearth share/man/man1/hearth.1 share/bash-completion/completions/hearth; do
	[ -f "$dest/opt/hearth/$f" ] && ok "installed $f" || bad "not installed: $f"
done
[ -x "$dest/opt/hearth/bin/hearth" ] && ok "bin/hearth is executable" || bad "bin/hearth is not executable"

# The version names the commit of the tree it was built from.
want="hearth version $(git describe --always --dirty 2>/dev/null || echo unknown)"
check "--version" "$want" "$("$dest/opt/hearth/bin/hearth" --version 2>&1)"
check "version" "$want" "$("$dest/opt/hearth/bin/hearth" version 2>&1)"

# The man page: rendered, with its sections, and no warning from groff.
page=$dest/opt/hearth/share/man/man1/hearth.1
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$page" >"$tmp/man.txt" 2>"$tmp/man.err"
	if grep -q '^NAME' "$tmp/man.txt" && grep -q 'hearth — profiling toolkit' "$tmp/man.txt" &&
		grep -q '^SYNOPSIS' "$tmp/man.txt" && grep -q 'alias pprof=hearth' "$tmp/man.txt" &&
		grep -q '^ENVIRONMENT' "$tmp/man.txt" && [ ! -s "$tmp/man.err" ]; then
		ok "man -l renders the page"
	else
		bad "man -l: $(head -3 "$tmp/man.err")"
	fi
	groff -mandoc -ww -z "$page" 2>"$tmp/groff.err"
	[ ! -s "$tmp/groff.err" ] && ok "groff -ww: no warnings" || bad "groff: $(head -3 "$tmp/groff.err")"
else
	echo "skip man page: man is not installed"
fi

# The completion script, sourced in bash, its function called as bash calls it.
comp=$dest/opt/hearth/share/bash-completion/completions/hearth
complete_words() { # the words typed so far; prints COMPREPLY sorted
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hearth; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$comp" "$@"
}
if command -v bash >/dev/null 2>&1; then
	check "completes commands" "top topproto " "$(complete_words hearth top)"
	check "completes help's argument" "traces tree " "$(complete_words hearth help tr)"
	check "completes options" "-nodecount= -nodefraction= " "$(complete_words hearth top -node)"
	check "completes pprof's formats" "-top -topproto -total_delay " "$(complete_words hearth -to)"
	check "completes files" "tests/data/leaky.cpu.pb.gz " "$(complete_words hearth top tests/data/leaky.cp)"
	# Every command the completion offers is one hearth knows.
	mkdir "$tmp/empty"
	for c in $(cd "$tmp/empty" && complete_words hearth ''); do
		"$dest/opt/hearth/bin/hearth" help "$c" >/dev/null 2>&1 || [ "$c" = help ] || bad "completion offers $c, which hearth help does not know"
	done
	ok "completed commands are hearth's"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
