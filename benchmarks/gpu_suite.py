"""The GPU benchmarks: the MNIST MLP, the convnet and the LSTM trained on one CUDA device by cornu (eager,
`jit_compile=True`, which replays small models' steps as CUDA graphs, `mixed_bfloat16`, and bf16 with jit), an
idiomatic hand-written PyTorch loop, and Keras 3 on jax and on torch, each in its own process, on the same GPU.

The data are random arrays of the benchmarks' shapes (throughput does not depend on the values, and the GPU machine
has no datasets): the MLP on 60,000 rows of 784 (batch 100), the convnet on 60,000 28x28 images (batch 128), the
LSTM on 10,000 windows of 50 steps (batch 32). Reported: samples/s, the median over the epochs after the first
(warm-up, compilation). Each result is a JSON line; `--table FILE` also writes the Markdown table of ratios:
cornu's best variant against the hand-written loop and against the fastest Keras backend.
Run: python benchmarks/gpu_suite.py --rounds 2 --table gpu_table.md
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WORKLOADS = {"mlp": (60_000, 100), "cnn": (60_000, 128), "lstm": (10_000, 32)}  # samples, batch size
VARIANTS = ("cornu", "cornu-jit", "cornu-bf16", "cornu-bf16-jit", "torch", "keras-jax", "keras-torch")


def make_data(workload, samples):
    import numpy as np

    rng = np.random.default_rng(0)
    if workload == "lstm":
        return rng.normal(size=(samples, 50, 1)).astype("float32"), rng.normal(size=(samples, 1)).astype("float32")
    shape = (samples, 784) if workload == "mlp" else (samples, 28, 28, 1)
    x = rng.random(shape, dtype=np.float32)
    return x, np.eye(10, dtype="float32")[rng.integers(0, 10, samples)]


def keras_model(api, workload):
    layers = api.layers
    if workload == "mlp":
        stack = [api.Input((784,)), layers.Dense(500, activation="relu"), layers.Dense(500, activation="relu")]
        stack.append(layers.Dense(10, activation="softmax"))
    elif workload == "cnn":
        stack = [api.Input((28, 28, 1)), layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2))]
        stack += [layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)), layers.Flatten()]
        stack += [layers.Dropout(0.5), layers.Dense(10, activation="softmax")]
    else:
        stack = [api.Input((50, 1)), layers.LSTM(50), layers.Dense(1)]
    return api.models.Sequential(stack)


def keras_like(variant, workload, x, y, batch, epochs):
    """Epoch seconds of cornu or Keras fitting the workload (numpy arrays in, as a tutorial passes them)."""
    import importlib

    from common import callback_class

    api = importlib.import_module("cornu" if variant.startswith("cornu") else "keras")
    if "bf16" in variant:
        api.mixed_precision.set_global_policy("mixed_bfloat16")
    model = keras_model(api, workload)
    loss = "mse" if workload == "lstm" else "categorical_crossentropy"
    metrics = [] if workload == "lstm" else ["accuracy"]
    model.compile(loss=loss, optimizer="adam", metrics=metrics, jit_compile="jit" in variant or "auto")
    timer = callback_class(api.callbacks.Callback)()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[timer])
    return timer.times


def torch_model(workload):
    from torch import nn

    if workload == "mlp":
        return nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(), nn.Linear(500, 10))
    if workload == "cnn":
        convs = [nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2)]
        return nn.Sequential(*convs, nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))

    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.head = nn.LSTM(1, 50, batch_first=True), nn.Linear(50, 1)

        def forward(self, inputs):
            return self.head(self.lstm(inputs)[0][:, -1])

    return Recurrent()


def torch_loop(workload, x, y, batch, epochs):
    """Idiomatic PyTorch on a GPU: the data moved to the device once, a permutation per epoch, batches sliced on the
    device, zero_grad/backward/step with Adam (Keras's epsilon), and the running loss a Keras user would see."""
    import torch

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # the CPU only to try the script out
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    x = torch.from_numpy(x).to(device)
    if workload == "cnn":
        x = x.permute(0, 3, 1, 2).contiguous()  # torch's NCHW
    target = torch.from_numpy(y).to(device)
    target = target if workload == "lstm" else target.argmax(1)
    model = torch_model(workload).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.MSELoss() if workload == "lstm" else torch.nn.CrossEntropyLoss()
    times = []
    for _ in range(epochs):
        synchronize()
        start = time.perf_counter()
        order, total = torch.randperm(len(x), device=device), torch.zeros((), device=device)
        for begin in range(0, len(x), batch):
            index = order[begin : begin + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x[index]), target[index])
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(index)
        float(total)  # the epoch's loss reaches the host, as a progress bar would show it
        times.append(time.perf_counter() - start)
    return times


def worker(variant, workload, epochs, scale):
    samples, batch = WORKLOADS[workload]
    samples = int(samples * scale)
    x, y = make_data(workload, samples)
    if variant == "torch":
        times = torch_loop(workload, x, y, batch, epochs)
    else:
        times = keras_like(variant, workload, x, y, batch, epochs)
    seconds = statistics.median(times[1:])
    return {"samples_per_s": round(samples / seconds, 1), "epoch_s": round(seconds, 4), "first_epoch_s": times[0]}


def run_variant(variant, workload, epochs, scale):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if variant.startswith("keras-"):
        env["KERAS_BACKEND"] = variant.split("-", 1)[1]
        env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # jax would take 75% of the GPU up front
    command = [sys.executable, __file__, "--worker", variant, "--workload", workload, "--epochs", str(epochs)]
    command += ["--scale", str(scale)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
    line = next((text for text in reversed(done.stdout.splitlines()) if text.startswith("{")), None)
    result = json.loads(line) if line else {"error": done.stderr[-500:]}
    return {"bench": "gpu_suite", "workload": workload, "variant": variant, **result}


def table(results):
    """Markdown: samples/s of each variant (median over rounds), and cornu's best against the loop and Keras."""
    speeds = {}
    for result in results:
        if "samples_per_s" in result:
            speeds.setdefault((result["workload"], result["variant"]), []).append(result["samples_per_s"])
    median = {key: statistics.median(values) for key, values in speeds.items()}
    lines = ["| workload | " + " | ".join(VARIANTS) + " | best cornu vs torch loop | vs fastest Keras |"]
    lines.append("|---" * (len(VARIANTS) + 3) + "|")
    for workload in WORKLOADS:
        row = [f"{median[(workload, v)]:,.0f}" if (workload, v) in median else "–" for v in VARIANTS]
        cornu = max((median.get((workload, v), 0), v) for v in VARIANTS if v.startswith("cornu"))
        keras = max((median.get((workload, v), 0), v) for v in VARIANTS if v.startswith("keras"))
        loop = median.get((workload, "torch"))
        versus_loop = f"{cornu[0] / loop:.2f} ({cornu[1]})" if loop and cornu[0] else "–"
        versus_keras = f"{cornu[0] / keras[0]:.2f} ({keras[1]})" if keras[0] and cornu[0] else "–"
        lines.append(f"| {workload} | " + " | ".join(row) + f" | {versus_loop} | {versus_keras} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker")
    parser.add_argument("--workload", default="mlp")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the samples (to try the script out)")
    parser.add_argument("--table")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.workload, args.epochs, args.scale)))
        return
    results = []
    for round_number in range(args.rounds):  # the variants alternate: a noisy spell hits them alike
        for workload in args.workloads.split(","):
            for variant in args.variants.split(","):
                result = {**run_variant(variant, workload, args.epochs, args.scale), "round": round_number}
                print(json.dumps(result), flush=True)
                results.append(result)
    markdown = table(results)
    print(markdown)
    if args.table:
        with open(args.table, "w") as out:
            out.write(markdown)


if __name__ == "__main__":
    main()
