#!/usr/bin/env python3
"""Training, side by side: Sustain (burn, CPU) and PyTorch (CPU) on the same models and data.

For each model (mlp: `tabular-mlp`; cnn: `digits-cnn`) on the bundled MNIST 5k subset, this
script trains once with each framework, the same number of epochs and batch size, and reports:

- training throughput, samples/s (training rows x epochs / seconds of the epoch loop, validation
  included; each framework times its own loop the same way),
- the ratio Sustain / PyTorch (above 1: Sustain is faster),
- energy per epoch, Wh: the run's IT energy (`energy.total_wh`) / epochs; it covers the whole
  process, start-up, data loading and saving included, so short runs carry that fixed cost,
- test accuracy (the splits have the same sizes but not the same rows).

Sustain: `sustain train TASK --dataset mnist-5k --epochs E --batch-size B --json --out TMP`
(adam, and its default learning rates: 1e-3 for the MLP, 3e-3 for the CNN), with
RAYON_NUM_THREADS=THREADS.
PyTorch: `sustain run --json -- benches/.venv-torch/bin/python benches/torch_train.py ...`
with torch.set_num_threads(THREADS) and one inter-op thread, so Sustain's own meter measures
PyTorch's energy exactly as it measures its own training. Both write to a temporary ledger
(SUSTAIN_LEDGER), never to yours. Runs alternate between the frameworks; with --repeat N the
median of each figure is reported.

Usage (from the repository root):
    python3 benches/train_vs_pytorch.py --install      # once: benches/.venv-torch with torch, numpy
    cargo build --release -p sustain-cli
    python3 benches/train_vs_pytorch.py [--epochs 5] [--batch-size 32] [--threads N]
        [--models mlp,cnn] [--repeat 1] [--json benches/out/train_vs_pytorch.json]

Nothing here runs in the test suite; the figures go to BENCHMARKS.md by hand.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "benches" / ".venv-torch"
PYTHON = VENV / "bin" / "python"
SUSTAIN = ROOT / "target" / "release" / "sustain"
TORCH_SCRIPT = ROOT / "benches" / "torch_train.py"
TASKS = {"mlp": "tabular-mlp", "cnn": "digits-cnn"}


def machine():
    """CPU model, logical CPUs and physical cores, from /proc/cpuinfo."""
    model, cores = None, set()
    phys = core = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "model name" and model is None:
                    model = value
                elif key == "physical id":
                    phys = value
                elif key == "core id":
                    core = value
                elif not key and phys is not None and core is not None:
                    cores.add((phys, core))
                    phys = core = None
        if phys is not None and core is not None:
            cores.add((phys, core))
    except OSError:
        pass
    return {
        "cpu_model": model or platform.processor() or "unknown",
        "logical_cpus": os.cpu_count(),
        "physical_cores": len(cores) or None,
        "platform": platform.platform(),
        "hostname": platform.node(),
    }


def last_json_object(text):
    """The last top-level JSON object in `text` (the run record `sustain run --json` prints on
    stderr after whatever the command itself wrote there)."""
    dec = json.JSONDecoder()
    pos = len(text)
    while True:
        pos = text.rfind("{", 0, pos)
        if pos < 0:
            return None
        if pos == 0 or text[pos - 1] == "\n":
            try:
                obj, end = dec.raw_decode(text, pos)
                if not text[end:].strip():
                    return obj
            except json.JSONDecodeError:
                pass


def run(cmd, env):
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return p, time.time() - t0


def fail(what, p):
    raise SystemExit(f"{what} failed (exit {p.returncode}):\n{p.stderr[-3000:]}\n{p.stdout[-1000:]}")


def run_sustain(model, args, tmp, i):
    out = tmp / f"sustain-{model}-{i}"
    cmd = [str(SUSTAIN), "train", TASKS[model], "--dataset", "mnist-5k",
           "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--json", "--out", str(out)]
    if model == "mlp":
        cmd += ["--optimizer", "adam"]  # the default too; named as in the MLP's documented command
    env = dict(os.environ, SUSTAIN_LEDGER=str(tmp / "ledger.sqlite"), RAYON_NUM_THREADS=str(args.threads))
    p, wall = run(cmd, env)
    if p.returncode != 0:
        fail(" ".join(cmd), p)
    rec = json.loads(p.stdout)
    return {
        "samples_per_s": rec["samples_per_s"],
        "energy_wh": rec["energy"]["total_wh"],
        "cpu_source": rec["energy"].get("sources", {}).get("cpu"),
        "test_accuracy": rec["metrics"]["test"]["accuracy"],
        "run_id": rec["run_id"],
        "wall_s": wall,
    }


def run_pytorch(model, args, tmp, i):
    result = tmp / f"pytorch-{model}-{i}.json"
    cmd = [str(SUSTAIN), "run", "--json", "--name", f"pytorch-{model}", "--",
           str(PYTHON), str(TORCH_SCRIPT), "--model", model, "--epochs", str(args.epochs),
           "--batch-size", str(args.batch_size), "--threads", str(args.threads), "--result", str(result)]
    env = dict(os.environ, SUSTAIN_LEDGER=str(tmp / "ledger.sqlite"), OMP_NUM_THREADS=str(args.threads))
    p, wall = run(cmd, env)
    rec = last_json_object(p.stderr)
    if p.returncode != 0 or rec is None or rec.get("status") != "succeeded" or not result.exists():
        fail(" ".join(cmd), p)
    res = json.loads(result.read_text())
    return {
        "samples_per_s": res["samples_per_s"],
        "energy_wh": rec["energy"]["total_wh"],
        "cpu_source": rec["energy"].get("sources", {}).get("cpu"),
        "test_accuracy": res["test_accuracy"],
        "run_id": rec["id"],
        "wall_s": wall,
        "torch_version": res["torch_version"],
        "torch_threads": res["threads"],
    }


def install():
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "torch", "numpy"], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--install", action="store_true", help="create benches/.venv-torch with torch and numpy and exit")
    ap.add_argument("--epochs", type=int, default=5, help="epochs per run (default 5)")
    ap.add_argument("--batch-size", type=int, default=32, help="minibatch size (default 32)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="threads for both: RAYON_NUM_THREADS and torch.set_num_threads (default: all CPUs)")
    ap.add_argument("--models", default="mlp,cnn", help="comma-separated, from mlp, cnn (default mlp,cnn)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per model and framework; the median is reported")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if args.install:
        install()
        return
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not models or any(m not in TASKS for m in models):
        ap.error(f"--models takes a comma-separated list from {', '.join(TASKS)}")
    if min(args.epochs, args.batch_size, args.threads, args.repeat) < 1:
        ap.error("--epochs, --batch-size, --threads and --repeat must be >= 1")
    if not SUSTAIN.exists():
        raise SystemExit("build first: cargo build --release -p sustain-cli")
    if not PYTHON.exists():
        raise SystemExit("install PyTorch first: python3 benches/train_vs_pytorch.py --install")
    torch_version = subprocess.run([str(PYTHON), "-c", "import torch; print(torch.__version__)"],
                                   capture_output=True, text=True).stdout.strip()
    host = machine()
    print(f"Machine: {host['cpu_model']}, {host['physical_cores'] or '?'} cores / {host['logical_cpus']} logical CPUs, "
          f"{host['platform']}; PyTorch {torch_version}; {args.threads} threads each; "
          f"{args.epochs} epochs, batch {args.batch_size}, {args.repeat} run(s) each", file=sys.stderr)

    runs = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for model in models:
            for i in range(args.repeat):
                for name, fn in [("sustain", run_sustain), ("pytorch", run_pytorch)]:
                    r = fn(model, args, tmp, i)
                    r.update(framework=name, model=model, repeat=i)
                    runs.append(r)
                    print(f"{name:>8} {model}: {r['samples_per_s']:.0f} samples/s, {r['energy_wh']:.4f} Wh "
                          f"({r['cpu_source']}), test accuracy {r['test_accuracy']:.4f}, {r['wall_s']:.1f} s wall",
                          file=sys.stderr)

    def med(model, fw, key):
        return statistics.median(r[key] for r in runs if r["model"] == model and r["framework"] == fw)

    summary = []
    for model in models:
        s, t = ("sustain", "pytorch")
        row = {
            "model": model,
            "task": TASKS[model],
            "sustain_samples_per_s": med(model, s, "samples_per_s"),
            "pytorch_samples_per_s": med(model, t, "samples_per_s"),
            "sustain_wh_per_epoch": med(model, s, "energy_wh") / args.epochs,
            "pytorch_wh_per_epoch": med(model, t, "energy_wh") / args.epochs,
            "sustain_test_accuracy": med(model, s, "test_accuracy"),
            "pytorch_test_accuracy": med(model, t, "test_accuracy"),
        }
        row["speed_ratio_sustain_over_pytorch"] = row["sustain_samples_per_s"] / max(row["pytorch_samples_per_s"], 1e-12)
        row["energy_ratio_sustain_over_pytorch"] = row["sustain_wh_per_epoch"] / max(row["pytorch_wh_per_epoch"], 1e-12)
        summary.append(row)

    sources = sorted({str(r["cpu_source"]) for r in runs})
    print()
    print(f"Machine: {host['cpu_model']}, {host['physical_cores'] or '?'} cores / {host['logical_cpus']} logical CPUs; "
          f"PyTorch {torch_version} (CPU); {args.threads} threads each; MNIST 5k (3500 training rows), "
          f"{args.epochs} epochs, batch {args.batch_size}, Adam; "
          f"median of {args.repeat} run(s); CPU energy {', '.join(sources)}")
    print()
    print("| model | Sustain samples/s | PyTorch samples/s | Sustain / PyTorch | Sustain Wh/epoch | PyTorch Wh/epoch "
          "| Sustain test acc. | PyTorch test acc. |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in summary:
        print(f"| {r['model']} ({r['task']}) | {r['sustain_samples_per_s']:.0f} | {r['pytorch_samples_per_s']:.0f} | "
              f"{r['speed_ratio_sustain_over_pytorch']:.2f}x | {r['sustain_wh_per_epoch']:.4f} | "
              f"{r['pytorch_wh_per_epoch']:.4f} | {r['sustain_test_accuracy']:.4f} | {r['pytorch_test_accuracy']:.4f} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "machine": host,
            "torch_version": torch_version,
            "options": {"epochs": args.epochs, "batch_size": args.batch_size, "threads": args.threads,
                        "models": models, "repeat": args.repeat},
            "summary": summary,
            "runs": runs,
        }, indent=2))


if __name__ == "__main__":
    main()
