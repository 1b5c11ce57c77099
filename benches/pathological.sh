#!/usr/bin/env bash
# Pathological files against an ordinary file of the same size: every scan must stay within
# a small constant factor of a plain scan. Generates, in WORKDIR (default
# /tmp/tiercheck-patho), one folder per case with one file of about 10 MB:
#   plain/   ordinary source text (the CPython standard library's .py files, concatenated)
#   pairs/   160,000 AWS key id and secret pairs, one pair per line (the `near` pairing)
#   oneline/ a notebook on one 4.5 MB line holding 100,000 quoted passwords (generic rules)
#   digits/  10 MB of long digit runs (the card, IBAN and phone rules' worst case)
# and times `tiercheck scan --format json` on each with hyperfine.
# Usage: benches/pathological.sh [WORKDIR]; RUNS=N (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/tiercheck-patho}
RUNS=${RUNS:-5}
cargo build --release --quiet
BIN=$PWD/target/release/tiercheck
mkdir -p "$WORK"/{plain,pairs,oneline,digits}
python3 - "$WORK" <<'PY'
import glob, os, random, string, sys, sysconfig
work = sys.argv[1]
rnd = random.Random(7)
up, mixed = string.ascii_uppercase + string.digits, string.ascii_letters + string.digits
with open(f"{work}/plain/source.py", "w") as f:
    size = 0
    for p in sorted(glob.glob(os.path.join(sysconfig.get_paths()["stdlib"], "**/*.py"), recursive=True)):
        if "site-packages" in p:
            continue
        text = open(p, encoding="utf-8", errors="replace").read()
        f.write(text)
        size += len(text)
        if size > 9_900_000:
            break
with open(f"{work}/pairs/keys.env", "w") as f:
    for _ in range(160_000):
        kid = "AKIA" + "".join(rnd.choice(up) for _ in range(16))
        sec = "".join(rnd.choice(mixed + "/+") for _ in range(40))
        f.write(f"{kid} {sec}\n")
with open(f"{work}/oneline/chat.ipynb", "w") as f:
    cells = ('{"source":"password = \\"%s\\""}' % "".join(rnd.choice(mixed) for _ in range(16))
             for _ in range(100_000))
    f.write('{"cells":[' + ",".join(cells) + "]}")
with open(f"{work}/digits/numbers.txt", "w") as f:
    for _ in range(200_000):
        f.write(" ".join("".join(rnd.choice(string.digits) for _ in range(12)) for _ in range(4)) + "\n")
PY
ls -l "$WORK"/*/*
hyperfine -N --warmup 1 --runs "$RUNS" -i \
  "$BIN scan --format json $WORK/plain" \
  "$BIN scan --format json $WORK/pairs" \
  "$BIN scan --format json $WORK/oneline" \
  "$BIN scan --format json $WORK/digits"
