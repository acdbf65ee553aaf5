#!/usr/bin/env python3
"""Sustain's training tasks replicated in PyTorch (CPU), for benches/train_vs_pytorch.py.

Same models, data, split sizes, optimizer and loop as `sustain train` (crates/train):

- mlp (`tabular-mlp`): Linear(784,64) -> ReLU -> Linear(64,64) -> ReLU -> Linear(64,10).
- cnn (`digits-cnn`): Conv2d(1,16,3,same) -> ReLU -> MaxPool2d(2) -> Conv2d(16,32,3,same) -> ReLU
  -> MaxPool2d(2) -> flatten -> Linear(32*(S/4)^2,64) -> ReLU -> Linear(64,10).
- Data: the bundled MNIST subset (data/datasets/mnist_5k.csv.gz: 784 pixels 0-255 then the digit,
  no header), pixels / 255 for both models, as Sustain does for image datasets.
- Split: shuffled by --seed, 15% test, 15% validation (rounded), the rest training
  (3500 / 750 / 750 for 5,000 rows). The indices differ from Sustain's; the sizes do not.
- Each epoch: a fresh shuffle of the training split, minibatches of --batch-size, softmax
  cross-entropy, Adam (lr 1e-3 for mlp, 3e-3 for cnn, betas 0.9/0.999, eps 1e-5: burn's
  defaults); per batch the loss value and training accuracy are read back, as Sustain's loop
  does; then loss and accuracy on the whole validation split in one batch, without gradients.
- Denormals flushed to zero, as `sustain train` does.

samples_per_s = training rows x epochs / seconds of the epoch loop (validation included),
which is how Sustain computes its figure. Loading the data and importing torch are outside it.

Prints one JSON object on stdout at the end, and writes the same object to --result PATH if given.

Usage:
    benches/.venv-torch/bin/python benches/torch_train.py --model mlp --epochs 5 [--threads 2]
"""

import argparse
import gzip
import json
import math
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "datasets" / "mnist_5k.csv.gz"
DEFAULT_LR = {"mlp": 1e-3, "cnn": 3e-3}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["mlp", "cnn"], required=True)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--lr", type=float, help="default: 1e-3 for mlp, 3e-3 for cnn (Sustain's defaults)")
    ap.add_argument("--data", type=Path, default=DATA, help="gzip CSV, no header, pixels then label")
    ap.add_argument("--result", type=Path, help="also write the JSON result here")
    args = ap.parse_args()
    if args.epochs < 1 or args.batch_size < 1 or args.threads < 1:
        ap.error("--epochs, --batch-size and --threads must be >= 1")
    return args


def load(path):
    import numpy as np
    with gzip.open(path, "rt") as f:
        a = np.loadtxt(f, delimiter=",", dtype=np.float32, ndmin=2)
    x = a[:, :-1] / np.float32(255.0)
    y = a[:, -1].astype(np.int64)
    return x, y


def build(kind, inputs, classes):
    import torch.nn as nn
    if kind == "mlp":
        return nn.Sequential(
            nn.Linear(inputs, 64), nn.ReLU(),
            nn.Linear(64, 64), nn.ReLU(),
            nn.Linear(64, classes),
        )
    side = int(round(math.sqrt(inputs)))
    if side * side != inputs or side % 4 != 0:
        raise SystemExit(f"cnn needs square images whose side divides by 4; got {inputs} pixels")
    return nn.Sequential(
        nn.Unflatten(1, (1, side, side)),
        nn.Conv2d(1, 16, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * (side // 4) ** 2, 64), nn.ReLU(),
        nn.Linear(64, classes),
    )


def main():
    args = parse_args()
    import numpy as np
    import torch
    import torch.nn.functional as F

    # Threads first: interop threads can only be set before any parallel work starts.
    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(args.seed)

    x_all, y_all = load(args.data)
    n, inputs = x_all.shape
    classes = int(y_all.max()) + 1
    perm = np.random.default_rng(args.seed).permutation(n)
    n_test = int(round(n * 0.15))
    n_val = int(round(n * 0.15))
    te, va, tr = perm[:n_test], perm[n_test:n_test + n_val], perm[n_test + n_val:]
    if len(tr) == 0 or len(va) == 0 or len(te) == 0:
        raise SystemExit(f"{n} rows: too few to split")
    x_tr, y_tr = torch.from_numpy(x_all[tr]), torch.from_numpy(y_all[tr])
    x_va, y_va = torch.from_numpy(x_all[va]), torch.from_numpy(y_all[va])
    x_te, y_te = torch.from_numpy(x_all[te]), torch.from_numpy(y_all[te])
    n_train = len(tr)

    model = build(args.model, inputs, classes)
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.model]
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-5)
    batch = min(args.batch_size, n_train)
    gen = torch.Generator()

    history = []
    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        gen.manual_seed(args.seed + epoch)
        order = torch.randperm(n_train, generator=gen)
        loss_sum, correct = 0.0, 0
        for idx in torch.split(order, batch):
            x, y = x_tr[idx], y_tr[idx]
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            value = loss.item()
            if not math.isfinite(value):
                raise SystemExit(f"diverged at epoch {epoch}: loss {value} (lr {lr})")
            loss_sum += value * len(idx)
            correct += int((logits.argmax(1) == y).sum())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            logits = model(x_va)
            val_loss = F.cross_entropy(logits, y_va).item()
            val_acc = (logits.argmax(1) == y_va).float().mean().item()
        history.append({
            "epoch": epoch,
            "loss": loss_sum / n_train,
            "accuracy": correct / n_train,
            "val_loss": val_loss,
            "val_accuracy": val_acc,
            "seconds": time.perf_counter() - t0,
        })
    seconds = time.perf_counter() - started

    with torch.no_grad():
        test_acc = (model(x_te).argmax(1) == y_te).float().mean().item()

    result = {
        "framework": "pytorch",
        "torch_version": torch.__version__,
        "model": args.model,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "lr": lr,
        "seed": args.seed,
        "rows": {"train": n_train, "val": len(va), "test": len(te)},
        "samples_per_s": n_train * args.epochs / max(seconds, 1e-9),
        "test_accuracy": test_acc,
        "seconds": seconds,
        "history": history,
    }
    text = json.dumps(result)
    if args.result:
        args.result.parent.mkdir(parents=True, exist_ok=True)
        args.result.write_text(text + "\n")
    print(text, flush=True)


if __name__ == "__main__":
    main()
