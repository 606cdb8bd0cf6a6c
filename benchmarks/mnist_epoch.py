"""The hello-world MLP (784-500-500-10, relu, softmax, adam, batch 100) on full MNIST: seconds per epoch and the
process's peak memory. Compute-bound: ~0.23 TFLOP an epoch, so this measures how close each loop gets to the matmul
ceiling. The first epoch (warm-up, XLA compilation for jax) is excluded from the epoch time.
Run: python benchmarks/mnist_epoch.py --rounds 3 --epochs 3
"""

import statistics

from common import api_for, callback_class, load_mnist, main, peak_rss_mb, torch_classifier_epochs

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
    return torch_classifier_epochs(model, x, labels, 100, epochs)


def run(framework, args):
    import torch

    torch.set_num_threads(2)
    (x, y), _ = load_mnist()
    if framework == "torch":
        times = torch_loop(x, y, args.epochs)
    else:
        times = keras_like(api_for(framework), x, y, args.epochs)
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
