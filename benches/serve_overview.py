#!/usr/bin/env python3
"""`sustain serve` on a big ledger: how fast the overview (page and API) answers.

Starts the release binary's `sustain serve` on the one-million-run ledger that
benches/report_1m.py builds (benches/out/report-1m.sqlite), creates a viewer token in it, and
times GET requests with that token over one keep-alive connection:

- cold: the first request after the server starts (the month's accounts are computed: this
  month and the previous one, every breakdown); the server is restarted for each repeat;
- warm: the next requests, answered from the cache (the ledger's revision has not moved);
- the same for the overview page (`/`), a runs list, a quarter's accounts and `/metrics`.

Usage (from the repository root):
    cargo build --release -p sustain-cli
    python3 benches/report_1m.py             # once, if benches/out/report-1m.sqlite is missing
    python3 benches/serve_overview.py [--ledger benches/out/report-1m.sqlite] [--repeat 200]

The goal (issue 5): the overview answers in under 200 ms on a ledger of one million runs.
Nothing here runs in the test suite; the figures go to BENCHMARKS.md by hand.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUSTAIN = ROOT / "target" / "release" / "sustain"


def start_server(sustain, ledger):
    p = subprocess.Popen([sustain, "serve", "--addr", "127.0.0.1:0"],
                         env=dict(os.environ, SUSTAIN_LEDGER=str(ledger)),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        if " on http://" in line:
            hostport = line.split(" on http://")[1].split()[0]
            host, port = hostport.rsplit(":", 1)
            return p, host, int(port)
    sys.exit("sustain serve exited: " + (p.stderr.read() if p.stderr else ""))


def stop(p):
    p.terminate()
    p.wait(timeout=30)


def timed_get(conn, path, token):
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    r = conn.getresponse()
    body = r.read()
    dt = time.perf_counter() - t0
    if r.status != 200:
        sys.exit(f"GET {path}: {r.status} {body[:300]!r}")
    return dt, body


def ms(xs):
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    return f"median {statistics.median(xs) * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms, max {xs[-1] * 1e3:.1f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ledger", type=Path, default=ROOT / "benches" / "out" / "report-1m.sqlite")
    ap.add_argument("--sustain", type=Path, default=SUSTAIN)
    ap.add_argument("--repeat", type=int, default=200, help="warm requests per path")
    ap.add_argument("--cold", type=int, default=3, help="server restarts for the cold figures")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args()
    if not args.sustain.exists():
        sys.exit("build first: cargo build --release -p sustain-cli")
    if not args.ledger.exists():
        sys.exit(f"{args.ledger} is missing: python3 benches/report_1m.py builds it")
    env = dict(os.environ, SUSTAIN_LEDGER=str(args.ledger))
    # Opening the ledger once applies pending migrations (0008 indexes a million run ends once).
    t0 = time.perf_counter()
    token = subprocess.run([args.sustain, "token", "create", "--role", "viewer", "--name",
                            f"bench-{int(time.time())}"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    print(f"token created ({time.perf_counter() - t0:.1f} s, migrations included)")
    import sqlite3
    db = sqlite3.connect(args.ledger)
    n_runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    month = time.strftime("%Y-%m", time.gmtime())
    in_month = db.execute("SELECT count(*) FROM run_facts WHERE started_at >= ? AND started_at < ?",
                          (month + "-01", month + "-32")).fetchone()[0]
    db.close()
    print(f"ledger: {args.ledger} ({args.ledger.stat().st_size / 1e9:.2f} GB), {n_runs} runs, {in_month} started in {month}")

    results = {"runs": n_runs, "runs_this_month": in_month}
    cold = {"/api/v1/overview": [], "/": []}
    for _ in range(args.cold):
        for path in cold:
            p, host, port = start_server(args.sustain, args.ledger)
            conn = http.client.HTTPConnection(host, port, timeout=120)
            dt, _ = timed_get(conn, path, token)
            cold[path].append(dt)
            conn.close()
            stop(p)
    for path, xs in cold.items():
        print(f"cold (first request after start) {path}: {ms(xs)}")
        results[f"cold {path}"] = statistics.median(xs)

    p, host, port = start_server(args.sustain, args.ledger)
    conn = http.client.HTTPConnection(host, port, timeout=120)
    try:
        for path in ["/api/v1/overview", "/", "/fragments/overview-charts", "/api/v1/runs?limit=50",
                     "/api/v1/accounts?period=2026-Q3", "/metrics"]:
            first, body = timed_get(conn, path, token)
            xs = [timed_get(conn, path, token)[0] for _ in range(args.repeat)]
            print(f"{path}: first {first * 1e3:.1f} ms; then {args.repeat} requests: {ms(xs)} ({len(body)} bytes)")
            results[path] = {"first_s": first, "median_s": statistics.median(xs),
                             "max_s": max(xs), "bytes": len(body)}
            if path == "/api/v1/overview":
                o = json.loads(body)
                print(f"  overview: {o['headline']['runs']} runs in {o['headline']['period']}, "
                      f"{o['headline']['energy_wh'] / 1e3:.1f} kWh against {o['previous']['energy_wh'] / 1e3:.1f} kWh")
    finally:
        conn.close()
        stop(p)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
