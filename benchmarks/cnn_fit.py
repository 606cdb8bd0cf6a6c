"""The MNIST convnet (Conv2D 32 -> MaxPool -> Conv2D 64 -> MaxPool -> Flatten -> Dropout -> Dense 10, adam, batch
128): training throughput in samples per second, cornu vs a hand-written PyTorch model (NCHW) vs Keras 3.

Convolution-bound. cornu keeps Keras's channels_last images at the API and hands torch NHWC-strided views (torch's
channels_last memory format), so this also measures that layout against torch's default NCHW. Each framework fits
`--epochs` epochs on the first `--samples` training images; the first epoch (warm-up, XLA compilation for jax) is
left out, and the throughput is the median of the others.
Run: python benchmarks/cnn_fit.py --rounds 3 --samples 12800 --epochs 3
"""

import statistics

from common import api_for, callback_class, load_mnist, main, peak_rss_mb, torch_classifier_epochs

WORKLOAD = "cnn_fit"
BATCH = 128


def keras_like(api, x, y, epochs):
    layers = api.layers
    model = api.models.Sequential(
        [
            api.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    timer = callback_class(api.callbacks.Callback)()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[timer])
    return timer.times


def torch_loop(x, y, epochs):
    """Idiomatic PyTorch: NCHW tensors, nn.Sequential, DataLoader, zero_grad/backward/step, running loss/accuracy."""
    import torch
    from torch import nn

    x, labels = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y).argmax(1)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(1600, 10),
    )
    return torch_classifier_epochs(model, x, labels, BATCH, epochs)


def run(framework, args):
    import torch

    torch.set_num_threads(args.threads)
    (x, y), _ = load_mnist()
    x, y = x[: args.samples].reshape(-1, 28, 28, 1), y[: args.samples]
    if framework == "torch":
        times = torch_loop(x, y, args.epochs)
    else:
        times = keras_like(api_for(framework), x, y, args.epochs)
    steady = times[1:] if len(times) > 1 else times
    return {
        "samples_per_s": round(len(x) / statistics.median(steady), 1),
        "first_epoch_s": round(times[0], 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


if __name__ == "__main__":
    main(
        WORKLOAD,
        run,
        extra_arguments=[
            (("--epochs",), {"type": int, "default": 3}),
            (("--samples",), {"type": int, "default": 12800}),
            (("--threads",), {"type": int, "default": 2}),
        ],
        metrics=("samples_per_s", "peak_rss_mb"),
        lower_is_better=False,
    )
