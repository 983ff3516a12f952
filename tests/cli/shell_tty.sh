#!/bin/sh
# The pprof shell driven as a person drives it: in a pseudo-terminal (tmux),
# typing, with Tab for completion and the Up arrow for history.  Checks the
# prompt, the greeting, a report, completion of a command, an option and a
# function name, history recall, and that `quit` ends it.  The answers
# themselves are compared with pprof's by tests/cli/pprof_form.sh.
#
#   tests/cli/shell_tty.sh BUILD_DIR [-v]
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/shell_tty.sh BUILD_DIR [-v]}
verbose=false
[ "${2:-}" = "-v" ] && verbose=true
hearth=$(pwd)/$build/hearth
pass=0
fail=0
if ! command -v tmux >/dev/null 2>&1; then
	echo "skip: tmux is not installed (make deps)"
	echo "0 passed, 0 failed"
	exit 0
fi
tmp=$(mktemp -d)
sock=hearth-shell-test-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
ok() {
	pass=$((pass + 1))
	$verbose && echo "ok   $1"
	return 0
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	tmux -L "$sock" capture-pane -p -t t 2>/dev/null | grep -v '^$' | tail -8 | sed 's/^/     /'
	return 0
}
screen() { tmux -L "$sock" capture-pane -p -S -200 -t t 2>/dev/null; }
keys() { tmux -L "$sock" send-keys -t t "$@"; }
# waitfor REGEX [COUNT]: until the screen has COUNT lines matching (10 s).
waitfor() {
	n=${2:-1}
	for i in $(seq 1 100); do
		[ "$(screen | grep -c -- "$1")" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}
# the last line of the screen that is not empty
last() { screen | grep -v '^$' | tail -1; }

tmux -L "$sock" new-session -d -s t -x 160 -y 50 \
	"cd '$tmp' && TZ=UTC HOME='$tmp' '$hearth' '$(pwd)/tests/data/leaky.cpu.pb.gz'; echo SHELL-ENDED; sleep 30"
if waitfor '^(pprof)' && screen | grep -q '^Entering interactive mode' && screen | grep -q '^File: leaky'; then
	ok "greeting and prompt"
else
	bad "greeting and prompt"
fi

keys 'top 3' Enter
if waitfor 'Showing top 3 nodes out of' && waitfor '^(pprof)' 2; then ok "top 3"; else bad "top 3"; fi

# Completion of a command name: "weblis" + Tab.
keys 'weblis' Tab
sleep 0.3
if last | grep -q '^(pprof) weblist *$'; then ok "Tab completes a command"; else bad "Tab completes a command"; fi
keys C-u

# Of an option: "sample_in" + Tab, then the value typed.
keys 'sample_in' Tab
sleep 0.3
if last | grep -q '^(pprof) sample_index *$'; then ok "Tab completes an option"; else bad "Tab completes an option"; fi
keys BSpace '=samples' Enter 'top 2' Enter
if waitfor 'Showing top 2 nodes' && screen | grep -A3 'Showing top 2' | grep -q '^ *42 26.09%'; then
	ok "an option set and kept"
else
	bad "an option set and kept"
fi

# Of a function name after a command, matched anywhere in the name.
keys 'list leakSo' Tab
sleep 0.3
if last | grep -q '^(pprof) list main.leakSome *$'; then ok "Tab completes a function name"; else bad "Tab completes a function name"; fi
keys Enter
if waitfor 'ROUTINE ======================== main.leakSome'; then ok "the completed list runs"; else bad "the completed list runs"; fi

# History: Up twice recalls "top 2".
keys Up Up
sleep 0.3
if last | grep -q '^(pprof) top 2$'; then ok "Up recalls history"; else bad "Up recalls history"; fi
keys Enter
if waitfor 'Showing top 2 nodes' 2; then ok "a recalled command runs"; else bad "a recalled command runs"; fi

# An unknown command gets a suggestion; quit ends the shell.
keys 'trace' Enter
if waitfor 'unrecognized command: "trace" (did you mean traces?)'; then ok "did you mean"; else bad "did you mean"; fi
keys 'quit' Enter
if waitfor '^SHELL-ENDED'; then ok "quit"; else bad "quit"; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
