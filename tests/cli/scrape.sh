#!/bin/sh
# hearth scrape against real Go programs and a real hearth serve.
#
#   tests/cli/scrape.sh BUILD_DIR
#
# - bad configurations, one per kind of mistake: refused, naming the line;
# - two netsubject programs under hey load, scraped every 2 s for three
#   minutes (-rounds), pushing through an on-disk spool to `hearth serve`,
#   which is killed (kill -9) 20 s in and restarted on the same port and
#   data directory 75 s later (longer than the push backoff's cap, so the
#   spool carries the profiles across): the stored profiles per target and
#   type (GET /api/v1/profiles) must equal the scrapes that worked (the raw
#   files of -save; the cumulative types one fewer: the first scrape is
#   only a base), none twice, each series in the order of its scrapes and
#   the whole in the order the scrapes finished (tests/cli/scrape_check.py);
#   SCRAPE_SECONDS, SCRAPE_INTERVAL, SCRAPE_KILL_AT and SCRAPE_OUTAGE change
#   that (make soak: bench/soak.sh, a ten-minute outage);
# - every stored allocs delta equals `hearth top -base=PREV CUR` of the two
#   raw scrapes it came from;
# - the GC series of the server are the MemStats of the same scrapes, and
#   the GC figures of /metrics those of a saved heap?debug=1 scrape;
# - targets that answer garbage, hang, or send an endless body, in the same
#   run: reported down with the reason on /targets while the others go on;
# - while the server is down, the shorter checks: hearth serve -scrape;
#   discovery: a file_sd file edited while hearth scrape runs is re-read
#   (the new target in, the old out); localhost's DNS A record with a
#   relabel keep; A and SRV records from dnsmasq on loopback
#   (-dns_server); a DNS server that never answers while the scrapes of a
#   static target go on; SIGTERM stops it cleanly, a hanging lookup too.
#
# Needs go and hey (skipped without them).  Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/scrape.sh BUILD_DIR}
H=$PWD/$build/hearth
# The server's binary: this one, unless HEARTH_SERVE names another.
HS=${HEARTH_SERVE:-$H}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "     $l"; done; }

tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM

# ---- Bad configurations: each names its line -----------------------------
bad_config() { # what, line, yaml (printf format)
	printf "$3" >"$tmp/bad.yaml"
	out=$("$H" scrape -check -config="$tmp/bad.yaml" 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && printf '%s\n' "$out" | grep -qF "bad.yaml:$2:"; then
		ok "bad config, $1: line $2 named"
	else
		bad "bad config, $1: want an error naming bad.yaml:$2:" "exit $rc: $out"
	fi
}
J='scrape_configs:\n  - job_name: a\n'
bad_config "YAML syntax" 3 "${J}    static_configs: [{targets: [x:1}]\n"
bad_config "unknown top-level key" 1 "scrape_config:\n  - job_name: a\n"
bad_config "unknown job key" 3 "${J}    interval: 5s\n"
bad_config "unknown pprof_config key" 6 "${J}    profiling_config:\n      pprof_config:\n\n        heap: {enable: false}\n"
bad_config "bad duration" 3 "${J}    scrape_interval: 5 seconds\n"
bad_config "timeout over interval" 4 "${J}    scrape_interval: 5s\n    scrape_timeout: 6s\n"
bad_config "target with a scheme" 5 "${J}    static_configs:\n      - targets:\n        - http://x:1\n"
bad_config "bad label name" 5 "${J}    static_configs:\n      - targets: [x:1]\n        labels: {my-label: x}\n"
bad_config "bad relabel action" 5 "${J}    relabel_configs:\n      - source_labels: [a]\n        action: replase\n"
bad_config "bad relabel regex" 6 "${J}    relabel_configs:\n      - source_labels: [a]\n        target_label: b\n        regex: '[a-'\n"
bad_config "A record without port" 4 "${J}    dns_sd_configs:\n      - names: [api.internal]\n        type: A\n"
bad_config "not a boolean" 5 "${J}    profiling_config:\n      pprof_config:\n        mutex: {enabled: yes please}\n"
bad_config "path without slash" 5 "${J}    profiling_config:\n      pprof_config:\n        heap: {path: debug/pprof/heap}\n"
bad_config "duplicate job" 3 "${J}  - job_name: a\n"
bad_config "missing job_name" 2 "scrape_configs:\n  - scrape_interval: 5s\n"
bad_config "list where a mapping goes" 3 "${J}    profiling_config: [cpu]\n"
out=$("$H" scrape -config="$tmp/none.yaml" -check 2>&1)
if [ $? -eq 1 ] && printf '%s' "$out" | grep -q "none.yaml"; then
	ok "a missing configuration file is named"
else
	bad "a missing configuration file is named" "$out"
fi
out=$("$H" scrape -rounds=x -config=a 2>&1)
[ $? -eq 2 ] && ok "a bad option is a usage error" || bad "a bad option is a usage error" "$out"

if ! command -v go >/dev/null 2>&1 || ! command -v hey >/dev/null 2>&1; then
	echo "SKIP: no go or hey on PATH; only the configuration checks ran"
	echo "$pass passed, $fail failed"
	[ $fail -eq 0 ]
	exit
fi
if ! "$HS" serve -h >/dev/null 2>&1; then
	echo "SKIP: this hearth has no serve yet; only the configuration checks ran"
	echo "$pass passed, $fail failed"
	[ $fail -eq 0 ]
	exit
fi

# ---- Subjects, bad targets, the server ------------------------------------
if ! (cd tests/subjects/netsubject && go build -o "$tmp/netsubject" .) >"$tmp/build.log" 2>&1; then
	bad "go build tests/subjects/netsubject" "$(tail -n 5 "$tmp/build.log")"
	echo "$pass passed, $fail failed"
	exit 1
fi
for i in 1 2; do
	"$tmp/netsubject" -addr_file "$tmp/addr$i" -parked 20 >/dev/null 2>&1 &
	pids="$pids $!"
done
python3 tests/cli/scrape_stub.py "$tmp/stubport" &
pids="$pids $!"
n=0
while { [ ! -s "$tmp/addr1" ] || [ ! -s "$tmp/addr2" ] || [ ! -s "$tmp/stubport" ]; } && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
A1=$(cat "$tmp/addr1")
A2=$(cat "$tmp/addr2")
S=127.0.0.1:$(cat "$tmp/stubport")

# The long run: SCRAPE_SECONDS of scrapes every SCRAPE_INTERVAL seconds; the
# server is killed SCRAPE_KILL_AT seconds in and stays down SCRAPE_OUTAGE
# seconds (longer than the push backoff's 15 s cap, so the spool is what
# carries the profiles across).  make soak (bench/soak.sh) runs the same
# with a ten-minute outage.
IV=${SCRAPE_INTERVAL:-2}
SECS=${SCRAPE_SECONDS:-180}
KILL_AT=${SCRAPE_KILL_AT:-20}
OUTAGE=${SCRAPE_OUTAGE:-75}
R=$((SECS / IV))
for a in "$A1" "$A2"; do
	hey -z $((SECS + 60))s -c 2 -q 50 "http://$a/work" >/dev/null 2>&1 &
	pids="$pids $!"
done

data=$tmp/data
serve_pid=""
start_serve() { # listen address
	"$HS" serve -listen="$1" -data="$data" >"$tmp/serve.out" 2>"$tmp/serve.err" &
	serve_pid=$!
	pids="$pids $serve_pid"
	n=0
	while ! grep -q "^Serving hearth on http://" "$tmp/serve.out" &&
		kill -0 "$serve_pid" 2>/dev/null && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	URL=$(sed -n 's|^Serving hearth on \(http://[^/]*\)/$|\1|p' "$tmp/serve.out" | tail -n 1)
}
# start_scrape NAME ARG...: hearth scrape ARG... -listen=127.0.0.1:0 in the
# background, its output in $tmp/NAME.out and .err; sets spid, and SURL to
# its metrics address (empty when it did not say within 30 s).
start_scrape() {
	f=$tmp/$1
	shift
	# Not an earlier run's "Serving" line: the child truncates the file
	# only once it runs, maybe after the first look below.
	rm -f "$f.out" "$f.err"
	"$H" scrape "$@" -listen=127.0.0.1:0 >"$f.out" 2>"$f.err" &
	spid=$!
	pids="$pids $spid"
	n=0
	while ! grep -q "^Serving hearth scrape metrics" "$f.out" 2>/dev/null &&
		kill -0 "$spid" 2>/dev/null && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	SURL=$(sed -n 's|^Serving hearth scrape metrics on \(http://[^/]*\)/metrics$|\1|p' "$f.out")
}
start_serve 127.0.0.1:0
if [ -z "$URL" ]; then
	bad "hearth serve starts" "$(cat "$tmp/serve.err")"
	echo "$pass passed, $fail failed"
	exit 1
fi
TOKEN=$("$HS" token create -data="$data" -tenant=scrapetest | tail -n 1)

cat >"$tmp/scrape.yaml" <<EOF
global:
  scrape_interval: ${IV}s
  scrape_timeout: 1s
scrape_configs:
  - job_name: net
    # A short CPU profile: a round is done well within the interval, so
    # none is skipped on a loaded machine; a timeout with room for a slow
    # answer (the Go programs are busy).
    scrape_timeout: 1500ms
    profiling_config:
      pprof_config:
        cpu: {seconds: 1}
    static_configs:
      - targets: ['$A1', '$A2']
        labels: {env: test}
  # (No cpu for these: a hanging one would hold each round for its
  # seconds and the timeout, past the interval.)
  - job_name: garbage
    profiling_config: {path_prefix: /garbage, pprof_config: {cpu: {enabled: false}}}
    static_configs: [{targets: ['$S']}]
  - job_name: hang
    profiling_config: {path_prefix: /hang, pprof_config: {cpu: {enabled: false}}}
    static_configs: [{targets: ['$S']}]
  - job_name: huge
    body_size_limit: 1MB
    profiling_config: {path_prefix: /huge, pprof_config: {cpu: {enabled: false}}}
    static_configs: [{targets: ['$S']}]
EOF
t0=$(date +%s)
start_scrape scrape -config="$tmp/scrape.yaml" -push="$URL" -token="$TOKEN" -spool="$tmp/spool" \
	-save="$tmp/raw" -rounds=$R
scrape_pid=$spid
M=$SURL
echo "# the long run: $R rounds every ${IV}s; the server down from ${KILL_AT}s for ${OUTAGE}s"

# ---- The outage: kill -9, down OUTAGE seconds, restarted -------------------
sleep_until() { # seconds since t0
	d=$(($1 - ($(date +%s) - t0)))
	[ $d -gt 0 ] && sleep $d
}
sleep_until "$KILL_AT"
kill -9 "$serve_pid"
wait "$serve_pid" 2>/dev/null

# /targets every 2 s while the server is down (a snapshot may catch a
# target in a slow moment of a loaded machine: the check below looks at all).
(
	i=0
	while :; do
		i=$((i + 1))
		curl -s "$M/targets" >"$tmp/targets.$i.json"
		sleep 2
	done
) &
tpoll=$!
pids="$pids $tpoll"

# While the server is down (and the scraper spools), the shorter checks,
# which need neither: the outage lasts longer than they take.
# ---- hearth serve -scrape: the same loop inside the server ----------------
cat >"$tmp/inside.yaml" <<EOF
scrape_configs:
  - job_name: inside
    scrape_interval: 1s
    profiling_config:
      pprof_config:
        cpu: {enabled: false}
    static_configs: [{targets: ['$A1']}]
EOF
"$HS" serve -listen=127.0.0.1:0 -data="$tmp/data2" -scrape="$tmp/inside.yaml" \
	-scrape_tenant=inside >"$tmp/serve2.out" 2>"$tmp/serve2.err" &
s2=$!
pids="$pids $s2"
n=0
while ! grep -q "^Serving hearth on" "$tmp/serve2.out" && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
U2=$(sed -n 's|^Serving hearth on \(http://[^/]*\)/$|\1|p' "$tmp/serve2.out")
T2=$("$HS" token create -data="$tmp/data2" -tenant=inside | tail -n 1)
n=0
got=""
while [ $n -lt 40 ]; do
	got=$(curl -s -H "Authorization: Bearer $T2" "$U2/api/v1/profiles?query=%7Bservice%3D%22inside%22%7D&from=-1h&until=now&limit=1000" |
		python3 -c 'import json,sys; print(" ".join(sorted(set(p["type"] for p in json.load(sys.stdin)["profiles"]))))' 2>/dev/null)
	[ "$got" = "allocs block goroutine heap mutex threadcreate" ] && break
	sleep 0.25
	n=$((n + 1))
done
if [ "$got" = "allocs block goroutine heap mutex threadcreate" ]; then
	ok "hearth serve -scrape: the server scrapes its targets into the tenant (types: $got)"
else
	bad "hearth serve -scrape" "types stored: $got" "$(tail -n 3 "$tmp/serve2.err")"
fi
kill "$s2"
wait "$s2"
rc=$?
[ $rc -eq 0 ] && ok "hearth serve -scrape stops cleanly on SIGTERM" ||
	bad "hearth serve -scrape on SIGTERM: exit $rc" "$(tail -n 3 "$tmp/serve2.err")"

# ---- Discovery: a file_sd file re-read when it changes; DNS A + relabel ----
P1=${A1##*:}
cat >"$tmp/sd.yaml" <<EOF
scrape_configs:
  - job_name: files
    scrape_interval: 1s
    profiling_config:
      pprof_config:
        cpu: {enabled: false}
        memstats: {enabled: false}
    file_sd_configs:
      - files: ['sd/*.json']
  - job_name: dns
    scrape_interval: 1s
    profiling_config:
      pprof_config:
        cpu: {enabled: false}
    dns_sd_configs:
      - names: [localhost]
        type: A
        port: $P1
    relabel_configs:
      - source_labels: [__address__]
        regex: '127\..*'
        action: keep
      - source_labels: [__meta_dns_name]
        target_label: resolved
EOF
mkdir -p "$tmp/sd"
printf '[{"targets": ["%s"], "labels": {"zone": "a"}}]\n' "$A1" >"$tmp/sd/t.json"
start_scrape sd -config="$tmp/sd.yaml"
sd_pid=$spid
SM=$SURL
cat >"$tmp/sd_check.py" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["targets"]
job, inst, kv = sys.argv[2], sys.argv[3], sys.argv[4].split("=", 1)
gone = sys.argv[5] if len(sys.argv) > 5 else None
ok = any(x["job"] == job and x["instance"] == inst and x["labels"].get(kv[0]) == kv[1]
         and x["health"] == "up" for x in t)
ok = ok and not any(x["job"] == job and x["instance"] == gone for x in t)
sys.exit(0 if ok else 1)
EOF
# targets_have JOB INSTANCE LABEL=VALUE [GONE_INSTANCE]: waits up to 30 s.
targets_have() {
	n=0
	while [ $n -lt 150 ]; do
		curl -s "$SM/targets" >"$tmp/sd.json"
		python3 "$tmp/sd_check.py" "$tmp/sd.json" "$@" 2>/dev/null && return 0
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}
if [ -n "$SM" ] && targets_have files "$A1" zone=a; then
	ok "file_sd: the file's target is scraped, with its labels"
else
	bad "file_sd: the file's target" "$(cat "$tmp/sd.json")" "$(cat "$tmp/sd.err")"
fi
printf '[{"targets": ["%s"], "labels": {"zone": "b"}}]\n' "$A2" >"$tmp/sd/t.json.new"
mv "$tmp/sd/t.json.new" "$tmp/sd/t.json"
if [ -n "$SM" ] && targets_have files "$A2" zone=b "$A1"; then
	ok "file_sd: a changed file is re-read (the new target in, the old one out)"
else
	bad "file_sd: a changed file is re-read" "$(cat "$tmp/sd.json")"
fi
if [ -n "$SM" ] && targets_have dns "127.0.0.1:$P1" resolved=localhost; then
	ok "dns_sd: localhost's A record, relabeled (keep 127.*, __meta_dns_name copied)"
else
	bad "dns_sd: localhost's A record" "$(cat "$tmp/sd.json")"
fi
kill "$sd_pid"
wait "$sd_pid"
rc=$?
[ $rc -eq 0 ] && ok "hearth scrape stops cleanly on SIGTERM" ||
	bad "hearth scrape on SIGTERM: exit $rc" "$(tail -n 3 "$tmp/sd.err")"

# ---- DNS discovery against a real DNS server: dnsmasq on loopback ---------
# Debian's dnsmasq serves an A record from a hosts file and an SRV record,
# on a free port; hearth scrape -dns_server points its resolver there.
free_udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
P2=${A2##*:}
DNSMASQ=$(command -v dnsmasq || { [ -x /usr/sbin/dnsmasq ] && echo /usr/sbin/dnsmasq; })
if [ -n "$DNSMASQ" ]; then
	mkdir -p "$tmp/dns"
	printf '127.0.0.1 pprof.hearth.test\n' >"$tmp/dns/hosts"
	# A port found free can be taken before dnsmasq binds it (other suites
	# run beside this one): up to three tries, each on a new port.
	tries=0
	while [ $tries -lt 3 ]; do
		tries=$((tries + 1))
		DP=$(free_udp_port)
		"$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --port="$DP" --listen-address=127.0.0.1 \
			--bind-interfaces --no-resolv --no-hosts --addn-hosts="$tmp/dns/hosts" \
			--srv-host="_pprof._tcp.hearth.test,localhost,$P2" --pid-file="$tmp/dns/pid" \
			--user="$(id -un)" --group="$(id -gn)" --log-facility="$tmp/dns/log" \
			2>>"$tmp/dns/stderr" &
		dns_pid=$!
		# Ready once it has read its hosts file (it listens before that).
		n=0
		while ! grep -q "read $tmp/dns/hosts" "$tmp/dns/log" 2>/dev/null && [ $n -lt 300 ] &&
			kill -0 "$dns_pid" 2>/dev/null; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -0 "$dns_pid" 2>/dev/null && break
		wait "$dns_pid"
		echo "# dnsmasq on port $DP exited: $(tail -n 2 "$tmp/dns/stderr")"
	done
	pids="$pids $dns_pid"
	cat >"$tmp/dns.yaml" <<EOF
scrape_configs:
  - job_name: dnsa
    scrape_interval: 1s
    profiling_config:
      pprof_config:
        cpu: {enabled: false}
    dns_sd_configs:
      - names: [pprof.hearth.test]
        type: A
        port: $P1
        refresh_interval: 1s
    relabel_configs:
      - source_labels: [__meta_dns_name]
        target_label: resolved
  - job_name: dnssrv
    scrape_interval: 1s
    profiling_config:
      pprof_config:
        cpu: {enabled: false}
    dns_sd_configs:
      - names: [_pprof._tcp.hearth.test]
        refresh_interval: 1s
    relabel_configs:
      - source_labels: [__meta_dns_srv_record_port]
        target_label: srvport
EOF
	start_scrape sddns -config="$tmp/dns.yaml" -dns_server="127.0.0.1:$DP"
	sd_pid=$spid
	SM=$SURL
	if [ -n "$SM" ] && targets_have dnsa "127.0.0.1:$P1" resolved=pprof.hearth.test; then
		ok "dns_sd A from dnsmasq (-dns_server=127.0.0.1:$DP): pprof.hearth.test scraped, relabeled"
	else
		bad "dns_sd A from dnsmasq" "$(cat "$tmp/sd.json")" "$(tail -n 3 "$tmp/sddns.err")" "$(tail -n 3 "$tmp/dns/log")" "$(tail -n 3 "$tmp/dns/stderr")"
	fi
	if [ -n "$SM" ] && targets_have dnssrv "localhost:$P2" srvport="$P2"; then
		ok "dns_sd SRV from dnsmasq: _pprof._tcp.hearth.test's target and port scraped"
	else
		bad "dns_sd SRV from dnsmasq" "$(cat "$tmp/sd.json")" "$(tail -n 3 "$tmp/dns/log")"
	fi
	kill "$sd_pid"
	wait "$sd_pid"
else
	echo "SKIP: no dnsmasq (Debian's dnsmasq-base): DNS discovery against a DNS server not run"
fi

# ---- A DNS server that never answers holds up no scrape --------------------
# It logs each query and answers none.  While a lookup is out (a query was
# received and no failure counted yet), the static target's scrapes must go
# on: the lookup runs on the resolver thread, not in the scrape loop.
cat >"$tmp/hangdns.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
n = 0
while True:
    s.recvfrom(4096)
    n += 1
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write("%d\n" % n)
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
EOF
python3 "$tmp/hangdns.py" "$tmp/hangport" "$tmp/hangq" &
pids="$pids $!"
n=0
while [ ! -s "$tmp/hangport" ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
cat >"$tmp/hang.yaml" <<EOF
scrape_configs:
  - job_name: static
    scrape_interval: 500ms
    profiling_config:
      pprof_config:
        cpu: {enabled: false}
        heap: {enabled: false}
        allocs: {enabled: false}
        block: {enabled: false}
        mutex: {enabled: false}
        threadcreate: {enabled: false}
        memstats: {enabled: false}
    static_configs: [{targets: ['$A1']}]
  - job_name: slowdns
    dns_sd_configs:
      - names: [slow.hearth.test]
        type: A
        port: $P1
        refresh_interval: 1s
EOF
start_scrape hang -config="$tmp/hang.yaml" -dns_server="127.0.0.1:$(cat "$tmp/hangport")"
hang_pid=$spid
HM=$SURL
cat >"$tmp/hang_check.py" <<'EOF'
import os, re, sys, time, urllib.request
url, qfile = sys.argv[1], sys.argv[2]
def read():
    scrapes = errors = 0
    for l in urllib.request.urlopen(url + "/metrics", timeout=10).read().decode().splitlines():
        if re.match(r'hearth_scrape_scrapes_total\{job="static",.*type="goroutine"\} ', l):
            scrapes = int(float(l.split()[-1]))
        if l.startswith("hearth_scrape_discovery_errors_total "):
            errors = int(float(l.split()[-1]))
    return scrapes, errors
def queries():
    return int(open(qfile).read()) if os.path.exists(qfile) else 0
# A lookup is out from the first query the DNS server gets after the last
# failure counted, until the next failure: the scrapes counted in that
# window must go on.  (Between a failure and the next lookup, a second at
# refresh_interval, the scrapes would go on even if lookups blocked the
# loop: that gap is not watched.)
end = time.time() + 60
e_seen, q_at, c0 = None, 0, None
while time.time() < end:
    c, e = read()
    q = queries()
    if e != e_seen:
        e_seen, q_at, c0 = e, q, None  # a lookup gave up: wait for the next one
    elif q > q_at:
        if c0 is None:
            c0, q0 = c, q
        elif c >= c0 + 3:
            print("%d scrapes while one lookup hung (the DNS server had %d queries, none answered)" % (c - c0, q0))
            sys.exit(0)
    time.sleep(0.1)
print("no three scrapes during a hanging lookup in 60 s (scrapes %d, failed lookups %d)" % read())
sys.exit(1)
EOF
if [ -n "$HM" ] && python3 "$tmp/hang_check.py" "$HM" "$tmp/hangq" >"$tmp/hang.check" 2>&1; then
	ok "a DNS server that never answers: $(cat "$tmp/hang.check")"
else
	bad "scrapes go on while a DNS lookup hangs" "$(cat "$tmp/hang.check")" "$(tail -n 3 "$tmp/hang.err")"
fi
kill "$hang_pid"
wait "$hang_pid"
rc=$?
[ $rc -eq 0 ] && ok "hearth scrape stops on SIGTERM while a DNS lookup hangs" ||
	bad "hearth scrape on SIGTERM with a hanging lookup: exit $rc" "$(tail -n 3 "$tmp/hang.err")"
# Three names on that server, refreshed every second (sooner than a lookup
# gives up): each is asked in its turn, none starved by the others, so
# -targets, which waits for every name's first answer, ends.
cat >"$tmp/hang3.yaml" <<EOF
scrape_configs:
  - job_name: slow3
    dns_sd_configs:
      - names: [a.hearth.test, b.hearth.test]
        type: A
        port: $P1
        refresh_interval: 1s
      - names: [_pprof._tcp.c.hearth.test]
        refresh_interval: 1s
EOF
timeout 120 "$H" scrape -config="$tmp/hang3.yaml" -dns_server="127.0.0.1:$(cat "$tmp/hangport")" -targets \
	>"$tmp/hang3.out" 2>"$tmp/hang3.err"
rc=$?
[ $rc -eq 0 ] && ok "hearth scrape -targets with three names on a DNS server that never answers ends (each asked in turn)" ||
	bad "hearth scrape -targets, three hanging names: exit $rc (124: still waiting after 120 s)" "$(tail -n 3 "$tmp/hang3.err")"

# ---- The outage, continued -------------------------------------------------
# Half-way through the outage: the spool holds what waits, failures counted.
sleep_until $((KILL_AT + OUTAGE / 2))
curl -s "$M/metrics" >"$tmp/metrics.down"
sleep_until $((KILL_AT + OUTAGE))
kill "$tpoll"
hostport=${URL#http://}
# The port may be held a moment by a client's outgoing connection (the
# kernel hands out ephemeral ports from the same range): a few tries.
for try in 1 2 3; do
	start_serve "$hostport"
	[ "$URL" = "http://$hostport" ] && break
	kill -0 "$serve_pid" 2>/dev/null && break
	sleep 1
done
if [ "$URL" = "http://$hostport" ]; then
	ok "hearth serve restarted on $hostport after kill -9 and $((OUTAGE))s down"
else
	bad "hearth serve restarted on $hostport" "$(cat "$tmp/serve.err")" \
		"$(kill -0 "$serve_pid" 2>/dev/null && echo 'running, no "Serving" line in 30 s' || echo exited)"
fi

# The rounds left, then the spool drained: up to twice the planned time.
n=0
while kill -0 "$scrape_pid" 2>/dev/null && [ $n -lt $((SECS * 20 + 600)) ]; do
	sleep 0.1
	n=$((n + 1))
done
if kill -0 "$scrape_pid" 2>/dev/null; then
	bad "hearth scrape -rounds=$R finishes" "$(tail -n 5 "$tmp/scrape.err")"
	kill -9 "$scrape_pid"
else
	wait "$scrape_pid"
	rc=$?
	[ $rc -eq 0 ] && ok "hearth scrape -rounds=$R finished after $(($(date +%s) - t0))s, spool sent" ||
		bad "hearth scrape exit status $rc" "$(tail -n 5 "$tmp/scrape.err")"
fi

python3 - "$tmp/metrics.down" <<'EOF' >"$tmp/down.check" && ok "while the server was down: $(cat "$tmp/down.check")" || bad "/metrics while the server was down" "$(grep -E 'push_failures|spool_items|evicted' "$tmp/metrics.down")"
import sys
m = {}
for l in open(sys.argv[1]):
    if l.startswith("#") or " " not in l:
        continue
    k, v = l.rsplit(" ", 1)
    m[k] = float(v)
f, i, e, b = (m.get("hearth_scrape_" + k, -1) for k in ("push_failures_total", "spool_items", "spool_evicted_items_total", "spool_bytes"))
print("%d push failures counted, %d items (%.1f MB) in the spool, %d evicted" % (f, i, b / 1e6, e))
sys.exit(0 if f > 0 and i > 0 and e == 0 else 1)
EOF

# ---- Bad targets: down, with the reason; the others up ---------------------
python3 - "$tmp" <<'EOF' >"$tmp/targets.check" 2>&1 && ok "bad targets reported (garbage: not a profile, hang: timed out, huge: capped) while the Go targets are up: $(cat "$tmp/targets.check")" || bad "bad targets reported" "$(cat "$tmp/targets.check")"
import glob, json, sys
# Over the snapshots of /targets taken during the outage: each bad target
# was down with its reason, each Go target up, in at least one (most, on a
# machine that is not overloaded: a 1 s timeout can catch a Go program in
# a slow moment, and the cap a body that arrives too slowly to reach it).
want = {"garbage": "not a profile", "hang": "timed out", "huge": "larger than"}
seen, snaps = {}, 0
for f in glob.glob(sys.argv[1] + "/targets.*.json"):
    try:
        t = json.load(open(f))["targets"]
    except Exception:
        continue
    snaps += 1
    for x in t:
        k = (x["job"], x["instance"])
        if x["job"] in want:
            # the target's error is its first failing type's; any type may
            # be the one that shows the reason
            errs = [x["error"]] + [ty["error"] for ty in x.get("types", [])]
            good = x["health"] == "down" and any(want[x["job"]] in e for e in errs)
        else:
            good = x["health"] == "up"
        seen.setdefault(k, [0, ""])
        seen[k][0] += good
        if not good:
            seen[k][1] = "%s %s" % (x["health"], x["error"])
bad = [k for k, v in seen.items() if not v[0]]
for k in bad:
    print("%s %s: never as expected, e.g. %s" % (k[0], k[1], seen[k][1]))
if not snaps or len(seen) != 5:
    print("%d snapshots, %d targets" % (snaps, len(seen))); bad = True
if not bad:
    print("%d snapshots of /targets; as expected in %s of them" % (snaps, ", ".join("%s %d" % (k[0], v[0]) for k, v in sorted(seen.items()))))
sys.exit(1 if bad else 0)
EOF

# ---- Counts: every scrape stored once, in order -----------------------------
# The list may lag the last pushes by a moment: asked again for a few
# seconds until it matches.
n=0
while :; do
	python3 tests/cli/scrape_check.py counts "$URL" "$TOKEN" "$tmp/raw" net $R "$A1" "$A2" >"$tmp/count.check" 2>&1
	st=$?
	[ $st -eq 0 ] || [ $n -ge 10 ] && break
	sleep 0.5
	n=$((n + 1))
done
if [ $st -eq 0 ]; then
	ok "stored profiles per target and type = scrapes that worked (cumulative types one fewer), across a ${OUTAGE}s outage: $(tail -n 1 "$tmp/count.check")"
else
	bad "stored profiles per target and type, each once, in order" "$(head -n 8 "$tmp/count.check")"
fi

# ---- Deltas: hearth top -base of the two raw scrapes ----------------------
mkdir -p "$tmp/dl"
if python3 tests/cli/scrape_check.py deltas "$H" "$URL" "$TOKEN" "$tmp/raw" net "$tmp/dl" "$A1" "$A2" >"$tmp/delta.check" 2>&1; then
	ok "each stored allocs delta = hearth top -base=PREV CUR of its raw scrapes: $(tail -n 1 "$tmp/delta.check")"
else
	bad "allocs deltas = hearth top -base of the raw scrapes" "$(head -n 6 "$tmp/delta.check")"
fi

# ---- GC figures: those of a saved heap?debug=1 -----------------------------
inst=$(printf '%s' "$A1" | tr ':' '_')
python3 - "$tmp/metrics.down" "$tmp/raw/net/$inst/memstats" "$A1" <<'EOF' >"$tmp/gc.check" 2>&1 && ok "/metrics GC figures (NumGC, HeapAlloc, NextGC, GCCPUFraction) = a saved heap?debug=1 MemStats of the target" || bad "/metrics GC figures = a saved MemStats" "$(cat "$tmp/gc.check")"
import os, re, sys
want = {}
for l in open(sys.argv[1]):
    m = re.match(r'(hearth_target_\w+)\{job="net",instance="%s"\} (\S+)$' % re.escape(sys.argv[3]), l)
    if m:
        want[m.group(1)] = float(m.group(2))
names = {"NumGC": "hearth_target_gc_count", "HeapAlloc": "hearth_target_heap_alloc_bytes",
         "NextGC": "hearth_target_heap_goal_bytes", "GCCPUFraction": "hearth_target_gc_cpu_fraction"}
missing = sorted(set(names.values()) - want.keys())
if missing:
    print("missing GC metrics:", missing, want); sys.exit(1)
for f in sorted(os.listdir(sys.argv[2])):
    ms = {}
    for l in open(os.path.join(sys.argv[2], f)):
        m = re.match(r"# (\w+) = (\S+)$", l)
        if m and m.group(1) in names:
            ms[names[m.group(1)]] = float(m.group(2))
    if all(k in ms and abs(ms[k] - want[k]) <= 1e-9 * max(1, abs(want[k])) for k in names.values()):
        sys.exit(0)
print("no saved MemStats matches", want); sys.exit(1)
EOF

# ---- GC series in the server: one point per MemStats scrape, its values ----
n=0
while :; do
	python3 tests/cli/scrape_check.py gc "$URL" "$TOKEN" "$tmp/raw" net "$A1" "$A2" >"$tmp/gcs.check" 2>&1
	st=$?
	[ $st -eq 0 ] || [ $n -ge 10 ] && break
	sleep 0.5
	n=$((n + 1))
done
if [ $st -eq 0 ]; then
	ok "GC series in the server (/api/v1/metrics: gc_count, heap_alloc, heap_goal, heap_inuse, GC CPU, pause total) = the MemStats of the same scrapes, one point each across the outage ($(tail -n 1 "$tmp/gcs.check"))"
else
	bad "GC series in the server = the MemStats of the same scrapes" "$(head -n 6 "$tmp/gcs.check")"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
