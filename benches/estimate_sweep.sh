#!/usr/bin/env bash
# A 10,000-point training sweep (100 sites x 100 device counts), timed with hyperfine when it is
# installed, else with `time`. Goal (estimator issue): well under a second.
#   cargo build --release -p sustain-cli && benches/estimate_sweep.sh
set -euo pipefail
cd "$(dirname "$0")/.."
S=target/release/sustain
[ -x "$S" ] || { echo "build first: cargo build --release -p sustain-cli" >&2; exit 1; }
SITES=$("$S" catalog sites --json | python3 -c "import json,sys; print(','.join(s['id'] for s in json.load(sys.stdin)[:100]))")
DEV=$(python3 -c "print(','.join(str(i) for i in range(1, 101)))")
ARGS=(estimate train --params 7B --tokens 1T --hardware h100-sxm --devices 64 --sweep "site=$SITES" --sweep "devices=$DEV")
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 2 --runs 10 \
    "$S ${ARGS[*]} --top 20 > /dev/null" \
    "$S ${ARGS[*]} --json > /dev/null"
else
  for mode in "--top 20" "--json"; do
    echo "== 10,000 points, $mode"
    # shellcheck disable=SC2086
    time ("$S" "${ARGS[@]}" $mode > /dev/null)
  done
fi
