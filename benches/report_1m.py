#!/usr/bin/env python3
"""Reports on a big ledger: one million runs and ten million samples.

Builds (once) a Sustain ledger with RUNS runs spread over 2026 (each with SAMPLES samples and an
end), 5 products, 10 models, 8 teams, 20 sites, and usage for every product and day; then times,
side by side:

- `sustain report --period 2026-Q3 --format json` (the whole company's quarter: every account,
  breakdown and the previous quarter), and the same for one product;
- `sustain export --format codecarbon` of the quarter, then what a user would otherwise do with
  CodeCarbon's CSV: pandas reads it and sums energy and emissions by project (pandas installed in
  benches/.venv-report with --install).

The ledger is built by inserting rows that copy one real run recorded by `sustain run` (same
JSON columns), so every reader sees a normal ledger; figures are random but fixed by the seed.

Usage (from the repository root):
    python3 benches/report_1m.py --install          # once: benches/.venv-report with pandas
    cargo build --release -p sustain-cli
    python3 benches/report_1m.py [--runs 1000000] [--samples 10] [--ledger benches/out/1m.sqlite]

Nothing here runs in the test suite; the figures go to BENCHMARKS.md by hand.
"""

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUSTAIN = ROOT / "target" / "release" / "sustain"
VENV = ROOT / "benches" / ".venv-report"


def sh(cmd, env=None, capture=True):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=capture, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({p.returncode}): {p.stderr[-2000:]}")
    return dt, p.stdout


def build(path: Path, runs: int, samples: int, seed: int):
    env = dict(os.environ, SUSTAIN_LEDGER=str(path))
    # One real run gives the JSON columns to copy.
    sh([SUSTAIN, "run", "--quiet", "--site", "FR", "--", "true"], env)
    for p in ["chat", "search", "embed", "vision", "speech"]:
        sh([SUSTAIN, "product", "add", p, "--price-per-1k-requests", "2.0", "--currency", "USD"], env)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    tmpl = db.execute("SELECT * FROM runs LIMIT 1").fetchone()
    cols = [d[0] for d in db.execute("SELECT * FROM runs LIMIT 1").description]
    t = dict(zip(cols, tmpl))
    site_ids = ["FR", "DE", "US-CA", "US-TX", "GB", "SE", "NO", "PL", "IN", "JP",
                "us-central1", "europe-west4", "eastus", "westeurope", "ap-northeast-1",
                "CA-QC", "BR", "AU", "SG", "WORLD"]
    site_json = json.loads(t["site"])
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    year_s = 365 * 86400
    products = ["chat", "search", "embed", "vision", "speech"]
    kinds = ["command", "train", "infer", "eval"]
    t0 = time.perf_counter()
    batch_runs, batch_ends, batch_samples = [], [], []
    for i in range(runs):
        at = start + timedelta(seconds=rng.randrange(year_s))
        ts = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        site = site_ids[i % len(site_ids)]
        sj = dict(site_json, id=site)
        tags = {"product": products[rng.randrange(5)], "team": f"team{rng.randrange(8)}"}
        if rng.random() < 0.3:
            tags["model"] = f"model{rng.randrange(10)}"
        rid = f"{i:08x}-0000-4000-8000-{rng.getrandbits(48):012x}"
        batch_runs.append((rid, t["name"], kinds[i % 4], t["command"], ts, site, json.dumps(sj),
                           t["host"], t["meter"], t["methods"], 1.0, json.dumps(tags), None, None, ts))
        cpu, gpu, ram = rng.uniform(100, 1e5), rng.uniform(0, 3e5), rng.uniform(10, 5e3)
        it = cpu + gpu + ram
        pue = 1.2
        g = it * pue / 3.6e6 * rng.uniform(20, 600)
        cost = it * pue / 3.6e6 * 0.15 if i % 3 else None
        batch_ends.append((rid, ts, "succeeded", 0, None, 600.0, 500.0, 1 << 30, cpu, gpu, ram,
                           "modelled", "measured" if gpu else "none", "modelled", 0, "m", "m", "m",
                           it * pue, g, g * 0.3 if i % 4 == 0 else None, it / 3.6e6 * 1.8, None,
                           cost, "USD" if cost is not None else None, "[]", ts, "{}",
                           # Embodied: the default host at share 0.5 for 600 s, plus an A100's
                           # share when the run used a GPU (docs/methods/embodied.md).
                           1230.3e3 * (600 / 3600) / (4 * 8766) * 0.5
                           + (150e3 * (600 / 3600) / (6 * 8766) if gpu else 0.0), "bench"))
        for s in range(samples):
            batch_samples.append((rid, s, ts, 1.0, cpu / samples, gpu / samples, ram / samples,
                                  "modelled", "measured" if gpu else "none", "modelled", 0, 50.0, 1 << 28))
        if len(batch_runs) >= 20000 or i == runs - 1:
            db.executemany(f"INSERT INTO runs VALUES ({','.join('?' * 15)})", batch_runs)
            db.executemany(
                "INSERT INTO run_ends (run_id, ended_at, status, exit_code, signal, duration_s, cpu_s, "
                "peak_rss_bytes, cpu_j, gpu_j, ram_j, cpu_source, gpu_source, ram_source, apportioned, "
                "cpu_method, gpu_method, ram_method, facility_j, co2e_location_g, co2e_market_g, "
                "water_onsite_l, water_offsite_l, cost_amount, cost_currency, notes, recorded_at, outcomes, "
                "embodied_g, embodied_method) "
                f"VALUES ({','.join('?' * 30)})", batch_ends)
            db.executemany(f"INSERT INTO samples VALUES ({','.join('?' * 13)})", batch_samples)
            db.commit()
            batch_runs, batch_ends, batch_samples = [], [], []
            print(f"  {i + 1} runs ({time.perf_counter() - t0:.0f} s)", end="\r", flush=True)
    usage = []
    day = start.date()
    for d in range(365):
        for p in products:
            req = rng.randrange(10_000, 1_000_000)
            usage.append((p, (day + timedelta(days=d)).isoformat(), req, req * 400, req * 0.002, "USD", "bench", "x"))
    db.executemany("INSERT INTO usage (product, day, requests, tokens, revenue, currency, source, recorded_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", usage)
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print(f"\n  built in {time.perf_counter() - t0:.0f} s: {path} ({path.stat().st_size / 1e9:.2f} GB)")


def main():
    global SUSTAIN
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--install", action="store_true", help="create benches/.venv-report with pandas and exit")
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=10, help="samples per run")
    ap.add_argument("--ledger", type=Path, default=ROOT / "benches" / "out" / "report-1m.sqlite")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sustain", type=Path, default=SUSTAIN, help="the binary (default: the release build)")
    args = ap.parse_args()
    SUSTAIN = args.sustain
    if args.install:
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([VENV / "bin" / "pip", "install", "--quiet", "pandas"], check=True)
        return
    if not SUSTAIN.exists():
        sys.exit("build first: cargo build --release -p sustain-cli")
    args.ledger.parent.mkdir(parents=True, exist_ok=True)
    if not args.ledger.exists():
        print(f"Building a ledger of {args.runs} runs x {args.samples} samples ...")
        build(args.ledger, args.runs, args.samples, args.seed)
    env = dict(os.environ, SUSTAIN_LEDGER=str(args.ledger))
    db = sqlite3.connect(args.ledger)
    n_runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    n_samples = db.execute("SELECT count(*) FROM samples").fetchone()[0]
    db.close()
    print(f"Ledger: {n_runs} runs, {n_samples} samples, {args.ledger.stat().st_size / 1e9:.2f} GB")
    results = {}
    for name, cmd in [
        ("report company 2026-Q3 (json)", [SUSTAIN, "report", "--period", "2026-Q3", "--format", "json"]),
        ("report company 2026-Q3 (md)", [SUSTAIN, "report", "--period", "2026-Q3"]),
        ("report product:chat 2026-Q3 (json)", [SUSTAIN, "report", "--period", "2026-Q3", "--scope", "product:chat", "--format", "json"]),
    ]:
        times = [sh(cmd, env)[0] for _ in range(args.repeat)]
        results[name] = statistics.median(times)
        print(f"  {name}: median {results[name]:.3f} s ({', '.join(f'{t:.3f}' for t in times)})")
    # Side by side: the export path and pandas.
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "emissions.csv"
        dt, _ = sh([SUSTAIN, "export", "--format", "codecarbon", "--since", "2026-07-01", "--output", csv], env)
        results["export codecarbon since 2026-07-01"] = dt
        print(f"  export codecarbon (runs since 2026-07-01): {dt:.3f} s")
        if (VENV / "bin" / "python").exists():
            code = (
                "import pandas as pd, time; t=time.perf_counter();"
                f"d=pd.read_csv({str(csv)!r}); d['timestamp']=pd.to_datetime(d['timestamp'], format='ISO8601');"
                "q=d[(d.timestamp>='2026-07-01')&(d.timestamp<'2026-10-01')];"
                "r=q.groupby('project_name')[['energy_consumed','emissions']].sum(); print(len(d), time.perf_counter()-t)"
            )
            dt, outp = sh([VENV / "bin" / "python", "-c", code])
            results["pandas read + quarterly groupby"] = dt
            print(f"  pandas: read the CSV and sum the quarter by project: {dt:.3f} s (in-process {outp.split()[-1]} s)")
        else:
            print("  pandas: not installed (python3 benches/report_1m.py --install)")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
