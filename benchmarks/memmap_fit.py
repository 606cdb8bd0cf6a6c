"""Training on data bigger than the memory a process may use: a 4 GB float32 memmap (1.37 M rows of 784 features),
the hello-world MLP, in a process whose memory (page cache included) is capped well below the file's size with a
cgroup. `--shuffle true` (the default): random rows from the whole file every step, a read per row; `--shuffle
batch`: Keras's mode for data on disk, batch-sized runs of consecutive rows in random order, a read per batch.

Variants, each in its own process:
- `cornu-memory`: the whole array loaded in RAM (uncapped): the in-memory throughput to compare with;
- `cornu-memmap`: `model.fit(np.load(path, mmap_mode="r"), ...)` under the cap;
- `torch-memmap`: a hand-written loop (map-style Dataset over the memmap + DataLoader) under the cap;
- `keras-torch-memmap`: Keras 3 (torch backend) given the same memmap under the cap.
Reported: samples/s, peak RSS, the cgroup's peak memory (what the cap limits: page cache included; the labels pass
fills it to the cap), the process's user and system CPU seconds (page faults and reclaim show as system time, taken
from the 2 cores the matmuls need), and whether the cap killed the process. Needs root for the cgroup (v1 or v2);
without it the variants run uncapped and say so.
Run: python benchmarks/memmap_fit.py --gigabytes 4 --cap-mb 1536 --steps 1000 --rounds 5 [--shuffle batch]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

WORKLOAD = "memmap_fit"
FEATURES, CLASSES, BATCH = 784, 10, 128


def make_file(path, gigabytes):
    import numpy as np

    rows = int(gigabytes * 2**30) // (FEATURES * 4)
    if path.exists() and path.stat().st_size >= rows * FEATURES * 4:
        return rows
    data = np.lib.format.open_memmap(path, mode="w+", dtype="float32", shape=(rows, FEATURES))
    rng = np.random.default_rng(0)
    for start in range(0, rows, 65536):
        chunk = rng.standard_normal((min(65536, rows - start), FEATURES), dtype=np.float32)
        data[start : start + len(chunk)] = chunk
    data.flush()
    del data
    return rows


def labels_for(x_path):
    """The class is the index of the largest of the first 10 features: learnable, and cheap to derive in chunks."""
    import numpy as np

    x = np.load(x_path, mmap_mode="r")
    return np.concatenate([x[i : i + 65536, :CLASSES].argmax(1) for i in range(0, len(x), 65536)])


def keras_like(api, x, y, steps, shuffle):
    layers = api.layers
    model = api.models.Sequential(
        [
            api.Input((FEATURES,)),
            layers.Dense(500, activation="relu"),
            layers.Dense(500, activation="relu"),
            layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, steps_per_epoch=steps, shuffle=shuffle, verbose=0)
    return time.perf_counter() - start


def torch_loop(x, y, steps, shuffle):
    import torch
    from torch import nn

    class Rows(torch.utils.data.Dataset):
        def __len__(self):
            return len(x)

        def __getitem__(self, index):
            return torch.from_numpy(x[index].copy()), int(y[index])

    model = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(), nn.Linear(500, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    if shuffle == "batch":  # runs of consecutive rows, the runs in random order
        starts = torch.randperm(len(x) // BATCH).tolist()
        runs = [range(start * BATCH, (start + 1) * BATCH) for start in starts]
        loader = torch.utils.data.DataLoader(Rows(), batch_sampler=runs)
    else:
        loader = torch.utils.data.DataLoader(Rows(), batch_size=BATCH, shuffle=True)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for step, (xb, yb) in enumerate(loader):
        if step == steps:
            break
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def worker(variant, path, steps, shuffle):
    import resource

    import numpy as np
    import torch

    torch.set_num_threads(2)
    y = labels_for(path)
    x = np.load(path) if variant == "cornu-memory" else np.load(path, mmap_mode="r")
    if variant.startswith("torch"):
        seconds = torch_loop(x, y, steps, shuffle)
    else:
        import importlib

        api = importlib.import_module("cornu" if variant.startswith("cornu") else "keras")
        seconds = keras_like(api, x, y, steps, shuffle)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "samples_per_s": round(steps * BATCH / seconds, 1),
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        # CPU of the whole process (the labels pass and imports included): system time is where page faults and
        # reclaim show, and on a 2-core machine it is taken from the matmuls
        "user_s": round(usage.ru_utime, 2),
        "system_s": round(usage.ru_stime, 2),
    }


class MemoryCap:
    """A cgroup (v1 `memory` or v2) limiting a process's memory, page cache included; None where we may not."""

    def __init__(self, megabytes):
        self.path, self.limit = None, megabytes * 2**20
        for root, limit_file in (("/sys/fs/cgroup/memory", "memory.limit_in_bytes"), ("/sys/fs/cgroup", "memory.max")):
            candidate = Path(root) / f"cornu_bench_{os.getpid()}"
            try:
                candidate.mkdir()
                (candidate / limit_file).write_text(str(self.limit))
                self.path = candidate
                return
            except OSError:
                if candidate.exists():
                    candidate.rmdir()

    def enter(self, pid):
        (self.path / "cgroup.procs").write_text(str(pid))

    def reset_peak(self):
        try:  # v1 resets its high-water mark on a write; v2's memory.peak counts from the cgroup's creation
            (self.path / "memory.max_usage_in_bytes").write_text("0")
        except OSError:
            pass

    def peak_mb(self):
        """The cgroup's peak memory (anonymous memory plus page cache: what the cap limits), in MB."""
        for name in ("memory.max_usage_in_bytes", "memory.peak"):
            try:
                return round(int((self.path / name).read_text()) / 2**20)
            except (OSError, ValueError):
                continue
        return None

    def close(self):
        if self.path is not None:
            try:
                self.path.rmdir()
            except OSError:
                pass


def evict_from_page_cache(path):
    """Pages already cached were charged to whoever read them first, not to the capped process: drop them, so
    every variant starts cold and each page it reads counts against its own cap."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def run_variant(variant, args, cap):
    capped = cap.path is not None and variant != "cornu-memory"
    evict_from_page_cache(args.file)
    env = dict(os.environ, PYTHONUNBUFFERED="1", KERAS_BACKEND="torch")
    command = [sys.executable, __file__, "--worker", variant, "--file", str(args.file), "--steps", str(args.steps)]
    command += ["--shuffle", args.shuffle]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if capped:
        cap.reset_peak()
        cap.enter(process.pid)  # before it has imported anything: every page it touches is charged to the cap
    out, err = process.communicate(timeout=3600)
    line = next((text for text in reversed(out.splitlines()) if text.startswith("{")), None)
    result = (
        json.loads(line) if line else {"error": "killed by the memory cap" if process.returncode < 0 else err[-300:]}
    )
    cap_mb = args.cap_mb if capped else None
    # peak_rss_mb also counts pages of torch's libraries that are charged to whoever cached them first, not to the
    # cap; cgroup_peak_mb is what the cap limits
    peak = {"cgroup_peak_mb": cap.peak_mb()} if capped else {}
    return {"bench": WORKLOAD, "variant": variant, "shuffle": args.shuffle, "cap_mb": cap_mb, **result, **peak}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker")
    parser.add_argument("--file", type=Path, default=Path("/tmp/cornu_bench/memmap_4gb.npy"))
    parser.add_argument("--gigabytes", type=float, default=4.0)
    parser.add_argument("--cap-mb", type=int, default=1536)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--shuffle", choices=("true", "batch"), default="true")
    parser.add_argument("--variants", default="cornu-memory,cornu-memmap,torch-memmap,keras-torch-memmap")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.file, args.steps, True if args.shuffle == "true" else "batch")))
        return
    args.file.parent.mkdir(parents=True, exist_ok=True)
    rows = make_file(args.file, args.gigabytes)
    print(json.dumps({"bench": WORKLOAD, "file_gb": round(args.file.stat().st_size / 2**30, 2), "rows": rows}))
    cap = MemoryCap(args.cap_mb)
    speeds = {}
    try:
        for round_number in range(args.rounds):  # the variants alternate: a noisy spell hits them alike
            for variant in args.variants.split(","):
                result = {**run_variant(variant, args, cap), "round": round_number}
                print(json.dumps(result))
                speeds.setdefault(variant, []).append(result.get("samples_per_s"))
    finally:
        cap.close()
    print(json.dumps(_summary(speeds) | {"shuffle": args.shuffle}))


def _summary(speeds):
    """Median samples/s of each variant over the rounds, and the ratios the targets are stated in."""
    medians = {v: statistics.median(s) for v, s in speeds.items() if s and None not in s}
    summary = {"bench": WORKLOAD, "summary": "medians", "rounds": len(next(iter(speeds.values()), []))}
    summary.update({f"{variant}_samples_per_s": round(speed) for variant, speed in medians.items()})
    if medians.get("cornu-memory") and medians.get("cornu-memmap"):
        summary["memmap_vs_memory"] = round(medians["cornu-memmap"] / medians["cornu-memory"], 3)
        rounds = zip(speeds["cornu-memmap"], speeds["cornu-memory"])
        summary["memmap_vs_memory_by_round"] = [round(a / b, 3) for a, b in rounds if a and b]
    if medians.get("cornu-memmap") and medians.get("torch-memmap"):
        summary["cornu_vs_torch_memmap"] = round(medians["cornu-memmap"] / medians["torch-memmap"], 3)
    return summary


if __name__ == "__main__":
    main()
