#!/usr/bin/env python3
"""`sustain serve-model` against ONNX Runtime behind a minimal Python server, under wrk.

One model, three servers, one load each, side by side in one run:

- sustain f32: `sustain serve-model --model M` (the tabular-mlp trained here, f32 on burn);
- sustain int8: the same model after `sustain optimize quantize --int8 --per-channel`;
- ONNX Runtime: the same architecture and the same f32 weights, read from M's safetensors
  file and written as an ONNX graph (Gemm, Relu, Gemm, Relu, Gemm; the model's standardizer
  applied in NumPy), served by aiohttp (one `InferenceSession.run` per request, no batching:
  the minimal server a user would write). It runs under `sustain run`, so its energy is
  metered by the same meter as Sustain's own `serve` run.

Each server gets the same load: wrk, 200 connections, 2 threads, `--duration` seconds, every
request `POST /v1/predict` with one row of the breast-cancer data. Reported per server:
requests/s, latency p50 and p99 (wrk's), non-2xx and socket errors, and IT energy per 1,000
requests (the metered run's energy over the requests wrk completed; the server idles for the
same short time around each load, so that is included for all three).

Usage (from the repository root; wrk from Debian's package `wrk`):
    cargo build --release -p sustain-cli
    python3 benches/serve_model.py [--duration 15] [--bin target/release/sustain]

The Python environment (onnxruntime, onnx, numpy, aiohttp) is created in benches/.venv-serve on
first use and never committed. Nothing here runs in the test suite; figures go to BENCHMARKS.md.
"""

import argparse
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "benches" / ".venv-serve"
ROW = [17.99, 10.38, 122.8, 1001, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871, 1.095,
       0.9053, 8.589, 153.4, 0.006399, 0.04904, 0.05373, 0.01587, 0.03003, 0.006193, 25.38,
       17.33, 184.6, 2019, 0.1622, 0.6656, 0.7119, 0.2654, 0.4601, 0.1189]

PEER_SERVER = r'''
import json, sys
import numpy as np, onnxruntime as ort
from aiohttp import web

model, config, port = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3])
mean = np.array(config["standardizer"]["mean"], dtype=np.float32)
std = np.array(config["standardizer"]["std"], dtype=np.float32)
classes = config["classes"]
opts = ort.SessionOptions()
opts.intra_op_num_threads = 1
sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])

async def predict(request):
    body = await request.json()
    x = (np.asarray(body["rows"], dtype=np.float32) - mean) / std
    logits = sess.run(None, {"x": x})[0].astype(np.float64)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    preds = [{"class": classes[int(r.argmax())],
              "probabilities": dict(zip(classes, map(float, r)))} for r in p]
    return web.json_response({"predictions": preds})

app = web.Application()
app.router.add_post("/v1/predict", predict)
print(f"serving on http://127.0.0.1:{port}", flush=True)
web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
'''


def venv_python():
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "onnxruntime", "onnx", "numpy",
                        "aiohttp"], check=True)
    return str(py)


def sustain(bin_, env, *args, capture=True):
    r = subprocess.run([bin_, *args], env=env, capture_output=capture, text=True)
    if r.returncode != 0:
        sys.exit(f"sustain {' '.join(args)}: {r.stderr}")
    return r.stdout


def safetensors(path):
    b = Path(path).read_bytes()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        start, end = v["data_offsets"]
        out[k] = (v["shape"], b[8 + n + start:8 + n + end])
    return out


def write_onnx(py, weights_path, onnx_path):
    """The MLP as an ONNX graph, built with the onnx package from burn's safetensors."""
    script = r'''
import sys, json, struct, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n]); w = {}
for k, v in h.items():
    if k == "__metadata__": continue
    s, e = v["data_offsets"]
    w[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype=np.float32).reshape(v["shape"])
nodes, inits, prev = [], [], "x"
for i, layer in enumerate(["l1", "l2", "out"]):
    W, B = w[f"Mlp.{layer}.weight"], w[f"Mlp.{layer}.bias"]
    inits += [numpy_helper.from_array(W, f"{layer}.W"), numpy_helper.from_array(B, f"{layer}.B")]
    out = "logits" if layer == "out" else f"h{i}"
    nodes.append(helper.make_node("Gemm", [prev, f"{layer}.W", f"{layer}.B"], [out if layer == "out" else out + "p"]))
    if layer != "out":
        nodes.append(helper.make_node("Relu", [out + "p"], [out]))
    prev = out
graph = helper.make_graph(nodes, "mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", w["Mlp.l1.weight"].shape[0]])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", w["Mlp.out.weight"].shape[1]])],
    inits)
m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.checker.check_model(m)
onnx.save(m, sys.argv[2])
'''
    subprocess.run([py, "-c", script, str(weights_path), str(onnx_path)], check=True)


def wait_ready(url, timeout=60):
    body = json.dumps({"rows": [ROW]}).encode()
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            req = urllib.request.Request(url + "/v1/predict", data=body,
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=5) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} never answered")


def wrk(url, duration, lua):
    out = subprocess.run(["wrk", "-t2", "-c200", f"-d{duration}s", "--latency", "-s", lua,
                          url + "/v1/predict"], capture_output=True, text=True, check=True).stdout

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "errors": (int(non2xx.group(1)) if non2xx else 0)
                  + (sum(map(int, sock.groups())) if sock else 0),
        "raw": out,
    }


def last_run(bin_, env):
    return json.loads(sustain(bin_, env, "runs", "list", "--json", "--limit", "1"))[0]


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "sustain"))
    a = ap.parse_args()
    a.bin = str(Path(a.bin).resolve())
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    py = venv_python()
    work = Path(tempfile.mkdtemp(prefix="sustain-serve-bench-"))
    env = dict(os.environ, SUSTAIN_LEDGER=str(work / "ledger.sqlite"))
    sustain(a.bin, env, "train", "tabular-mlp", "--out", str(work / "mlp"), "--json")
    sustain(a.bin, env, "optimize", "quantize", "--model", str(work / "mlp"), "--int8",
            "--per-channel", "--out", str(work / "mlp-int8"), "--json")
    write_onnx(py, work / "mlp" / "model.safetensors", work / "mlp.onnx")
    (work / "peer.py").write_text(PEER_SERVER)
    lua = work / "post.lua"
    lua.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                   f"wrk.body = '{json.dumps({'rows': [ROW]})}'\n")

    results = {}
    for name, model in [("sustain f32", "mlp"), ("sustain int8", "mlp-int8")]:
        p = subprocess.Popen([a.bin, "serve-model", "--model", str(work / model), "--addr",
                              "127.0.0.1:0", "--json"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        for line in p.stderr:
            if " on http://" in line:
                url = "http://" + line.split(" on http://")[1].split()[0]
                break
        first = wait_ready(url)
        w = wrk(url, a.duration, str(lua))
        p.send_signal(signal.SIGTERM)
        run = json.loads(p.communicate(timeout=60)[0])
        results[name] = dict(w, energy_wh=run["energy"]["total_wh"],
                             source=run["energy"]["sources"]["cpu"], first=first)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    p = subprocess.Popen([a.bin, "run", "--name", "onnxruntime-peer", "--kind", "serve",
                          "--json", "--", py,
                          str(work / "peer.py"), str(work / "mlp.onnx"),
                          str(work / "mlp" / "config.json"), str(port)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = wait_ready(url)
    w = wrk(url, a.duration, str(lua))
    # SIGTERM to the metered child (the server), so `sustain run` records its end.
    children = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True,
                              text=True).stdout.split()
    for c in children:
        os.kill(int(c), signal.SIGTERM)
    p.communicate(timeout=60)
    run = last_run(a.bin, env)
    results["ONNX Runtime (aiohttp)"] = dict(w, energy_wh=run["energy"]["total_wh"],
                                             source=run["energy"]["sources"]["cpu"],
                                             first=first)

    base = results["sustain f32"]["first"]["predictions"][0]
    print(f"machine: {os.cpu_count()} CPUs; wrk -t2 -c200 -d{a.duration}s, one breast-cancer row "
          f"per request; model tabular-mlp (30-64-64-2); sustain {a.bin}")
    print(f"{'server':24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
          f"{'Wh/1k req':>10} {'energy':>9}  first answer")
    for name, r in results.items():
        per_1k = r["energy_wh"] / max(r["requests"], 1) * 1000
        pred = r["first"]["predictions"][0]
        print(f"{name:24} {r['rps']:9.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
              f"{r['errors']:7d} {per_1k:10.3g} {r['source']:>9}  {pred['class']} "
              f"p(other)={min(pred['probabilities'].values()):.3e}")
    s, o = results["sustain f32"], results["ONNX Runtime (aiohttp)"]
    print(f"ratio sustain f32 / ONNX Runtime: requests/s {s['rps'] / o['rps']:.2f}x, "
          f"p99 {s['p99_ms'] / o['p99_ms']:.2f}x")
    print(f"same class as ONNX Runtime: {base['class'] == o['first']['predictions'][0]['class']}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
