#!/usr/bin/env bash
# The pre-commit round trip: installs the pre-commit framework from PyPI (in a virtual
# environment of its own), then runs this repository's hooks (.pre-commit-hooks.yaml,
# `language: rust`, built by pre-commit with `cargo install --path .`) with
# `pre-commit try-repo` in a fixture repository: a staged secret is refused, clean content
# passes. Skips, saying why, when python3 or its venv module is missing.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m venv "$work/venv" >/dev/null 2>&1; then
  echo "pre-commit round trip skipped: python3 with its venv module is not installed"
  exit 0
fi
if ! "$work/venv/bin/pip" install -q pre-commit; then
  echo "pre-commit round trip skipped: pre-commit could not be installed from PyPI"
  exit 0
fi
export PATH="$work/venv/bin:$PATH"
export PRE_COMMIT_HOME="$work/cache"
# pre-commit's build reuses this checkout's compiled dependencies.
export CARGO_TARGET_DIR="$repo/target"

fixture="$work/fixture"
mkdir -p "$fixture"
cd "$fixture"
git init -q -b main
git config user.email jane@corp.example
git config user.name Jane
# A GitHub token in the format the built-in rules know, made up and assembled here.
printf 'TOKEN = "ghp_%s"\n' "Zq8Xw2Lm4Np6Rt1Vb3Kc5Hd7Jf9Gs0Ya2Ue4" > app.py
git add app.py

fail() { echo "pre-commit round trip: $*" >&2; exit 1; }
if out=$(pre-commit try-repo "$repo" tiercheck-scan 2>&1); then
  echo "$out"
  fail "a staged secret went through tiercheck-scan"
fi
grep -q "commit blocked" <<<"$out" || { echo "$out"; fail "the refusal does not say what to do"; }
grep -q "Zq8Xw2Lm4Np6Rt1Vb3Kc5Hd7Jf9Gs0Ya2Ue4" <<<"$out" && fail "the secret was printed in full"
echo "pre-commit round trip: ok   a staged secret is refused by tiercheck-scan"

printf 'import os\nTOKEN = os.environ["TOKEN"]\n' > app.py
git add app.py
out=$(pre-commit try-repo "$repo" tiercheck-scan 2>&1) || { echo "$out"; fail "clean content was refused by tiercheck-scan"; }
echo "pre-commit round trip: ok   clean content passes tiercheck-scan"
out=$(pre-commit try-repo "$repo" tiercheck-verify 2>&1) || { echo "$out"; fail "tiercheck-verify refused a repository without a manifest"; }
echo "pre-commit round trip: ok   tiercheck-verify passes a repository without a manifest"
