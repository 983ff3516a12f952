#!/bin/sh
# hearth scrape against real Go programs and a real hearth serve.
#
#   tests/cli/scrape.sh BUILD_DIR
#
# - bad configurations, one per kind of mistake: refused, naming the line;
# - two netsubject programs under hey load, scraped every 2 s for a fixed
#   number of rounds (-rounds), pushing to `hearth serve`, which is killed
#   (kill -9) during the run and restarted on the same port and data
#   directory a few seconds later: the stored profiles per target and type
#   are counted through GET /api/v1/profiles and must equal the scrapes
#   (the cumulative types one fewer: the first scrape is only a base), so
#   nothing was lost or stored twice;
# - each stored allocs delta equals `hearth top -base=PREV CUR` of the two
#   raw scrapes it came from (-save keeps them);
# - the GC figures of /metrics are those of a saved heap?debug=1 scrape;
# - targets that answer garbage, hang, or send an endless body, in the same
#   run: reported down with the reason on /targets while the others go on;
# - discovery: a file_sd file edited while hearth scrape runs is re-read
#   (the new target in, the old out); localhost's DNS A record with a
#   relabel keep; SIGTERM stops it cleanly.
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
trap cleanup EXIT INT TERM

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
for a in "$A1" "$A2"; do
	hey -z 60s -c 2 -q 50 "http://$a/work" >/dev/null 2>&1 &
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
start_serve 127.0.0.1:0
if [ -z "$URL" ]; then
	bad "hearth serve starts" "$(cat "$tmp/serve.err")"
	echo "$pass passed, $fail failed"
	exit 1
fi
TOKEN=$("$HS" token create -data="$data" -tenant=scrapetest | tail -n 1)

R=6
cat >"$tmp/scrape.yaml" <<EOF
global:
  scrape_interval: 2s
  scrape_timeout: 1s
scrape_configs:
  - job_name: net
    static_configs:
      - targets: ['$A1', '$A2']
        labels: {env: test}
  - job_name: garbage
    profiling_config: {path_prefix: /garbage}
    static_configs: [{targets: ['$S']}]
  - job_name: hang
    profiling_config: {path_prefix: /hang}
    static_configs: [{targets: ['$S']}]
  - job_name: huge
    body_size_limit: 1MB
    profiling_config: {path_prefix: /huge}
    static_configs: [{targets: ['$S']}]
EOF
"$H" scrape -config="$tmp/scrape.yaml" -push="$URL" -token="$TOKEN" -spool="$tmp/spool" \
	-save="$tmp/raw" -rounds=$R -listen=127.0.0.1:0 >"$tmp/scrape.out" 2>"$tmp/scrape.err" &
scrape_pid=$!
pids="$pids $scrape_pid"
n=0
while ! grep -q "^Serving hearth scrape metrics" "$tmp/scrape.out" && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
M=$(sed -n 's|^Serving hearth scrape metrics on \(http://[^/]*\)/metrics$|\1|p' "$tmp/scrape.out")

# The server dies after the first rounds and stays down a while.
sleep 4
kill -9 "$serve_pid"
wait "$serve_pid" 2>/dev/null
sleep 5
curl -s "$M/metrics" >"$tmp/metrics.down"
curl -s "$M/targets" >"$tmp/targets.json"
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
	ok "hearth serve restarted on $hostport after kill -9"
else
	bad "hearth serve restarted on $hostport" "$(cat "$tmp/serve.err")" \
		"$(kill -0 "$serve_pid" 2>/dev/null && echo 'running, no "Serving" line in 30 s' || echo exited)"
fi

n=0
while kill -0 "$scrape_pid" 2>/dev/null && [ $n -lt 900 ]; do
	sleep 0.1
	n=$((n + 1))
done
if kill -0 "$scrape_pid" 2>/dev/null; then
	bad "hearth scrape -rounds=$R finishes" "$(tail -n 5 "$tmp/scrape.err")"
	kill -9 "$scrape_pid"
else
	wait "$scrape_pid"
	rc=$?
	[ $rc -eq 0 ] && ok "hearth scrape -rounds=$R finished, spool sent" ||
		bad "hearth scrape exit status $rc" "$(tail -n 5 "$tmp/scrape.err")"
fi

python3 - "$tmp/metrics.down" <<'EOF' && ok "while the server was down: push failures counted, the spool held profiles" || bad "/metrics while the server was down" "$(grep -E 'push_failures|spool_items' "$tmp/metrics.down")"
import sys
m = {}
for l in open(sys.argv[1]):
    if l.startswith("#") or " " not in l:
        continue
    k, v = l.rsplit(" ", 1)
    m[k] = float(v)
sys.exit(0 if m.get("hearth_scrape_push_failures_total", 0) > 0 and m.get("hearth_scrape_spool_items", 0) > 0 else 1)
EOF

# ---- Bad targets: down, with the reason; the others up ---------------------
python3 - "$tmp/targets.json" <<'EOF' >"$tmp/targets.check" 2>&1 && ok "bad targets reported (garbage: not a profile, hang: timed out, huge: capped) while the Go targets are up" || bad "bad targets reported" "$(cat "$tmp/targets.check")"
import json, sys
t = json.load(open(sys.argv[1]))["targets"]
want = {"garbage": "not a profile", "hang": "timed out", "huge": "larger than"}
bad = 0
for x in t:
    if x["job"] in want:
        if x["health"] != "down" or want[x["job"]] not in x["error"]:
            print("job %s: %s %s" % (x["job"], x["health"], x["error"])); bad = 1
    elif x["health"] != "up":
        print("job %s %s: %s %s" % (x["job"], x["instance"], x["health"], x["error"])); bad = 1
sys.exit(bad)
EOF

# ---- Counts: every scrape stored once --------------------------------------
# The list may lag the last pushes by a moment: asked again for a few
# seconds until it matches.
n=0
while :; do
	curl -s -H "Authorization: Bearer $TOKEN" \
		"$URL/api/v1/profiles?query=%7Bservice%3D%22net%22%7D&from=-1h&until=now&limit=1000" >"$tmp/profiles.json"
	python3 - "$tmp/profiles.json" "$tmp/raw/net" "$A1" "$A2" $R <<'EOF' >"$tmp/count.check" 2>&1
import json, os, sys
ps = json.load(open(sys.argv[1]))["profiles"]
R = int(sys.argv[5])
count = {}
for p in ps:
    k = (p["labels"].get("instance"), p["type"])
    count[k] = count.get(k, 0) + 1
bad = 0
for inst in sys.argv[3:5]:
    for t in ["cpu", "goroutine", "threadcreate", "heap", "allocs", "block", "mutex"]:
        # The scrapes that worked are the raw files -save kept; a slow
        # answer under load may have failed one (it is on /targets).
        d = os.path.join(sys.argv[2], inst.replace(":", "_"), t)
        raw = len(os.listdir(d)) if os.path.isdir(d) else 0
        want = raw - 1 if t in ("heap", "allocs", "block", "mutex") else raw
        got = count.get((inst, t), 0)
        print("%s %s: %d stored, want %d (%d of %d scrapes worked)" % (inst, t, got, want, raw, R))
        bad |= got != want or raw < R - 1
sys.exit(bad)
EOF
	st=$?
	[ $st -eq 0 ] || [ $n -ge 10 ] && break
	sleep 0.5
	n=$((n + 1))
done
[ $st -eq 0 ]
if [ $? -eq 0 ]; then
	ok "stored profiles per target and type = scrapes that worked ($(grep -c "$R of $R" "$tmp/count.check") of 14 had all $R; cumulative types one fewer): nothing lost or duplicated across the outage"
else
	bad "stored profiles per target and type" "$(grep -v ': \([0-9]*\) stored, want \1 ' "$tmp/count.check" | head -n 8)"
fi

# ---- Deltas: hearth top -base of the two raw scrapes ----------------------
inst=$(printf '%s' "$A1" | tr ':' '_')
raw=$tmp/raw/net/$inst/allocs
ids=$(python3 -c '
import json, sys
ps = [p for p in json.load(open(sys.argv[1]))["profiles"]
      if p["type"] == "allocs" and p["labels"].get("instance") == sys.argv[2]]
ps.sort(key=lambda p: p["time"])
print(" ".join(str(p["id"]) for p in ps))' "$tmp/profiles.json" "$A1")
i=1
dbad=""
nd=0
for id in $ids; do
	prev=$(printf '%s/%06d.pb.gz' "$raw" $i)
	cur=$(printf '%s/%06d.pb.gz' "$raw" $((i + 1)))
	curl -s -H "Authorization: Bearer $TOKEN" "$URL/api/v1/profiles/$id" >"$tmp/d.pb.gz"
	for si in alloc_space alloc_objects; do
		"$H" top -sample_index=$si -nodecount=50 "$tmp/d.pb.gz" 2>&1 | sed -n '/flat%/,$p' >"$tmp/a.txt"
		"$H" top -sample_index=$si -nodecount=50 -base="$prev" "$cur" 2>&1 | sed -n '/flat%/,$p' >"$tmp/b.txt"
		if ! cmp -s "$tmp/a.txt" "$tmp/b.txt" || [ ! -s "$tmp/a.txt" ]; then
			dbad="$dbad $id/$si"
			diff "$tmp/a.txt" "$tmp/b.txt" | head -n 6 >"$tmp/d.diff"
		fi
	done
	nd=$((nd + 1))
	i=$((i + 1))
done
if [ -z "$dbad" ] && [ $nd -eq $((R - 1)) ]; then
	ok "each of the $nd stored allocs deltas = hearth top -base=PREV CUR of its raw scrapes"
else
	bad "allocs deltas = hearth top -base of the raw scrapes ($nd compared)" "differ:$dbad" "$(cat "$tmp/d.diff" 2>/dev/null)"
fi

# ---- GC figures: those of a saved heap?debug=1 -----------------------------
python3 - "$tmp/metrics.down" "$tmp/raw/net/$inst/memstats" "$A1" <<'EOF' >"$tmp/gc.check" 2>&1 && ok "/metrics GC figures (NumGC, HeapAlloc, NextGC, GCCPUFraction) = a saved heap?debug=1 MemStats of the target" || bad "/metrics GC figures = a saved MemStats" "$(cat "$tmp/gc.check")"
import os, re, sys
want = {}
for l in open(sys.argv[1]):
    m = re.match(r'(hearth_target_\w+)\{job="net",instance="%s"\} (\S+)$' % re.escape(sys.argv[3]), l)
    if m:
        want[m.group(1)] = float(m.group(2))
names = {"NumGC": "hearth_target_gc_count", "HeapAlloc": "hearth_target_heap_alloc_bytes",
         "NextGC": "hearth_target_heap_goal_bytes", "GCCPUFraction": "hearth_target_gc_cpu_fraction"}
if len(want) < 4:
    print("missing GC metrics:", want); sys.exit(1)
for f in sorted(os.listdir(sys.argv[2])):
    ms = {}
    for l in open(os.path.join(sys.argv[2], f)):
        m = re.match(r"# (\w+) = (\S+)$", l)
        if m and m.group(1) in names:
            ms[names[m.group(1)]] = float(m.group(2))
    if all(abs(ms.get(k, -1) - v) <= 1e-9 * max(1, abs(v)) for k, v in want.items() if k in ms.keys() | set(names.values())):
        sys.exit(0)
print("no saved MemStats matches", want); sys.exit(1)
EOF

# ---- GC series in the server: one point per MemStats scrape, its values ----
cat >"$tmp/gcseries.py" <<'EOF'
import json, os, re, sys, urllib.request
url, token, rawdir, inst = sys.argv[1:5]
names = {"gc_count": "NumGC", "heap_alloc_bytes": "HeapAlloc", "heap_goal_bytes": "NextGC",
         "heap_inuse_bytes": "HeapInuse", "gc_cpu_fraction": "GCCPUFraction",
         "gc_pause_total_seconds": "PauseTotalNs"}
raw = []
for f in sorted(os.listdir(rawdir)):
    ms = {}
    for l in open(os.path.join(rawdir, f)):
        m = re.match(r"# (\w+) = (.+)$", l)
        if m:
            ms[m.group(1)] = m.group(2)
    raw.append(ms)
bad = 0
for name, field in names.items():
    q = "%s/api/v1/metrics?service=net&name=%s&from=-1h&until=now" % (url, name)
    req = urllib.request.Request(q, headers={"Authorization": "Bearer " + token})
    series = json.load(urllib.request.urlopen(req))["series"]
    pts = [s["points"] for s in series if s["labels"].get("instance") == inst]
    got = [p[1] for p in pts[0]] if pts else []
    if field == "PauseTotalNs":  # not printed by Go: the sum of PauseNs while it holds all
        want = [sum(int(x) for x in r["PauseNs"].strip("[]").split()[:int(r["NumGC"])]) / 1e9
                for r in raw if int(r["NumGC"]) <= 256]
    else:
        want = [float(r[field]) for r in raw]
    if len(got) != len(want) or any(abs(a - b) > 1e-9 * max(1, abs(b)) for a, b in zip(got, want)):
        print("%s: server %s, MemStats %s" % (name, got, want))
        bad = 1
print("%d scrapes" % len(raw))
sys.exit(bad)
EOF
n=0
while :; do
	python3 "$tmp/gcseries.py" "$URL" "$TOKEN" "$tmp/raw/net/$inst/memstats" "$A1" >"$tmp/gcs.check" 2>&1
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
"$H" scrape -config="$tmp/sd.yaml" -listen=127.0.0.1:0 >"$tmp/sd.out" 2>"$tmp/sd.err" &
sd_pid=$!
pids="$pids $sd_pid"
n=0
while ! grep -q "^Serving hearth scrape metrics" "$tmp/sd.out" && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
SM=$(sed -n 's|^Serving hearth scrape metrics on \(http://[^/]*\)/metrics$|\1|p' "$tmp/sd.out")
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
# targets_have JOB INSTANCE LABEL=VALUE [GONE_INSTANCE]: waits up to 8 s.
targets_have() {
	n=0
	while [ $n -lt 40 ]; do
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

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
