#!/usr/bin/env bash
# Compares two tiercheck binaries on the same trees, for changes that must not make the
# scanner slower: wall time interleaved (old, new, ripgrep, old, new, …, so that the
# machine's drift hits all three alike; medians), and instruction counts under callgrind
# (the same for the same binary and input, whatever else the machine does). Checks that
# both binaries print the same JSON first.
#
# Needs: ripgrep, valgrind, python3 with PyYAML; the trees benches/scan_vs.sh prepares.
# Usage: benches/old_vs_new.sh OLD_BINARY NEW_BINARY [WORKDIR]   (default /tmp/tiercheck-bench)
# RUNS=N interleaved rounds (default 40); TREES="pystd crates"; HISTORY=DIR also times
# `scan --history` on the git repository DIR; CALLGRIND=0 skips the instruction counts.
set -euo pipefail
OLD=$(realpath "$1")
NEW=$(realpath "$2")
WORK=${3:-/tmp/tiercheck-bench}
RUNS=${RUNS:-40}
TREES=${TREES:-pystd crates}
cd "$WORK"
"$NEW" policy show > policy.yaml
python3 - <<'PY'
import yaml
rules = yaml.safe_load(open("policy.yaml")).get("rules") or []
kw = sorted({k for r in rules for k in r.get("keywords", [])})
open("keywords.txt", "w").write("".join(k + "\n" for k in kw))
PY
for t in $TREES; do
  "$OLD" scan --format json "$t" > "old-$t.json" || true
  "$NEW" scan --format json "$t" > "new-$t.json" || true
  cmp -s "old-$t.json" "new-$t.json" && echo "$t: same JSON" || echo "$t: JSON DIFFERS"
done
python3 - "$OLD" "$NEW" "$RUNS" "${HISTORY:-}" $TREES <<'PY'
import statistics, subprocess, sys, time
old, new, runs, history, trees = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
def timed(cmd, cwd=None):
    s = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    return time.perf_counter() - s
cases = [(t, {"old": [old, "scan", "--format", "json", t], "new": [new, "scan", "--format", "json", t],
              "rg": ["rg", "--hidden", "-c", "-F", "-f", "keywords.txt", t]}, None) for t in trees]
if history:
    cases.append(("history", {"old": [old, "scan", "--history", "--format", "json", "."],
                              "new": [new, "scan", "--history", "--format", "json", "."]}, history))
for name, cmds, cwd in cases:
    t = {k: [] for k in cmds}
    for c in cmds.values():
        timed(c, cwd)
    for _ in range(runs):
        for k, c in cmds.items():
            t[k].append(timed(c, cwd))
    med = {k: statistics.median(v) * 1000 for k, v in t.items()}
    line = ", ".join(f"{k} {med[k]:.1f} ms (min {min(t[k]) * 1000:.1f})" for k in cmds)
    ratio = f"new/old {med['new'] / med['old']:.3f}"
    if "rg" in med:
        ratio += f"; to rg: old {med['old'] / med['rg']:.2f}x, new {med['new'] / med['rg']:.2f}x"
    print(f"{name}: medians of {runs} interleaved runs: {line}; {ratio}")
PY
if [ "${CALLGRIND:-1}" != 0 ]; then
  for t in $TREES; do
    for b in "$OLD" "$NEW"; do
      # tiercheck exits 1 when it finds something; only the count matters here.
      { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$b" scan --format json "$t" \
        2>&1 >/dev/null || true; } | sed -n "s/.*I *refs: *\(.*\)/$t $(basename "$b"): \1 instructions/p"
    done
  done
fi
