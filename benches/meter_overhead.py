#!/usr/bin/env python3
"""Meter overhead, side by side: Sustain and CodeCarbon metering the same workloads.

For each workload (a CPU-bound loop and a sleep, each DURATION seconds) and each meter, this
script launches the meter around the workload and records, for the meter process itself (not
the workload):

- CPU seconds (utime + stime of the meter's own process, read from /proc/PID/stat every 0.2 s
  until it exits; the workload's time is not included: it runs in a child),
- peak resident memory (VmHWM from /proc/PID/status),
- start-up time (from launching the meter to the workload's first instruction, which writes a
  timestamp),
- the energy the meter reports for the workload.

Sustain: `sustain run --json -- WORKLOAD` (default interval 1 s).
CodeCarbon: an OfflineEmissionsTracker (country FRA, measure_power_secs=1, tracking_mode
"process", log level error) around `subprocess.run(WORKLOAD)`.

Usage (from the repository root):
    python3 benches/meter_overhead.py --install        # once: creates benches/.venv with codecarbon
    cargo build --release -p sustain-cli
    python3 benches/meter_overhead.py [--duration 30] [--json benches/out/meter_overhead.json]

Nothing here runs in the test suite; the figures go to BENCHMARKS.md by hand.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "benches" / ".venv"
SUSTAIN = ROOT / "target" / "release" / "sustain"
HZ = os.sysconf("SC_CLK_TCK")

CODECARBON_DRIVER = r"""
import subprocess, sys, logging, tempfile
from codecarbon import OfflineEmissionsTracker
out = sys.argv[1]
tracker = OfflineEmissionsTracker(country_iso_code="FRA", measure_power_secs=1,
    tracking_mode="process", log_level="error", output_dir=out, save_to_file=True)
tracker.start()
subprocess.run(sys.argv[2:], check=False)
tracker.stop()
"""


def workload(kind, duration, stamp):
    start = f"date +%s.%N > {stamp}"
    if kind == "cpu":
        return ["sh", "-c", f"{start}; timeout {duration} sh -c 'while :; do :; done'; exit 0"]
    return ["sh", "-c", f"{start}; sleep {duration}"]


def own_cpu_and_hwm(pid):
    """utime+stime of the process itself (seconds) and VmHWM (bytes); None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        cpu = (int(rest[11]) + int(rest[12])) / HZ
        hwm = 0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
        return cpu, hwm
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def measure(cmd, stamp, env=None):
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    cpu, hwm = 0.0, 0
    while proc.poll() is None:
        r = own_cpu_and_hwm(proc.pid)
        if r:
            cpu, hwm = max(cpu, r[0]), max(hwm, r[1])
        time.sleep(0.2)
    out, err = proc.communicate()
    wall = time.time() - t0
    started = float(Path(stamp).read_text().strip())
    return {
        "meter_cpu_s": cpu,
        "meter_peak_rss_mb": hwm / 1e6,
        "startup_s": started - t0,
        "wall_s": wall,
        "meter_cpu_pct_of_one_core": 100.0 * cpu / wall,
        "stdout": out.decode(errors="replace"),
        "stderr": err.decode(errors="replace"),
        "returncode": proc.returncode,
    }


def run_sustain(kind, duration, tmp):
    stamp = tmp / f"sustain-{kind}.stamp"
    env = dict(os.environ, SUSTAIN_LEDGER=str(tmp / "ledger.sqlite"), SUSTAIN_SITE="FR")
    r = measure([str(SUSTAIN), "run", "--json", "--"] + workload(kind, duration, stamp), stamp, env)
    rec = json.loads(r["stderr"])
    r["energy_wh"] = rec["energy"]["total_wh"]
    r["cpu_energy_wh"] = rec["energy"]["cpu_wh"]
    r["ram_energy_wh"] = rec["energy"]["ram_wh"]
    r["workload_cpu_s"] = rec["cpu_s"]
    return r


def run_codecarbon(kind, duration, tmp):
    stamp = tmp / f"codecarbon-{kind}.stamp"
    out = tmp / f"cc-{kind}"
    out.mkdir()
    py = VENV / "bin" / "python"
    r = measure([str(py), "-c", CODECARBON_DRIVER, str(out)] + workload(kind, duration, stamp), stamp)
    csv_path = out / "emissions.csv"
    if not csv_path.exists():
        raise SystemExit(f"CodeCarbon wrote no emissions.csv:\n{r['stderr'][-2000:]}")
    import csv
    row = list(csv.DictReader(csv_path.open()))[-1]
    r["energy_wh"] = float(row["energy_consumed"]) * 1000
    r["cpu_energy_wh"] = float(row["cpu_energy"]) * 1000
    r["ram_energy_wh"] = float(row["ram_energy"]) * 1000
    r["workload_cpu_s"] = None
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds per workload (default 30)")
    ap.add_argument("--install", action="store_true", help="create benches/.venv with codecarbon and exit")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if args.install:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "codecarbon"], check=True)
        return
    if not SUSTAIN.exists():
        raise SystemExit("build first: cargo build --release -p sustain-cli")
    if not (VENV / "bin" / "python").exists():
        raise SystemExit("install CodeCarbon first: python3 benches/meter_overhead.py --install")
    cc_version = subprocess.run([str(VENV / "bin" / "python"), "-c", "import codecarbon; print(codecarbon.__version__)"],
                                capture_output=True, text=True).stdout.strip()
    results = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for kind in ["cpu", "sleep"]:
            for name, fn in [("sustain", run_sustain), ("codecarbon", run_codecarbon)]:
                r = fn(kind, args.duration, tmp)
                r.update(meter=name, workload=kind)
                results.append(r)
                print(f"{name:>10} {kind:>5}: own CPU {r['meter_cpu_s']:.2f} s "
                      f"({r['meter_cpu_pct_of_one_core']:.2f}% of a core), peak RSS {r['meter_peak_rss_mb']:.1f} MB, "
                      f"start-up {r['startup_s']:.3f} s, energy {r['energy_wh']:.4f} Wh", file=sys.stderr)
    print()
    print(f"Machine: {platform.node()}, {os.cpu_count()} CPUs, {platform.platform()}; "
          f"workloads of {args.duration:g} s; CodeCarbon {cc_version}")
    print()
    print("| workload | meter | own CPU s | % of one core | peak RSS MB | start-up s | energy reported Wh (cpu / ram) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        print(f"| {r['workload']} | {r['meter']} | {r['meter_cpu_s']:.2f} | {r['meter_cpu_pct_of_one_core']:.2f} | "
              f"{r['meter_peak_rss_mb']:.1f} | {r['startup_s']:.3f} | {r['energy_wh']:.4f} "
              f"({r['cpu_energy_wh']:.4f} / {r['ram_energy_wh']:.4f}) |")
    by = {(r["meter"], r["workload"]): r for r in results}
    print()
    for kind in ["cpu", "sleep"]:
        s, c = by[("sustain", kind)], by[("codecarbon", kind)]
        ratio = c["meter_cpu_s"] / s["meter_cpu_s"] if s["meter_cpu_s"] > 0 else float("inf")
        print(f"{kind}: CodeCarbon used {ratio:.1f}x Sustain's CPU time; "
              f"{c['meter_peak_rss_mb'] / max(s['meter_peak_rss_mb'], 1e-9):.1f}x its memory; "
              f"start-up {c['startup_s'] / max(s['startup_s'], 1e-9):.1f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        slim = [{k: v for k, v in r.items() if k not in ("stdout", "stderr")} for r in results]
        args.json.write_text(json.dumps(slim, indent=2))


if __name__ == "__main__":
    main()
