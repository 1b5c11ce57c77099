#!/usr/bin/env bash
# Startup cost of `tiercheck matrix` (parse and validate the embedded policy, print the
# matrix) on the release binary, beside a trivial process run the same way, so the figure
# can be read as a ratio on any machine. The budget is 20 ms.
#
#   benches/startup.sh            # hyperfine when installed, else a timed loop
#   RUNS=1000 benches/startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-300}"
cargo build --release --locked --quiet
BIN="$PWD/target/release/tiercheck"
TRIVIAL="$(command -v true)"

if command -v hyperfine >/dev/null 2>&1; then
  exec hyperfine --shell=none --warmup 20 --runs "$RUNS" \
    "$BIN matrix" "$BIN matrix --format json" "$TRIVIAL"
fi

# Fallback: mean wall time per run over a loop, in microseconds.
mean_us() {
  local start end
  start=$(date +%s%N)
  for ((i = 0; i < RUNS; i++)); do "$@" >/dev/null; done
  end=$(date +%s%N)
  echo $(((end - start) / RUNS / 1000))
}
matrix=$(mean_us "$BIN" matrix)
trivial=$(mean_us "$TRIVIAL")
echo "tiercheck matrix: ${matrix} µs per run ($RUNS runs)"
echo "true:             ${trivial} µs per run ($RUNS runs)"
awk -v a="$matrix" -v b="$trivial" 'BEGIN { printf "ratio:            %.1fx\n", a / (b > 0 ? b : 1) }'
if ((matrix > 20000)); then
  echo "over the 20 ms budget" >&2
  exit 1
fi
