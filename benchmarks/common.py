"""Shared benchmark machinery: each framework runs in its own process, frameworks alternate round by round,
and every measurement and every summary is printed as one JSON line.

A workload script defines `WORKLOAD` (its name), `run(framework, args) -> dict of measurements` (executed in the
worker process) and calls `main(...)`. Frameworks: `cornu`, `torch` (an idiomatic hand-written loop), and
`keras-jax`, `keras-torch`, `keras-tensorflow` (Keras 3 with that backend, skipped if it is not installed).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATASETS = Path(os.environ.get("CORNU_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
FRAMEWORKS = ("cornu", "torch", "keras-jax", "keras-torch", "keras-tensorflow")


def load_mnist():
    import numpy as np

    with np.load(DATASETS / "mnist.npz") as data:
        x_train = data["x_train"].reshape(-1, 784).astype("float32") / 255
        x_test = data["x_test"].reshape(-1, 784).astype("float32") / 255
        y_train = np.eye(10, dtype="float32")[data["y_train"]]
        y_test = np.eye(10, dtype="float32")[data["y_test"]]
    return (x_train, y_train), (x_test, y_test)


def load_pokemon():
    import numpy as np

    data = np.genfromtxt(DATASETS / "pkgo_city66_class5_v1.csv", delimiter=",", skip_header=1)
    x = data[:, 0:200].astype("float32")
    y = np.eye(5, dtype="float32")[data[:, 200].astype("int64")]
    return x, y


def api_for(framework):
    """The Keras-style API a framework is driven through: `cornu`, or Keras with the worker's backend (its
    KERAS_BACKEND is set before the worker starts)."""
    import importlib

    return importlib.import_module("cornu" if framework == "cornu" else "keras")


def torch_classifier_epochs(model, x, labels, batch_size, epochs):
    """Seconds per epoch of an idiomatic hand-written PyTorch loop: DataLoader over tensors, zero_grad/backward/step
    with Adam (Keras's epsilon), and the running loss and accuracy a Keras user would see."""
    import torch

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    dataset = torch.utils.data.TensorDataset(x, labels)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True)
    loss_fn, times = torch.nn.CrossEntropyLoss(), []
    model.train()
    for _ in range(epochs):
        start = time.perf_counter()
        total, correct = torch.zeros(()), torch.zeros((), dtype=torch.long)
        for xb, yb in loader:
            optimizer.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
            correct += (logits.argmax(1) == yb).sum()
        float(total), int(correct)
        times.append(time.perf_counter() - start)
    return times


def peak_rss_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker(script, framework, args):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if framework.startswith("keras-"):
        env["KERAS_BACKEND"] = framework.split("-", 1)[1]
    command = [sys.executable, script, "--worker", framework] + args
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]}


def _available(framework):
    if not framework.startswith("keras-"):
        return True
    import importlib.util

    backend = framework.split("-", 1)[1]  # found, not imported: importing keras here would pick a backend
    return all(importlib.util.find_spec(name) is not None for name in ("keras", backend))


def main(workload, run, extra_arguments=(), metrics=("seconds",), lower_is_better=True):
    parser = argparse.ArgumentParser(description=f"benchmark: {workload}")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frameworks", default="cornu,torch,keras-jax,keras-torch,keras-tensorflow")
    for flags, options in extra_arguments:
        parser.add_argument(*flags, **options)
    args, rest = parser.parse_known_args()
    if args.worker:
        result = run(args.worker, args)
        print(json.dumps({"bench": workload, "framework": args.worker, **result}))
        return
    frameworks = [f for f in args.frameworks.split(",") if f]
    skipped = [f for f in frameworks if not _available(f)]
    for framework in skipped:
        print(json.dumps({"bench": workload, "framework": framework, "skipped": "not installed"}))
    frameworks = [f for f in frameworks if f not in skipped]
    passthrough = [a for a in sys.argv[1:] if not a.startswith("--rounds") and not a.startswith("--frameworks")]
    passthrough = _strip_values(passthrough, ("--rounds", "--frameworks"))
    samples = {f: [] for f in frameworks}
    for round_index in range(args.rounds):
        order = frameworks if round_index % 2 == 0 else frameworks[::-1]  # alternate, so drift hits all alike
        for framework in order:
            result = _worker(sys.argv[0], framework, passthrough)
            print(json.dumps({"bench": workload, "framework": framework, "round": round_index, **result}), flush=True)
            if "error" not in result:
                samples[framework].append(result)
    _summarise(workload, samples, metrics)


def _strip_values(argv, flags):
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        if item in flags:
            skip = True
            continue
        out.append(item)
    return out


def _summarise(workload, samples, metrics):
    medians = {
        f: {m: statistics.median(r[m] for r in results) for m in metrics if all(m in r for r in results)}
        for f, results in samples.items()
        if results
    }
    for framework, values in medians.items():
        line = {"bench": workload, "framework": framework, "summary": True, "rounds": len(samples[framework])}
        for metric, value in values.items():
            line[f"median_{metric}"] = round(value, 6)
            for peer in ("keras-jax", "torch", "keras-torch", "keras-tensorflow"):
                if peer != framework and metric in medians.get(peer, {}) and medians[peer][metric]:
                    line[f"{metric}_ratio_vs_{peer}"] = round(value / medians[peer][metric], 3)
        print(json.dumps(line), flush=True)


class EpochTimer:
    """Records wall time per epoch; works as a cornu or a Keras callback (same hook names)."""

    def __init__(self):
        self.times, self._start = [], None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def callback_class(base):
    """An EpochTimer that subclasses the framework's own Callback base."""
    return type(
        "EpochTimerCallback",
        (EpochTimer, base),
        {"__init__": lambda self: (base.__init__(self), EpochTimer.__init__(self))[0]},
    )
