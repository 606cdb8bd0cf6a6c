"""Data-parallel scaling on the CPU: `fit` throughput with 1 process and with 2 processes (torchrun, gloo on
loopback), and the two numbers the scaling model in README.md is made of: compute per step and the gradient
all-reduce per step.

Workload: the MNIST MLP (784-500-500-10, Adam, 648,010 parameters = 2.6 MB of float32 gradients per step), 12,000
samples, global batch 128 (64 per process with 2). Configurations, alternated round by round:
`1proc-1thread` (the baseline for 2 processes of 1 thread each), `1proc-2threads` (the same 2 cores used by one
process through MKL's threads) and `2procs-1thread`.

Run: python benchmarks/ddp_scaling.py --rounds 3
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = "ddp_scaling"
CONFIGS = {"1proc-1thread": (1, 1), "1proc-2threads": (1, 2), "2procs-1thread": (2, 1)}
SAMPLES, BATCH, EPOCHS = 12_000, 128, 2


def data():
    import numpy as np

    try:
        from common import load_mnist

        (x, y), _ = load_mnist()
    except (ImportError, OSError):  # no dataset: random data of the same shapes costs the same
        rng = np.random.default_rng(0)
        x, y = rng.random((SAMPLES, 784), dtype="float32"), np.eye(10, dtype="float32")[rng.integers(0, 10, SAMPLES)]
    return x[:SAMPLES], y[:SAMPLES]


def worker(threads):
    """Runs in each process; rank 0 prints one JSON line."""
    import torch

    torch.set_num_threads(threads)
    import cornu
    from cornu.layers import Dense

    x, y = data()
    cornu.backend.set_random_seed(0)
    model = cornu.models.Sequential(
        [Dense(500, activation="sigmoid", input_shape=(784,)), Dense(500, activation="sigmoid"), Dense(10)]
    )
    model.add(cornu.layers.Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    times = []

    class Timer(cornu.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0, callbacks=[Timer()])
    epoch_s = statistics.median(times[1:])  # the first epoch warms up (allocations, the process group)
    steps = -(-SAMPLES // BATCH)
    result = {"samples_per_s": SAMPLES / epoch_s, "step_ms": 1e3 * epoch_s / steps}
    parameters = sum(p.numel() for p in model.trainable_weights)
    result.update(parameters=parameters, grad_mb=4 * parameters / 1e6)
    if cornu.distribute.distribution() is not None:
        result["allreduce_ms"] = _allreduce_ms(parameters)
    if cornu.distribute.is_chief():
        print(json.dumps(result), flush=True)


def _allreduce_ms(count, repeats=30):
    import torch
    import torch.distributed as dist

    buffer = torch.ones(count)
    for _ in range(3):
        dist.all_reduce(buffer)
    dist.barrier()
    start = time.perf_counter()
    for _ in range(repeats):
        dist.all_reduce(buffer)
    return 1e3 * (time.perf_counter() - start) / repeats


def measure(config):
    processes, threads = CONFIGS[config]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), CORNU_DEVICE="cpu")
    command = [__file__, "--worker", "--threads", str(threads)]
    if processes > 1:
        command = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"] + command
    done = subprocess.run([sys.executable] + command, env=env, cwd=HERE, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise RuntimeError(f"{config} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def summarise(samples):
    median = {config: statistics.median(r["samples_per_s"] for r in runs) for config, runs in samples.items()}
    two = samples["2procs-1thread"]
    allreduce_ms = statistics.median(r["allreduce_ms"] for r in two)
    step_one_ms = statistics.median(r["step_ms"] for r in samples["1proc-1thread"])
    # the model: 2 processes each compute half the batch, then wait for the all-reduce (no overlap in cornu)
    predicted = step_one_ms / (step_one_ms / 2 + allreduce_ms)
    return {
        "bench": WORKLOAD,
        "summary": True,
        "samples_per_s": {config: round(value, 1) for config, value in median.items()},
        "ratio_2procs_vs_1proc_1thread": round(median["2procs-1thread"] / median["1proc-1thread"], 3),
        "ratio_2procs_vs_1proc_2threads": round(median["2procs-1thread"] / median["1proc-2threads"], 3),
        "step_ms_1proc_1thread": round(step_one_ms, 2),
        "allreduce_ms_2procs": round(allreduce_ms, 2),
        "grad_mb": round(two[0]["grad_mb"], 2),
        "predicted_ratio_2procs_vs_1proc_1thread": round(predicted, 3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.threads)
        return
    samples = {config: [] for config in CONFIGS}
    for round_index in range(args.rounds):
        for config in CONFIGS:
            result = measure(config)
            samples[config].append(result)
            print(json.dumps({"bench": WORKLOAD, "config": config, "round": round_index, **result}), flush=True)
    print(json.dumps(summarise(samples)), flush=True)


if __name__ == "__main__":
    main()
