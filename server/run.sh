#!/bin/sh
# `make run`: hearth serve on a fresh data directory, with live data.
#
#   server/run.sh HEARTH [DIR]
#
# Builds the project's Go subject (tests/subjects/netsubject: a CPU hot
# loop, a leak, a contended lock, parked goroutines), keeps it busy, and
# every few seconds takes its CPU profile (5 s), heap, allocs, goroutine and
# mutex profiles from its net/http/pprof endpoints and pushes them to hearth
# (POST /api/v1/push), so the UI shows a flame graph within a minute.
# Prints the URL and the token to log in with; Ctrl-C stops everything.
# HEARTH_LISTEN sets the address (default 127.0.0.1:4040).
set -eu
hearth=${1:?usage: server/run.sh HEARTH [DIR]}
dir=${2:-build/run}
listen=${HEARTH_LISTEN:-127.0.0.1:4040}
case $hearth in /*) ;; *) hearth=$(pwd)/$hearth ;; esac
rm -rf "$dir"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

token=$("$hearth" token create -data="$dir/data" -tenant=demo -scope=push,read,admin \
	-description="make run" | tail -1)

go=$(command -v go || echo /usr/local/go/bin/go)
(cd tests/subjects/netsubject && GOFLAGS=-mod=mod "$go" build -o "$dir/netsubject" .)
"$dir/netsubject" -addr_file="$dir/subject.addr" >"$dir/subject.log" 2>&1 &
pids="$pids $!"

"$hearth" serve -listen="$listen" -data="$dir/data" >"$dir/serve.out" 2>"$dir/serve.log" &
pids="$pids $!"

i=0
while [ ! -s "$dir/subject.addr" ] || ! grep -q '^Serving hearth on ' "$dir/serve.out"; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "hearth serve or the subject did not start:" >&2
		cat "$dir/serve.log" "$dir/subject.log" >&2
		exit 1
	fi
	sleep 0.1
done
subject=$(cat "$dir/subject.addr")
url=$(sed -n 's/^Serving hearth on //p' "$dir/serve.out")

# Load: requests to the subject's hot path, all the time.
(while :; do curl -s -o /dev/null "http://$subject/work" || sleep 1; done) &
pids="$pids $!"

push() { # push FILE TYPE
	curl -s -o /dev/null -H "Authorization: Bearer $token" --data-binary @"$1" \
		"${url}api/v1/push?service=netsubject&type=$2&labels=env=demo" || true
}
(
	while :; do
		for t in heap allocs goroutine mutex; do
			curl -s -o "$dir/$t.pb.gz" "http://$subject/debug/pprof/$t" && push "$dir/$t.pb.gz" "$t"
		done
		curl -s -o "$dir/cpu.pb.gz" "http://$subject/debug/pprof/profile?seconds=5" &&
			push "$dir/cpu.pb.gz" cpu
	done
) &
pids="$pids $!"

echo "Serving hearth on $url"
echo "Log in with the token: $token"
echo "(a CPU profile of the sample program arrives every 5 s; Ctrl-C stops)"
wait
