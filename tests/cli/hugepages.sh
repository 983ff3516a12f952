#!/bin/sh
# Huge pages for malloc (hearth_hugepages_reexec, lib/util.c; docs/BENCHMARKS.md
# says what they save): hearth runs itself again with
# GLIBC_TUNABLES=glibc.malloc.hugetlb=1 when it serves (serve, web, -http)
# or is given 8 MB of files or more, and not otherwise, not when the user
# set the tunable either way, not under LD_PRELOAD. Checked on the real
# processes: the environment the kernel shows for their pid (the exec keeps
# the pid), the huge pages in hearth web's memory, and the same answers
# with and without.
#
#   tests/cli/hugepages.sh BUILD_DIR [-v]
#
# Ends with "N passed, M failed". SKIP where the kernel's THP mode is not
# "madvise" or glibc is older than 2.35 (nothing to do there).
name=hugepages
. "$(dirname "$0")/suite.inc"
big=../shared/bench/big.cpu.pb.gz
small=../shared/corpus/leaky.allocs.pb.gz
pids=
trap 'for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

mode=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
libc=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ split($2, v, "."); print v[1] * 1000 + v[2] }')
case $mode in *"[madvise]"*) ;; *)
	echo "hugepages: SKIP (the kernel's THP mode is not madvise: $mode)"
	echo "0 passed, 0 failed"
	exit 0
	;;
esac
if [ "${libc:-0}" -lt 2035 ]; then
	echo "hugepages: SKIP (glibc older than 2.35)"
	echo "0 passed, 0 failed"
	exit 0
fi

# tunables PID: the GLIBC_TUNABLES the process runs with now ("-" for none).
tunables() {
	t=$(tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n 's/^GLIBC_TUNABLES=//p')
	echo "${t:--}"
}
# wait_url OUT PID: the address a server printed, within 30 s.
wait_url() {
	for _ in $(seq 1 300); do
		u=$(grep -o 'http://[0-9.:]*' "$1" 2>/dev/null | head -n 1)
		[ -n "$u" ] && { echo "$u"; return 0; }
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# serve NAME WANT [ENV...]: hearth serve with ENV; its tunables must be WANT.
serve() {
	name=$1 want=$2
	shift 2
	env "$@" "$hearth" serve -listen=127.0.0.1:0 -data="$tmp/data.$name" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	pids="$pids $pid"
	if wait_url "$tmp/$name.out" "$pid" >/dev/null; then
		got=$(tunables "$pid")
		if [ "$got" = "$want" ]; then ok "$name: $want"; else bad "$name: want [$want], got [$got]"; fi
	else
		bad "$name: hearth serve did not start: $(head -n 3 "$tmp/$name.err")"
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
serve "serve" "glibc.malloc.hugetlb=1"
serve "serve, hugetlb=0 left as the user set it" "glibc.malloc.hugetlb=0" \
	GLIBC_TUNABLES=glibc.malloc.hugetlb=0
serve "serve under LD_PRELOAD, not run again" "-" LD_PRELOAD=/lib/x86_64-linux-gnu/libm.so.6

# shell FILE: the pprof shell on FILE (it reads commands from a pipe, so it
# lives while we look); prints its tunables once it has answered `top5`.
shell() {
	rm -f "$tmp/fifo" "$tmp/shell.out"
	mkfifo "$tmp/fifo"
	"$hearth" "$1" <"$tmp/fifo" >"$tmp/shell.out" 2>"$tmp/shell.err" &
	spid=$!
	pids="$pids $spid"
	exec 3>"$tmp/fifo"
	echo top5 >&3
	for _ in $(seq 1 600); do
		grep -q 'flat%' "$tmp/shell.out" 2>/dev/null && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	t=$(tunables "$spid")
	exec 3>&-
	wait "$spid" 2>/dev/null
	grep -q 'flat%' "$tmp/shell.out" && echo "$t" || echo "no answer: $(head -n 3 "$tmp/shell.err")"
}
t=$(shell "$big")
[ "$t" = "glibc.malloc.hugetlb=1" ] && ok "the shell on big.cpu (50 MB): run again with hugetlb=1" ||
	bad "the shell on big.cpu: want [glibc.malloc.hugetlb=1], got [$t]"
t=$(shell "$small")
[ "$t" = "-" ] && ok "the shell on a 2 KB profile: started once" ||
	bad "the shell on a 2 KB profile: want no tunables, got [$t]"

# The same answers with huge pages and without.
"$hearth" top "$big" >"$tmp/top.thp" 2>&1
GLIBC_TUNABLES=glibc.malloc.hugetlb=0 "$hearth" top "$big" >"$tmp/top.plain" 2>&1
if [ -s "$tmp/top.thp" ] && cmp -s "$tmp/top.thp" "$tmp/top.plain"; then
	ok "hearth top big.cpu: the same report with huge pages and without"
else
	bad "hearth top big.cpu differs with huge pages: $(diff "$tmp/top.thp" "$tmp/top.plain" | head -n 4)"
fi

# web NAME [ENV...]: hearth web holding big.cpu, its heap in huge pages (at
# least a quarter of its memory: the profile's arrays). With the user's
# other tunables as well: the loader rewrites the variable in place, so its
# text in /proc no longer shows every tunable; the pages show it.
web() {
	name=$1
	shift
	env "$@" "$hearth" web -no_browser -http=127.0.0.1:0 "$big" >"$tmp/web.out" 2>"$tmp/web.err" &
	wpid=$!
	pids="$pids $wpid"
	if wait_url "$tmp/web.out" "$wpid" >/dev/null; then
		huge=$(awk '/^AnonHugePages:/ { print $2 }' "/proc/$wpid/smaps_rollup" 2>/dev/null)
		rss=$(awk '/^Rss:/ { print $2 }' "/proc/$wpid/smaps_rollup" 2>/dev/null)
		if [ "${huge:-0}" -gt 0 ] && [ $((huge * 4)) -ge "${rss:-1}" ]; then
			ok "$name: ${huge} KB of its ${rss} KB in huge pages"
		else
			bad "$name: ${huge:-?} KB of its ${rss:-?} KB in huge pages"
		fi
	else
		bad "$name: hearth web did not start: $(head -n 3 "$tmp/web.err")"
	fi
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
}
web "hearth web big.cpu"
web "hearth web big.cpu, the user's glibc.malloc.check=0 as well" GLIBC_TUNABLES=glibc.malloc.check=0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
