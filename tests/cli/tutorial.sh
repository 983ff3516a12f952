#!/bin/sh
# docs/tutorial.md, run: every "$ command" of its ```sh blocks, in order, in
# one bash (so cd, variables and background jobs carry over), with HOME a
# temporary directory and the built hearth first on the PATH; then each
# `<!-- check: REGEX -->` under a block must match a line of that block's
# output (stdout and stderr).  Needs go, hey and curl; skipped without them.
#
#   tests/cli/tutorial.sh BUILD_DIR [-v]
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/cli/tutorial.sh BUILD_DIR [-v]}
verbose=
[ "${2:-}" = "-v" ] && verbose=-v
for t in go hey curl bash python3; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "skip: $t is not installed"
		echo "0 passed, 0 failed"
		exit 0
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/home"
# Go's caches stay where they are (a fresh HOME would rebuild the world).
export GOCACHE="${GOCACHE:-$(go env GOCACHE)}" GOMODCACHE="${GOMODCACHE:-$(go env GOMODCACHE)}"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
python3 - "$tmp" "$(pwd)/$build" docs/tutorial.md $verbose <<'EOF'
import os, re, subprocess, sys
tmp, build, md = sys.argv[1], sys.argv[2], sys.argv[3]
verbose = len(sys.argv) > 4
blocks, cur, inblock = [], None, False
for line in open(md, encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("```sh"):
        cur = {"cmds": [], "checks": []}
        blocks.append(cur)
        inblock = True
    elif line.startswith("```") and inblock:
        inblock = False
    elif inblock and line.startswith("$ "):
        cur["cmds"].append(line[2:])
    elif not inblock and cur is not None:
        m = re.match(r"<!-- check: (.*) -->$", line)
        if m:
            cur["checks"].append(m.group(1))
script = ["set +e", "cd %s" % os.getcwd()]
for i, b in enumerate(blocks):
    out = os.path.join(tmp, "out.%d" % i)
    script.append("{")
    script.extend(b["cmds"])
    script.append("} >%s 2>&1 </dev/null" % out)
# Whatever the tutorial left running is stopped.
script.append("kill $(jobs -p) 2>/dev/null; wait 2>/dev/null")
env = dict(os.environ, HOME=os.path.join(tmp, "home"), PATH=build + ":" + os.environ["PATH"],
           TZ="UTC")
subprocess.run(["timeout", "300", "bash", "-c", "\n".join(script)], env=env)
passed = failed = 0
for i, b in enumerate(blocks):
    try:
        text = open(os.path.join(tmp, "out.%d" % i), encoding="utf-8", errors="replace").read()
    except OSError:
        text = None
    first = b["cmds"][0] if b["cmds"] else "?"
    if text is None:
        failed += 1
        print("FAIL block %d (%s): did not run" % (i + 1, first))
        continue
    for c in b["checks"]:
        if re.search(c, text, re.M):
            passed += 1
            if verbose:
                print("ok   block %d: %s" % (i + 1, c))
        else:
            failed += 1
            print("FAIL block %d (%s): no line matches %s" % (i + 1, first, c))
            for l in text.splitlines()[-8:]:
                print("     " + l)
    if not b["checks"]:
        passed += 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
