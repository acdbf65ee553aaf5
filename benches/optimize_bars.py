#!/usr/bin/env python3
"""The bars of issue 13 on the bundled data: int8 and pruned models against their f32 parent.

For `digits-cnn` on the UCI digits and `tabular-mlp` on the breast-cancer data: trains the f32
model, then `sustain optimize quantize --int8 --per-channel`, `sustain optimize prune --sparsity
0.5 --finetune-epochs 3` (unstructured) and `--structured`, and measures all four with
`sustain compare --seconds S` (each model in its own metered eval run at batch 256, same rows).
Prints the comparison and whether each bar is met:

- int8 within 1 point of f32 accuracy, at most 35 % of its size, and lower energy per 1,000
  inferences than f32 at batch 256;
- 50 % unstructured pruning within 1.5 points after recovery;
- structured pruning measurably faster (throughput at batch 256 above f32's).

Usage (from the repository root):
    cargo build --release -p sustain-cli
    python3 benches/optimize_bars.py [--seconds 10] [--bin target/release/sustain]
Nothing here runs in the test suite; figures go to BENCHMARKS.md.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sustain(bin_, env, *args):
    r = subprocess.run([bin_, *args], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"sustain {' '.join(args)}: {r.stderr}")
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "sustain"))
    a = ap.parse_args()
    a.bin = str(Path(a.bin).resolve())
    work = Path(tempfile.mkdtemp(prefix="sustain-bars-"))
    env = dict(os.environ, SUSTAIN_LEDGER=str(work / "ledger.sqlite"))
    os.chdir(work)
    ok = True
    for task in ["digits-cnn", "tabular-mlp"]:
        base = task.split("-")[1]
        sustain(a.bin, env, "train", task, "--out", base, "--json")
        sustain(a.bin, env, "optimize", "quantize", "--model", base, "--int8", "--per-channel",
                "--out", f"{base}-int8", "--json")
        sustain(a.bin, env, "optimize", "prune", "--model", base, "--sparsity", "0.5",
                "--finetune-epochs", "3", "--out", f"{base}-p50", "--json")
        sustain(a.bin, env, "optimize", "prune", "--model", base, "--sparsity", "0.5",
                "--structured", "--finetune-epochs", "3", "--out", f"{base}-s50", "--json")
        models = [base, f"{base}-int8", f"{base}-p50", f"{base}-s50"]
        c = json.loads(sustain(a.bin, env, "compare", *models, "--seconds", str(a.seconds),
                               "--json"))
        rows = {r["model"]: r for r in c["models"]}
        print(f"\n{task} on {c['rows']} held-out rows of {c['dataset']} (compare --seconds {a.seconds})")
        print(f"{'model':14} {'prec':5} {'accuracy':>8} {'size B':>8} {'non-zero':>9} "
              f"{'p50 ms 1':>9} {'p99 ms 1':>9} {'p50 ms 256':>10} {'rows/s':>9} "
              f"{'Wh/1k':>10} {'factor':>7} {'energy':>9}")
        for m in models:
            r = rows[m]
            print(f"{m:14} {r['precision']:5} {r['accuracy']:8.4f} {r['size_bytes']:8d} "
                  f"{r['nonzero_params']:9d} {r['latency_ms']['p50']:9.4f} "
                  f"{r['latency_ms']['p99']:9.4f} {r['latency_ms_batch_256']['p50']:10.3f} "
                  f"{r['throughput_per_s']:9.0f} {r['energy_wh_per_1k']:10.3g} "
                  f"{(r['energy_factor'] or 1):7.3f} {r['energy_source']:>9}")
        f32, q, p, s = (rows[m] for m in models)
        bars = [
            ("int8 within 1 point", abs(q["accuracy"] - f32["accuracy"]) <= 0.01),
            ("int8 at most 35 % of the size", q["size_bytes"] <= 0.35 * f32["size_bytes"]),
            ("int8 less energy per 1k at batch 256", q["energy_wh_per_1k"] < f32["energy_wh_per_1k"]),
            ("50 % unstructured within 1.5 points", p["accuracy"] >= f32["accuracy"] - 0.015),
            ("structured faster at batch 256", s["throughput_per_s"] > f32["throughput_per_s"]),
        ]
        for name, met in bars:
            print(f"  {'met    ' if met else 'NOT MET'} {name}")
            ok &= met
    os.chdir(ROOT)
    shutil.rmtree(work, ignore_errors=True)
    print(f"\nmachine: {os.cpu_count()} CPUs; sustain {a.bin}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
