#!/usr/bin/env bash
# Times `tiercheck scan --history` against `git log -p --all | rg -c -f patterns.txt` on a
# repository with a long history, and `tiercheck scan --staged` on a 100k-file index with 10
# staged files. Prints the figures recorded in docs/benchmarks.md ("Git scans").
#
# The long history is built by replaying real code: every crate source in the cargo
# registry (CRATES, default ~/.cargo/registry/src), crates in name/version order, one commit
# per file added or changed; versions of the same crate share a path, so a later version's
# files modify the earlier ones. Written with `git fast-import` (quick to set up).
#
# Needs: git, ripgrep, hyperfine, GNU time (/usr/bin/time), python3 with PyYAML.
# Usage: benches/history_vs.sh [WORKDIR]   (default /tmp/tiercheck-gitbench); RUNS=N.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/tiercheck-gitbench}
RUNS=${RUNS:-3}
CRATES=${CRATES:-$HOME/.cargo/registry/src}
mkdir -p "$WORK"
cargo build --release --quiet
BIN=$PWD/target/release/tiercheck
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
  GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

# patterns.txt: every rule's regex, as benches/scan_vs.sh builds it.
"$BIN" policy show > "$WORK/policy.yaml"
python3 - "$WORK" <<'PY'
import re, sys, yaml
work = sys.argv[1]
rules = yaml.safe_load(open(f"{work}/policy.yaml")).get("rules") or []
with open(f"{work}/patterns.txt", "w") as f:
    f.write("".join(re.sub(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>", "(", r["regex"]) + "\n"
                    for r in rules))
PY

HIST=$WORK/history
if [ ! -d "$HIST" ]; then
  git init -q -b main "$HIST"
  python3 - "$CRATES" <<'PY' | git -C "$HIST" fast-import --quiet
import os, re, sys
root = sys.argv[1]
dirs = []
for reg in sorted(os.listdir(root)):
    for d in sorted(os.listdir(os.path.join(root, reg))):
        m = re.match(r"^(.*?)-(\d+\.\d+.*)$", d)
        if m:
            vers = tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.+-]", m.group(2)))
            dirs.append((m.group(1), vers, os.path.join(root, reg, d)))
dirs.sort()
out = sys.stdout.buffer
t, mark, prev = 1500000000, 0, {}
for name, _, path in dirs:
    for base, _, files in sorted(os.walk(path)):
        for fn in sorted(files):
            full = os.path.join(base, fn)
            if os.path.islink(full):
                continue
            data = open(full, "rb").read()
            rel = name + "/" + os.path.relpath(full, path)
            if prev.get(rel) == hash(data):
                continue
            prev[rel] = hash(data)
            mark += 1
            t += 60
            msg = f"{name}: {os.path.relpath(full, path)}\n".encode()
            out.write(b"commit refs/heads/main\n")
            out.write(f"committer bench <bench@example.com> {t} +0000\n".encode())
            out.write(b"data %d\n%s" % (len(msg), msg))
            out.write(b"M 644 inline %s\ndata %d\n" % (rel.encode(), len(data)))
            out.write(data + b"\n")
PY
  git -C "$HIST" gc -q
fi
echo "history repo: $(git -C "$HIST" rev-list --all | wc -l) commits," \
  "$(git -C "$HIST" cat-file --batch-all-objects --batch-check='%(objecttype)' | grep -c blob) blobs," \
  "$(du -sm "$HIST/.git" | cut -f1) MB in .git"

cd "$HIST"
hyperfine --runs "$RUNS" --ignore-failure \
  "$BIN scan --history --format json > /dev/null" \
  "git log -p --all | rg -c --regex-size-limit 4G --dfa-size-limit 4G -f $WORK/patterns.txt"
/usr/bin/time -v "$BIN" scan --history --format json 2> "$WORK/time.txt" > "$WORK/history.json" || true
grep -E "Maximum resident|Elapsed" "$WORK/time.txt"
python3 -c "import json,sys; v=json.load(open('$WORK/history.json')); print({k: v[k] for k in ('commits_walked','blobs_scanned','files_scanned','bytes_scanned')}, len(v['findings']), 'findings')"
cd - > /dev/null

# A 100k-file index with 10 staged files.
BIG=$WORK/bigindex
if [ ! -d "$BIG" ]; then
  git init -q -b main "$BIG"
  blob=$(echo "fn main() {}" | git -C "$BIG" hash-object -w --stdin)
  python3 -c "
for d in range(1000):
    for f in range(100):
        print(f'100644 $blob\td{d:03}/f{f:03}.rs')" | git -C "$BIG" update-index --index-info
  git -C "$BIG" commit -q -m "100k files"
  for i in $(seq 1 10); do
    printf 'fn f%s() {}\n' "$i" > "$BIG/staged$i.rs"
  done
  git -C "$BIG" add staged*.rs
fi
echo "index: $(git -C "$BIG" ls-files | wc -l) entries, $(git -C "$BIG" diff --cached --name-only | wc -l) staged"
cd "$BIG"
hyperfine --runs 20 --warmup 2 --ignore-failure "$BIN scan --staged"
