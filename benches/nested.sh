#!/usr/bin/env bash
# Many nested manifests: a monorepo with N sibling artifacts, and a chain of 150 manifests
# each nested in the previous one. Prints wall time and peak memory of `verify --format
# json` for each binary given (old and new, measured one after the other).
#   benches/nested.sh BINARY [BINARY...]
set -euo pipefail
work=${WORK:-/tmp/tiercheck-nested}
rm -rf "$work" && mkdir -p "$work"
manifest=$'version: 1\naudience: public\ndata: none\nowner: jane@corp.example\n'
for n in 300 1000; do
  d="$work/siblings-$n"; mkdir -p "$d"; git -C "$d" init -q
  printf '%s' "$manifest" > "$d/.tier.yaml"
  for i in $(seq 1 "$n"); do mkdir "$d/p$i"; printf '%s' "$manifest" > "$d/p$i/.tier.yaml"; done
done
d="$work/chain-150"; mkdir -p "$d"; git -C "$d" init -q; printf '%s' "$manifest" > "$d/.tier.yaml"
p="$d"; for i in $(seq 1 150); do p="$p/d"; mkdir "$p"; printf '%s' "$manifest" > "$p/.tier.yaml"; done
for bin in "$@"; do
  for case in siblings-300 siblings-1000 chain-150; do
    /usr/bin/time -f "$bin $case %e s %M KB" "$bin" verify "$work/$case" --format json >/dev/null || true
  done
done
