#!/usr/bin/env python3
"""Carbon-aware scheduling, side by side: Sustain's `carbon` policy and the Let's Wait Awhile
simulator (issue 12).

The peer: P. Wiesner, I. Behnke, D. Scheinert, K. Gontarska, L. Thamsen, "Let's Wait Awhile: How
Temporal Workload Shifting Can Reduce Carbon Emissions in the Cloud", Middleware '21,
doi:10.1145/3464298.3493399; code github.com/dos-group/lets-wait-awhile at commit 5e0d155 (the
repository carries no licence file: it is used here unmodified, fetched by --install, never
copied into this repository).

What one run does (from the repository root):

1. Jobs: the peer's own `generate_batch_jobs(n=3387, min_duration=240, max_duration=5400,
   workday_start=540, workday_end=1020, workdays_only=True)` (seeded; the ML-training scenario of
   the paper), written as Sustain jobs CSVs under benches/out/sched_wiesner/. Minute 0 of the
   peer's simulation is 2020-01-01 00:00 (the first step of its series from that time). Deadline
   = the peer's own window for `forecast_method="next_workday"` (`AdHocStrategy._forecast_duration`,
   called on each job and checked against the rule written out in `next_workday_deadline` below):
   the original finish (submit + duration), moved to 09:00 of the same day when it is before
   09:00, to 09:00 of the next day when it is after 17:00 or on a Sunday (so Friday after 17:00
   gives Saturday 09:00), to Monday 09:00 on a Saturday, and left as it is (no slack at all)
   between 09:00 and 17:00 on a weekday.
2. The peer: for GB, FR and DE (its data/gb_ci.csv, fr_ci.csv, ger_ci.csv), its baseline
   (`forecast_method=0`, no error) and `next_workday` with 5 % error over 10 seeds, each setting
   (non-interruptible, interruptible) through its own `ad_hoc_experiment` (Pool(10) inside), in a
   temporary working directory; carbon saved as its evaluation notebook computes it
   (1 - sum(emissions) / sum(baseline emissions), from the results CSVs it writes). Each call
   is timed with the wall clock. Late jobs (finishing after the deadline: its windows include one
   step more than the deadline allows) are counted by wrapping `AdHocStrategy.run` to log each
   job's arrival and finish; the simulation itself is unchanged.
3. Sustain, on the same jobs and the shared series (../shared/data/carbon-intensity/):
   `sustain schedule simulate --json --jobs FILE --intensity gb=gb_2020.csv --policy carbon
   --forecast-error 0.05 --seeds 10` per region and setting; a spatial run per home region
   (`site=HOME`, `sites=gb;fr;de`, three --intensity), reported on top; and a scale run:
   100,000 generated jobs over 10 sites with --capacity limits, wall time and peak RSS from
   /usr/bin/time. Skipped, with a note, while the binary has no `schedule` command.

Usage (from the repository root):
    python3 benches/sched_wiesner.py --install        # once: benches/.venv-sched + the peer's code
        # (git clone at the pinned commit into benches/.peers/; or --peer-dir PATH to use a
        #  checkout you have, or --peer-git GITDIR to take the files from a local git copy)
    cargo build --release -p sustain-cli
    python3 benches/sched_wiesner.py [--sustain target/release/sustain] [--regions gb,fr,de]
        [--seeds 10] [--reuse-peer] [--skip-peer] [--skip-scale] [--json benches/out/sched_wiesner.json]

The peer takes minutes per region and setting (10 processes on however many cores there are);
run it in the background on a shared machine. Nothing here runs in the test suite; the figures
go to BENCHMARKS.md by hand.
"""

import argparse
import csv
import hashlib
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "benches" / ".venv-sched"
PYTHON = VENV / "bin" / "python"
PEERS = ROOT / "benches" / ".peers"
PEER_DIR = PEERS / "lets-wait-awhile"
PEER_URL = "https://github.com/dos-group/lets-wait-awhile"
PEER_COMMIT = "5e0d1553f5858337ac33ed30f6cf683cc5365116"
# Git blob ids at PEER_COMMIT: the code and data the benchmark runs, checked before each run.
PEER_BLOBS = {
    "simulate.py": "ec1a1e204a1cdfd4777d06f54cf4d610faa5ed84",
    "strategy.py": "d3a56d87976a053b1073198b75225efb8330e8a7",
    "data/gb_ci.csv": "d185cc906e32d7adfa67210b0349dd3b8733a0fe",
    "data/fr_ci.csv": "c63ee4eaa5ef867640d7b25d0d4849b611c2f1a4",
    "data/ger_ci.csv": "977dc8cb960f0f0a3181a79d8eb39c4a0fcfbe83",
}
PEER_FILES = list(PEER_BLOBS) + ["evaluation.ipynb", "environment.yml", "README.md"]
# Their environment.yml asks for python 3.9, numpy, pandas (unpinned), leafsim 0.4.2, vessim
# 0.3.0. pandas < 3 is needed: strategy.py indexes a Series by position with [] (an error in
# pandas 3); numpy 1.26 / pandas 2.2 are the newest of each that install as wheels on 3.11
# and keep that behaviour. simpy comes with leafsim/vessim (3.0.13 through mosaik).
PINS = ["numpy==1.26.4", "pandas==2.2.3", "leafsim==0.4.2", "vessim==0.3.0"]
SUSTAIN = ROOT / "target" / "release" / "sustain"
SERIES_DIR = ROOT.parent / "shared" / "data" / "carbon-intensity"
OUT = ROOT / "benches" / "out" / "sched_wiesner"
# (Sustain site, the peer's country code, the shared series file)
REGIONS = {"gb": ("gb", "gb_2020.csv"), "fr": ("fr", "fr_2020.csv"), "de": ("ger", "ger_2020.csv")}
SETTINGS = {"nonint": False, "int": True}
# The paper's Table/notebook figures: next_workday, 5 % error (evaluation.ipynb, cell 11).
PUBLISHED = {("gb", "nonint"): 6.56, ("gb", "int"): 9.03, ("fr", "nonint"): 4.77,
             ("fr", "int"): 5.92, ("de", "nonint"): 5.91, ("de", "int"): 7.93}
ORIGIN = datetime(2020, 1, 1)
STEP = 30
N_JOBS = 3387


# ---------------------------------------------------------------------------------------------
# The deadline rule, written out (stdlib), checked job by job against the peer's own function.

def next_workday_deadline(finish: datetime) -> datetime:
    """The peer's `next_workday` window end for an original finish time (strategy.py)."""
    t = finish.hour + (0.5 if finish.minute == 30 else 0.0)
    nine = finish.replace(hour=9, minute=0, second=0)
    if finish.weekday() == 5:  # Saturday: Monday 09:00
        return nine + timedelta(days=2)
    if finish.weekday() == 6 or t > 17:  # Sunday, or after 17:00 (Friday too: Saturday 09:00)
        return nine + timedelta(days=1)
    if t < 9:
        return nine
    return finish  # 09:00-17:00 on a weekday: no slack


def fmt(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


def git_blob_id(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


# ---------------------------------------------------------------------------------------------
# Install

def install(args):
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", *PINS], check=True)
    peer = args.peer_dir or PEER_DIR
    if args.peer_git:
        peer.mkdir(parents=True, exist_ok=True)
        for f in PEER_FILES:
            blob = subprocess.run(["git", "-C", str(args.peer_git), "show", f"{PEER_COMMIT}:{f}"],
                                  capture_output=True, check=True).stdout
            (peer / f).parent.mkdir(parents=True, exist_ok=True)
            (peer / f).write_bytes(blob)
        print(f"peer files at {PEER_COMMIT[:7]} taken from {args.peer_git} into {peer}")
    elif args.peer_dir:
        print(f"using the peer checkout at {peer} (pass --peer-dir {peer} when running too)")
    elif not (peer / ".git").exists():
        peer.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", PEER_URL, str(peer)], check=True)
        subprocess.run(["git", "-C", str(peer), "checkout", "-q", PEER_COMMIT], check=True)
    check_peer(peer)
    freeze = subprocess.run([str(VENV / "bin" / "pip"), "freeze"], capture_output=True, text=True).stdout
    print("benches/.venv-sched:", " ".join(freeze.split()))


def check_peer(peer: Path):
    bad = [f for f, blob in PEER_BLOBS.items() if not (peer / f).exists() or git_blob_id(peer / f) != blob]
    if bad:
        sys.exit(f"{peer}: not the peer at {PEER_COMMIT[:7]} ({', '.join(bad)} differ or are missing); "
                 "python3 benches/sched_wiesner.py --install")


# ---------------------------------------------------------------------------------------------
# The peer half: runs inside the venv (`--peer-task`), imports the peer's modules.

def peer_task(args):
    import warnings
    warnings.simplefilter("ignore", FutureWarning)  # pandas on strategy.py's ser[int]; forked workers inherit it
    sys.path.insert(0, str(args.peer_dir.resolve()))
    import simulate as S  # noqa: E402  (the peer's module)
    out = open(args.result_json, "w")
    sys.stdout = sys.stderr  # the peer prints its progress; the result goes to the file
    res = peer_jobs(S) if args.peer_task == "jobs" else peer_run(S, args)
    json.dump(res, out)
    out.close()


def peer_jobs(S):
    """The peer's job list, with each job's window from the peer's own function."""
    from collections import defaultdict
    from types import SimpleNamespace

    import pandas as pd
    from strategy import AdHocStrategy

    jobs = S.generate_batch_jobs(n=N_JOBS, min_duration=4 * 60, max_duration=90 * 60,
                                 workday_start=9 * 60, workday_end=17 * 60, workdays_only=True)
    probe = SimpleNamespace(forecast_method="next_workday", interval=S.MEASUREMENT_INTERVAL,
                            forecast_steps_hist=defaultdict(int))
    out = []
    for job_id, arrival, duration in jobs:
        start = pd.Timestamp(ORIGIN) + pd.Timedelta(minutes=arrival)  # as Strategy._start_time
        window = AdHocStrategy._forecast_duration(probe, start, duration)
        out.append([int(job_id), int(arrival), int(duration), float(window)])
    return out


def cpu_seconds(resource):
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def peer_run(S, args):
    """Baseline and next_workday (5 % error, both settings) for one country, timed, with late jobs."""
    import resource

    import numpy as np
    import pandas as pd
    import strategy as St

    S.ERROR_REPETITIONS = args.seeds
    country = args.country
    spec = json.loads(Path(args.jobs_json).read_text())
    jobs = [(j, a, d) for j, a, d, _ in spec]
    window = {(a, d): w for _, a, d, w in spec}
    ci = S._load_dataset(str(args.peer_dir.resolve() / "data" / f"{country}_ci.csv"))
    ci = ci[ci.index.minute % S.MEASUREMENT_INTERVAL == 0]
    assert ci.index[0] == pd.Timestamp(ORIGIN)

    # Late jobs: each job's arrival and finish, logged by a wrapper around AdHocStrategy.run
    # (one line per job, flushed, one file per process: the pool's workers are terminated).
    orig_run = St.AdHocStrategy.run
    trace = {"dir": None}

    def traced_run(self, env, duration):
        arrival = env.now
        yield from orig_run(self, env, duration)
        if "_bench_tag" not in self.__dict__:
            self._bench_tag = f"{os.getpid()}-{id(self)}-{time.monotonic_ns()}"
        path = Path(trace["dir"]) / f"{os.getpid()}.csv"
        with open(path, "a") as f:
            f.write(f"{self._bench_tag},{arrival},{duration},{env.now}\n")

    St.AdHocStrategy.run = traced_run

    work = Path(tempfile.mkdtemp(prefix="lwa-"))
    (work / "results").mkdir()
    cwd = os.getcwd()
    os.chdir(work)
    res = {"country": country, "seeds": args.seeds, "series_steps": len(ci), "runs": {}}
    try:
        for name, method, interruptible, error in [
            ("baseline", 0, False, False),
            ("nonint", "next_workday", False, 0.05),
            ("int", "next_workday", True, 0.05),
        ]:
            trace["dir"] = work / f"trace-{name}"
            trace["dir"].mkdir()
            cpu0 = cpu_seconds(resource)
            t0 = time.perf_counter()
            S.ad_hoc_experiment("ml", country, jobs, ci, forecast_method=method,
                                interruptible=interruptible, error=error)
            dt = time.perf_counter() - t0
            cpu = cpu_seconds(resource) - cpu0  # this process and its pool (reaped by then)
            i = "_i" if interruptible else ""
            e = f"_{error}" if error else ""
            df = pd.read_csv(work / "results" / f"ml_{method}{e}{i}_{country}.csv", index_col=0, parse_dates=True)
            finished, late, late_by, delayed = {}, {}, 0.0, {}
            for p in trace["dir"].iterdir():
                for line in p.read_text().splitlines():
                    tag, a, d, fin = line.split(",")
                    a, d, fin = int(a), int(d), float(fin)
                    finished[tag] = finished.get(tag, 0) + 1
                    w = 0 if name == "baseline" else window[(a, d)]
                    over = fin - (a + d + w)
                    if over > 1e-6:
                        late[tag] = late.get(tag, 0) + 1
                        late_by = max(late_by, over)
            n_seeds = max(len(finished), 1)
            res["runs"][name] = {
                "seconds": dt,
                "cpu_seconds": cpu,
                # As the notebook: emissions column (ci x mean active jobs) summed; /2/1e6 cancels.
                "emissions_sum": float(df["emissions"].sum()),
                "job_steps": float(df["active_jobs"].sum()),
                "seeds_traced": len(finished),
                "jobs_finished_per_seed": sorted(set(finished.values())),
                "late_jobs_mean": sum(late.values()) / n_seeds,
                "late_jobs_per_seed": sorted(late.values()),
                "late_by_max_min": late_by,
            }
            print(f"    {country} {name}: {dt:.1f} s ({cpu:.1f} CPU s)", file=sys.stderr, flush=True)
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)
    b = res["runs"]["baseline"]["emissions_sum"]
    # The strict "run on arrival" baseline (their baseline may start a job one step late: its
    # window of 0 still has two candidate starts), from the same ci, for reference.
    c = ci.values
    arrive = 0.0
    for _, a, d in jobs:
        s = a // S.MEASUREMENT_INTERVAL
        arrive += float(c[s:s + d // S.MEASUREMENT_INTERVAL].sum())
    res["on_arrival_emissions_sum"] = arrive
    for name in ("nonint", "int"):
        r = res["runs"][name]
        r["saved_pct"] = (1 - r["emissions_sum"] / b) * 100
        r["saved_pct_vs_on_arrival"] = (1 - r["emissions_sum"] / arrive) * 100
    res["baseline_vs_on_arrival_pct"] = (1 - b / arrive) * 100
    res["peak_rss_mb_largest_process"] = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return res


# ---------------------------------------------------------------------------------------------
# Job files

def write_jobs(spec, out: Path):
    """The Sustain jobs CSVs: per setting, one copy per region (the site must name the series)."""
    files = {}
    mismatches = 0
    for _, arrival, duration, window in spec:
        submit = ORIGIN + timedelta(minutes=arrival)
        finish = submit + timedelta(minutes=duration)
        if next_workday_deadline(finish) != finish + timedelta(minutes=window):
            mismatches += 1
    if mismatches:
        sys.exit(f"the written-out deadline rule differs from the peer's on {mismatches} jobs")
    out.mkdir(parents=True, exist_ok=True)

    def write(path, site, interruptible, sites=None):
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["id", "submit", "duration_min", "deadline", "interruptible", "site"] + (["sites"] if sites else []))
            for job_id, arrival, duration, window in spec:
                submit = ORIGIN + timedelta(minutes=arrival)
                deadline = submit + timedelta(minutes=duration + window)
                w.writerow([f"j{job_id}", fmt(submit), duration, fmt(deadline),
                            "true" if interruptible else "false", site] + ([sites] if sites else []))

    for site in REGIONS:
        for setting, interruptible in SETTINGS.items():
            p = out / f"jobs_{site}_{setting}.csv"
            write(p, site, interruptible)
            files[f"{site}/{setting}"] = p
            p = out / f"jobs_spatial_{site}_{setting}.csv"
            write(p, site, interruptible, sites=";".join(REGIONS))
            files[f"spatial {site}/{setting}"] = p
    return files


def job_stats(spec):
    no_slack = sum(1 for *_, w in spec if w == 0)
    sat = sum(1 for _, a, d, w in spec if (ORIGIN + timedelta(minutes=a + d + w)).weekday() == 5)
    return {"jobs": len(spec), "no_slack": no_slack, "deadline_on_saturday": sat,
            "mean_slack_h": sum(w for *_, w in spec) / len(spec) / 60,
            "duration_min_range": [min(d for _, _, d, _ in spec), max(d for _, _, d, _ in spec)]}


# ---------------------------------------------------------------------------------------------
# The scale workload: 10 sites, 100,000 jobs, capacities

def read_series(path: Path):
    """(time, value) at the :00 and :30 marks from 2020-01-01 on."""
    rows = []
    with open(path) as f:
        r = csv.reader(f)
        next(r)
        for t, v in r:
            ts = datetime.strptime(t, "%Y-%m-%d %H:%M:%S")
            if ts >= ORIGIN and ts.minute % 30 == 0:
                rows.append((ts, float(v)))
    return rows


def write_scale(series_dir: Path, out: Path, n_jobs: int, seed: int):
    """Ten sites from the three real series, each shifted in time and scaled; n_jobs jobs."""
    out.mkdir(parents=True, exist_ok=True)
    base = {s: read_series(series_dir / f) for s, (_, f) in REGIONS.items()}
    n = min(len(v) for v in base.values())
    sites = {}
    for k in range(10):
        src = list(REGIONS)[k % 3]
        shift = 7 * k  # steps (3.5 h per site): unlike daily shapes, as if in other time zones
        scale = 0.6 + 0.1 * k
        vals = [v for _, v in base[src]][:n]
        times = [t for t, _ in base[src]][:n]
        path = out / f"site{k}.csv"
        with open(path, "w") as f:
            f.write("Time,Carbon Intensity\n")
            for i, t in enumerate(times):
                f.write(f"{t:%Y-%m-%d %H:%M:%S},{vals[(i + shift) % n] * scale:.3f}\n")
        sites[f"site{k}"] = {"path": path, "from": src, "shift_steps": shift, "scale": scale}
    names = list(sites)
    rng = random.Random(seed)
    last_submit = (datetime(2020, 12, 31) - ORIGIN) // timedelta(minutes=STEP)
    busy = {s: {} for s in names}
    rows = []
    for i in range(n_jobs):
        submit = ORIGIN + timedelta(minutes=STEP * rng.randrange(last_submit))
        duration = STEP * rng.randint(1, 48)  # 30 min to 24 h
        finish = submit + timedelta(minutes=duration)
        deadline = next_workday_deadline(finish) if rng.random() < 0.5 else finish + timedelta(minutes=STEP * rng.randint(0, 48))
        home = rng.choice(names)
        allowed = [home] + rng.sample([s for s in names if s != home], 2)
        first = (submit - ORIGIN) // timedelta(minutes=STEP)
        for step in range(first, first + duration // STEP):
            busy[home][step] = busy[home].get(step, 0) + 1
        rows.append([f"s{i}", fmt(submit), duration, fmt(deadline), "true" if rng.random() < 0.5 else "false",
                     home, ";".join(allowed)])
    path = out / "jobs_scale.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "submit", "duration_min", "deadline", "interruptible", "site", "sites"])
        w.writerows(rows)
    # Capacity: the peak number of jobs running at once at each site when every job runs on
    # arrival at home, so the baseline fits and the limits bind once the policy gathers jobs
    # into low-carbon hours.
    capacity = {s: max(busy[s].values()) for s in names}
    return path, sites, capacity


# ---------------------------------------------------------------------------------------------
# Sustain

def sustain_has_schedule(binary: Path) -> bool:
    if not binary.exists():
        return False
    p = subprocess.run([str(binary), "schedule", "--help"], capture_output=True, text=True)
    return p.returncode == 0


def sustain_simulate(binary: Path, jobs: Path, intensities, seeds, extra=(), timed=False):
    """`sustain schedule simulate ... --json`: (seconds, JSON, peak RSS MB or None)."""
    args = ["schedule", "simulate", "--jobs", str(jobs)]
    for site, path in intensities:
        args += ["--intensity", f"{site}={path}"]
    args += ["--policy", "carbon", "--forecast-error", "0.05", "--seeds", str(seeds), *extra]
    cmd = [str(binary), *args, "--json"]
    wrap = ["/usr/bin/time", "-f", "TIME %e %M"] if timed and Path("/usr/bin/time").exists() else []
    t0 = time.perf_counter()
    p = subprocess.run(wrap + cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr[-1500:]}")
    rss = None
    if wrap:
        for line in p.stderr.splitlines():
            if line.startswith("TIME "):
                _, secs, kb = line.split()
                dt, rss = float(secs), int(kb) / 1024
    return dt, json.loads(p.stdout), rss, " ".join(cmd)


# ---------------------------------------------------------------------------------------------

def machine():
    model = None
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": model, "nproc": os.cpu_count(), "ram_gib": mem, "kernel": platform.release(),
            "python": platform.python_version(), "loadavg_at_start": os.getloadavg()}


def f2(v, nd=2):
    return "-" if v is None else f"{v:.{nd}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--install", action="store_true", help="create benches/.venv-sched, get the peer's code, and exit")
    ap.add_argument("--peer-dir", type=Path, help=f"the peer's checkout (default {PEER_DIR.relative_to(ROOT)})")
    ap.add_argument("--peer-git", type=Path, help="with --install: take the peer's files at the pinned commit from this local git directory instead of cloning")
    ap.add_argument("--sustain", type=Path, default=SUSTAIN, help="the binary (default: target/release/sustain)")
    ap.add_argument("--series-dir", type=Path, default=SERIES_DIR, help="the shared series (default ../shared/data/carbon-intensity)")
    ap.add_argument("--regions", default="gb,fr,de")
    ap.add_argument("--seeds", type=int, default=10, help="forecast-error seeds, both sides (the peer's ERROR_REPETITIONS is 10)")
    ap.add_argument("--skip-peer", action="store_true", help="Sustain only (no peer columns)")
    ap.add_argument("--reuse-peer", action="store_true", help="take the peer's figures from the previous --json output instead of rerunning it (said so in the output)")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--scale-jobs", type=int, default=100_000)
    ap.add_argument("--scale-seeds", type=int, default=1)
    ap.add_argument("--json", type=Path, default=ROOT / "benches" / "out" / "sched_wiesner.json")
    ap.add_argument("--peer-task", choices=["jobs", "run"], help=argparse.SUPPRESS)
    ap.add_argument("--country", help=argparse.SUPPRESS)
    ap.add_argument("--jobs-json", help=argparse.SUPPRESS)
    ap.add_argument("--result-json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer_task:
        args.peer_dir = args.peer_dir or PEER_DIR
        return peer_task(args)
    if args.install:
        return install(args)

    peer_dir = (args.peer_dir or PEER_DIR).resolve()
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    for r in regions:
        if r not in REGIONS:
            sys.exit(f"--regions: {r} is not one of {', '.join(REGIONS)}")
    if not PYTHON.exists():
        sys.exit("install the peer first: python3 benches/sched_wiesner.py --install")
    check_peer(peer_dir)
    result = {"date": datetime.now().isoformat(timespec="seconds"), "machine": machine(),
              "command": " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:]),
              "peer": {"repo": PEER_URL, "commit": PEER_COMMIT, "dir": str(peer_dir),
                       "venv": subprocess.run([str(VENV / "bin" / "pip"), "freeze"], capture_output=True, text=True).stdout.split()},
              "seeds": args.seeds, "published_pct": {f"{r}/{s}": v for (r, s), v in PUBLISHED.items()}}
    print(f"Machine: {result['machine']['cpu']}, {result['machine']['nproc']} CPUs, {result['machine']['ram_gib']} GiB, "
          f"load {result['machine']['loadavg_at_start'][0]:.2f}")

    # 1. Jobs, from the peer's generator and its deadline function.
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(PYTHON), __file__, "--peer-task", "jobs", "--peer-dir", str(peer_dir),
                    "--result-json", str(OUT / "peer_jobs.json")], check=True)
    spec = json.loads((OUT / "peer_jobs.json").read_text())
    files = write_jobs(spec, OUT)
    result["jobs"] = dict(job_stats(spec), files={k: str(v.relative_to(ROOT)) for k, v in files.items()})
    print(f"Jobs: {len(spec)} from the peer's generate_batch_jobs; {result['jobs']['no_slack']} with no slack, "
          f"{result['jobs']['deadline_on_saturday']} due on a Saturday, mean slack {result['jobs']['mean_slack_h']:.1f} h; "
          f"written to {OUT.relative_to(ROOT)}/jobs_*.csv")

    # The peer's series and the shared ones.
    same = {}
    for r in regions:
        country, fname = REGIONS[r]
        a = (peer_dir / "data" / f"{country}_ci.csv").read_bytes()
        b = (args.series_dir / fname).read_bytes() if (args.series_dir / fname).exists() else None
        same[r] = b is not None and hashlib.sha256(a).digest() == hashlib.sha256(b).digest()
    result["peer_series_equal_shared"] = same
    print("Peer series byte-identical to the shared ones:", ", ".join(f"{r} {'yes' if v else 'NO'}" for r, v in same.items()))

    # 2. The peer.
    peer = {}
    if args.reuse_peer and args.json.exists():
        prev = json.loads(args.json.read_text())
        peer = prev.get("peer_results", {})
        result["peer_reused_from"] = prev.get("date")
        print(f"Peer figures reused from the run of {prev.get('date')} (--reuse-peer)")
    elif not args.skip_peer:
        for r in regions:
            country = REGIONS[r][0]
            print(f"  peer {r}: baseline, next_workday non-interruptible, interruptible ({args.seeds} seeds) ...", flush=True)
            t0 = time.perf_counter()
            res = OUT / f"peer_{r}.json"
            p = subprocess.run([str(PYTHON), __file__, "--peer-task", "run", "--peer-dir", str(peer_dir),
                                "--country", country, "--jobs-json", str(OUT / "peer_jobs.json"),
                                "--seeds", str(args.seeds), "--result-json", str(res)], stdout=sys.stderr)
            if p.returncode != 0:
                sys.exit(f"the peer failed on {r} ({p.returncode})")
            peer[r] = json.loads(res.read_text())
            peer[r]["process_seconds"] = time.perf_counter() - t0
    result["peer_results"] = peer

    # 3. Sustain.
    sus = {}
    has = sustain_has_schedule(args.sustain)
    result["sustain"] = {"binary": str(args.sustain), "has_schedule": has}
    if not has:
        note = (f"{args.sustain} has no `schedule` command yet (`sustain schedule --help` fails): Sustain's half is skipped"
                if args.sustain.exists() else f"{args.sustain} not found (cargo build --release -p sustain-cli): Sustain's half is skipped")
        result["sustain"]["note"] = note
        print("NOTE:", note)
    else:
        try:
            sustain_half(args, regions, files, sus)
        except RuntimeError as e:  # a flag the CLI does not take yet, say: keep the peer's figures
            result["sustain"]["error"] = str(e)
            print("Sustain's half stopped:", e)
    result["sustain_results"] = sus

    # 4. The table.
    table(args, regions, peer, sus, result)


def sustain_half(args, regions, files, sus):
    """Sustain's runs: per region and setting, spatial, scale (filled into `sus`)."""
    for r in regions:
        path = args.series_dir / REGIONS[r][1]
        for setting in SETTINGS:
            dt, js, _, cmd = sustain_simulate(args.sustain, files[f"{r}/{setting}"], [(r, path)], args.seeds)
            sus[f"{r}/{setting}"] = {"seconds": dt, "command": cmd, **{k: js.get(k) for k in (
                "jobs", "saved_pct", "deadline_misses", "mean_wait_min", "moved_jobs")},
                "baseline_co2e_g": js.get("baseline", {}).get("co2e_g"), "policy_co2e_g": js.get("policy", {}).get("co2e_g")}
    every = [(s, args.series_dir / REGIONS[s][1]) for s in REGIONS]
    for r in regions:
        for setting in SETTINGS:
            dt, js, _, cmd = sustain_simulate(args.sustain, files[f"spatial {r}/{setting}"], every, args.seeds)
            sus[f"spatial {r}/{setting}"] = {"seconds": dt, "command": cmd, "per_site": js.get("per_site"), **{k: js.get(k) for k in (
                "jobs", "saved_pct", "deadline_misses", "mean_wait_min", "moved_jobs")}}
    if not args.skip_scale:
        jobs, sites, cap = write_scale(args.series_dir, OUT / "scale", args.scale_jobs, seed=12)
        extra = []
        for s, c in cap.items():
            extra += ["--capacity", f"{s}={c}"]
        dt, js, rss, cmd = sustain_simulate(args.sustain, jobs, [(s, v["path"]) for s, v in sites.items()],
                                            args.scale_seeds, extra, timed=True)
        sus["scale"] = {"seconds": dt, "peak_rss_mb": rss, "command": cmd, "capacity": cap,
                        "sites": {s: {k: (str(v) if k == "path" else v) for k, v in d.items()} for s, d in sites.items()},
                        **{k: js.get(k) for k in ("jobs", "saved_pct", "deadline_misses", "mean_wait_min", "moved_jobs")}}


def table(args, regions, peer, sus, result):
    rows = []
    print()
    print(f"| region | setting | published % | peer saved % | peer saved % vs on-arrival | peer late jobs (mean/seed) | peer s (CPU s) "
          f"| Sustain saved % | Sustain misses | Sustain s | peer s / Sustain s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in regions:
        for setting in SETTINGS:
            pr = peer.get(r, {}).get("runs", {}).get(setting)
            sr = sus.get(f"{r}/{setting}")
            row = {"region": r, "setting": setting, "published_pct": PUBLISHED[(r, setting)],
                   "peer_saved_pct": pr and pr["saved_pct"], "peer_saved_pct_vs_on_arrival": pr and pr["saved_pct_vs_on_arrival"],
                   "peer_late_jobs_mean": pr and pr["late_jobs_mean"], "peer_seconds": pr and pr["seconds"],
                   "peer_cpu_seconds": pr and pr.get("cpu_seconds"),
                   "sustain_saved_pct": sr and sr["saved_pct"], "sustain_misses": sr and sr["deadline_misses"],
                   "sustain_seconds": sr and sr["seconds"]}
            row["ratio"] = (row["peer_seconds"] / row["sustain_seconds"]) if pr and sr and sr["seconds"] else None
            rows.append(row)
            print(f"| {r} | {setting} | {row['published_pct']:.2f} | {f2(row['peer_saved_pct'])} | {f2(row['peer_saved_pct_vs_on_arrival'])} "
                  f"| {f2(row['peer_late_jobs_mean'], 1)} | {f2(row['peer_seconds'], 1)} ({f2(row['peer_cpu_seconds'], 0)}) | {f2(row['sustain_saved_pct'])} "
                  f"| {'-' if row['sustain_misses'] is None else row['sustain_misses']} | {f2(row['sustain_seconds'], 3)} "
                  f"| {f2(row['ratio'], 0)} |")
    result["rows"] = rows
    for r in regions:
        if r in peer:
            b = peer[r]["runs"]["baseline"]
            print(f"peer {r} baseline: {b['seconds']:.1f} s, {b['late_jobs_mean']:.0f} jobs started one step after arrival "
                  f"(baseline {peer[r]['baseline_vs_on_arrival_pct']:.2f} % below strict on-arrival), "
                  f"peak RSS of its largest process {peer[r]['peak_rss_mb_largest_process']:.0f} MB")
    for r in regions:
        for setting in SETTINGS:
            s = sus.get(f"spatial {r}/{setting}")
            if s:
                print(f"spatial, home {r}, {setting}: saved {f2(s['saved_pct'])} % (temporal only {f2(sus.get(f'{r}/{setting}', {}).get('saved_pct'))} %), "
                      f"misses {s['deadline_misses']}, {s['seconds']:.3f} s")
    if "scale" in sus:
        s = sus["scale"]
        print(f"scale: {s['jobs']} jobs, 10 sites, capacities {s['capacity']}: {s['seconds']:.2f} s, "
              f"peak RSS {f2(s['peak_rss_mb'], 1)} MB, saved {f2(s['saved_pct'])} %, misses {s['deadline_misses']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
