#!/usr/bin/env bash
# Times `tiercheck scan` (release build) against ripgrep with the same keywords and the same
# regexes, and against detect-secrets, on trees nobody here wrote; measures peak memory at
# two tree sizes. Prints the figures recorded in docs/benchmarks.md ("Scanner").
#
# Needs: ripgrep and hyperfine (apt-get install -y ripgrep hyperfine), detect-secrets
# (pip install detect-secrets), PyYAML (comes with detect-secrets), GNU time (/usr/bin/time).
# Usage: benches/scan_vs.sh [WORKDIR]   (default /tmp/tiercheck-bench)
# SKIP_SLOW=1 leaves out `rg -f patterns.txt` and detect-secrets.
# POLICY=FILE uses that policy instead of the built-in one; RUNS=N sets hyperfine's runs.
# `rg -f patterns.txt` and detect-secrets are slow: they run once each, under a time limit
# (SLOW_LIMIT seconds, default 600), and a run that hits the limit is reported as such.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/tiercheck-bench}
RUNS=${RUNS:-10}
SLOW_LIMIT=${SLOW_LIMIT:-600}
POLICY_ARGS=()
if [ -n "${POLICY:-}" ]; then POLICY_ARGS=(--policy "$(realpath "$POLICY")"); fi
PYSTD=${PYSTD:-$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')}
CRATES=${CRATES:-$HOME/.cargo/registry/src}
mkdir -p "$WORK"

cargo build --release --quiet
# A copy, so the build can change while the benchmark runs.
cp target/release/tiercheck "$WORK/tiercheck"
BIN=$WORK/tiercheck

# The same trees for every tool: plain copies (no .gitignore, no caches, no site-packages).
if [ ! -d "$WORK/pystd" ]; then
  mkdir -p "$WORK/pystd"
  (cd "$PYSTD" && tar --exclude=./site-packages --exclude=__pycache__ -cf - .) | tar -C "$WORK/pystd" -xf -
fi
if [ ! -d "$WORK/crates" ]; then
  mkdir -p "$WORK/crates"
  (cd "$CRATES" && tar -cf - .) | tar -C "$WORK/crates" -xf -
fi
if [ ! -d "$WORK/both" ]; then
  mkdir -p "$WORK/both"
  cp -r "$WORK/pystd" "$WORK/both/pystd"
  cp -r "$WORK/crates" "$WORK/both/crates"
fi

# The built-in policy's keywords and regexes, one per line, for ripgrep.
"$BIN" policy show "${POLICY_ARGS[@]}" > "$WORK/policy.yaml"
python3 - "$WORK" <<'PY'
import re, sys, yaml
work = sys.argv[1]
p = yaml.safe_load(open(f"{work}/policy.yaml"))
rules = p.get("rules") or []
kw = sorted({k for r in rules for k in r.get("keywords", [])})
with open(f"{work}/keywords.txt", "w") as f:
    f.write("".join(k + "\n" for k in kw))
with open(f"{work}/patterns.txt", "w") as f:
    # ripgrep joins the patterns into one regex, where a group name may occur only once.
    f.write("".join(re.sub(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>", "(", r["regex"]) + "\n"
                    for r in rules))
print(f"{len(rules)} rules, {len(kw)} keywords, "
      f"{sum(1 for r in rules if not r.get('keywords'))} rules without keywords")
PY

TC="$BIN scan ${POLICY_ARGS[*]} --format json"
for tree in pystd crates; do
  dir="$WORK/$tree"
  echo "== $tree: $(du -sh --apparent-size "$dir" | cut -f1), $(find "$dir" -type f | wc -l) files"
  # `rg -c -F -f keywords.txt` is the issue's floor; `-i` is the like-for-like one (keywords
  # in lower case match in any case), slower for ripgrep.
  hyperfine -N --warmup 1 --runs "$RUNS" -i --export-markdown "$WORK/$tree.md" \
    -n "tiercheck scan" "$TC $dir" \
    -n "tiercheck scan --category secret" "$TC --category secret $dir" \
    -n "rg -c -F -f keywords.txt" "rg --hidden -c -F -f $WORK/keywords.txt $dir" \
    -n "rg -c -F -i -f keywords.txt" "rg --hidden -c -F -i -f $WORK/keywords.txt $dir" \
    > "$WORK/$tree.hyperfine.txt"
  cat "$WORK/$tree.md"
done

slow() { # name, command...: one timed run under the limit
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  if timeout "$SLOW_LIMIT" "$@" > "$WORK/slow.out" 2>&1; then :; else
    [ $? -eq 124 ] && { echo "$name: over the ${SLOW_LIMIT} s limit"; return; }
  fi
  end=$(date +%s.%N)
  echo "$name: $(python3 -c "print(round($end - $start, 1))") s"
}
echo "== one run each, limit ${SLOW_LIMIT} s"
for tree in $([ -n "${SKIP_SLOW:-}" ] || echo pystd crates); do
  slow "rg -c -f patterns.txt on $tree" rg --hidden -c --regex-size-limit 4G --dfa-size-limit 4G \
    -f "$WORK/patterns.txt" "$WORK/$tree"
  (cd "$WORK/$tree" && slow "detect-secrets scan --all-files on $tree" \
    sh -c "detect-secrets scan --all-files . > $WORK/$tree.detect-secrets.json")
done

echo "== peak memory (max RSS) of tiercheck scan"
for tree in pystd crates both; do
  rss=$({ /usr/bin/time -v $TC "$WORK/$tree" 2>&1 >/dev/null || true; } | awk -F': ' '/Maximum resident set size/ {print $2}')
  echo "$tree ($(du -sh --apparent-size "$WORK/$tree" | cut -f1)): $((rss / 1024)) MB"
done

echo "== findings"
for tree in pystd crates; do
  $TC "$WORK/$tree" > "$WORK/$tree.tiercheck.json" || true
  python3 - "$WORK/$tree.tiercheck.json" "$WORK/$tree.detect-secrets.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
try:
    d = json.load(open(sys.argv[2]))
    ds = sum(len(v) for v in d.get("results", {}).values())
except Exception:
    ds = "n/a"
print(f"{sys.argv[1]}: tiercheck {len(t['findings'])} findings in {t['files_scanned']} files "
      f"({t['bytes_scanned']} bytes, {len(t['skipped'])} skipped); detect-secrets {ds}")
PY
done
