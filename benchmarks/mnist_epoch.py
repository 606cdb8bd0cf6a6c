"""The hello-world MLP (784-500-500-10, relu, softmax, adam, batch 100) on full MNIST: seconds per epoch and the
process's peak memory. Compute-bound: ~0.23 TFLOP an epoch, so this measures how close each loop gets to the matmul
ceiling. The first epoch (warm-up, XLA compilation for jax) is excluded from the epoch time.
Run: python benchmarks/mnist_epoch.py --rounds 3 --epochs 3
"""

import statistics
import time

from common import EpochTimer, callback_class, keras_module, load_mnist, main, peak_rss_mb

WORKLOAD = "mnist_epoch"


def keras_like(api, x, y, epochs):
    layers = api.layers
    model = api.models.Sequential(
        [
            api.Input((784,)),
            layers.Dense(500, activation="relu"),
            layers.Dense(500, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    timer = callback_class(api.callbacks.Callback)()
    model.fit(x, y, batch_size=100, epochs=epochs, verbose=0, callbacks=[timer])
    return timer.times


def torch_loop(x, y, epochs):
    """Idiomatic PyTorch: DataLoader over tensors, zero_grad/backward/step, running loss and accuracy."""
    import torch
    from torch import nn

    x, labels = torch.from_numpy(x), torch.from_numpy(y).argmax(1)
    model = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(), nn.Linear(500, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, labels), batch_size=100, shuffle=True)
    loss_fn, times = nn.CrossEntropyLoss(), []
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


def run(framework, args):
    import torch

    torch.set_num_threads(2)
    (x, y), _ = load_mnist()
    if framework == "torch":
        times = torch_loop(x, y, args.epochs)
    elif framework == "cornu":
        import cornu

        times = keras_like(cornu, x, y, args.epochs)
    else:
        times = keras_like(keras_module(framework), x, y, args.epochs)
    steady = times[1:] if len(times) > 1 else times
    return {
        "seconds": round(statistics.median(steady), 4),
        "first_epoch_s": round(times[0], 4),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


if __name__ == "__main__":
    main(
        WORKLOAD,
        run,
        extra_arguments=[(("--epochs",), {"type": int, "default": 3})],
        metrics=("seconds", "peak_rss_mb"),
    )
