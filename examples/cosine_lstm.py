"""Seed 003: learn the cosine function by looking at previous values, with LSTMs in four forms.

    python examples/cosine_lstm.py [--epochs 10] [--plot cosine_lstm.png]

1. Vanilla LSTM: one past value per sample. One value cannot say whether the curve goes up or down, so the
   error stays high.
2. Stateful LSTM: still one value per sample, but the layer keeps its state from one batch to the next
   (`stateful=True`, a fixed `batch_size`, no shuffling, `reset_states()` between epochs), so it remembers the past.
3. Wider window: 20 past values per sample, a plain LSTM sees the direction in its input.
4. Stacked LSTMs: the wide window through two LSTMs, the first returning its whole sequence.

Each prints its test MSE; a plot of predictions against the true cosine is saved when matplotlib is installed.
"""

import argparse

import numpy as np

import cornu
from cornu.layers import LSTM, Dense, Input
from cornu.models import Sequential

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--plot", default="cosine_lstm.png")
args = parser.parse_args()

cornu.utils.set_random_seed(0)
PERIOD, LENGTH, BATCH = 50, 2000, 20
cosine = np.cos(np.arange(LENGTH) * 2 * np.pi / PERIOD).astype("float32")
split = int(LENGTH * 0.8)


def windows(series, width):
    """Samples of `width` past values `(n, width, 1)` and the value after each `(n, 1)`."""
    index = np.arange(len(series) - width)[:, None] + np.arange(width)[None, :]
    return series[index][..., None], series[width:][:, None]


def interleave(n, batch):
    """Sample order for a stateful layer: batch row `i` walks through its own contiguous stretch of the series,
    so sample `i` of each batch continues sample `i` of the batch before (what `stateful=True` assumes)."""
    steps = n // batch
    return (np.arange(batch)[None, :] * steps + np.arange(steps)[:, None]).reshape(-1)


def fit_and_score(name, model, width, stateful=False):
    x_train, y_train = windows(cosine[:split], width)
    x_test, y_test = windows(cosine[split - width :], width)
    model.compile(loss="mse", optimizer="adam")
    if stateful:
        train_order = interleave(len(x_train) - len(x_train) % BATCH, BATCH)
        test_order = interleave(len(x_test) - len(x_test) % BATCH, BATCH)
        for _ in range(args.epochs):
            model.fit(x_train[train_order], y_train[train_order], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
            model.layers[0].reset_states()  # a new pass over the series starts from a blank memory
        predicted = np.empty((len(test_order), 1), "float32")
        model.layers[0].reset_states()
        predicted[test_order] = model.predict(x_test[test_order], batch_size=BATCH, verbose=0)
        y_test = y_test[: len(test_order)]
    else:
        model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, verbose=0)
        predicted = model.predict(x_test, verbose=0)
    mse = float(np.mean((predicted - y_test) ** 2))
    print(f"{name:<16} test MSE: {mse:.2e}")
    return name, predicted, y_test


results = [
    fit_and_score("vanilla LSTM", Sequential([Input((1, 1)), LSTM(32), Dense(1)]), width=1),
    fit_and_score(
        "stateful LSTM",
        Sequential([LSTM(32, stateful=True, batch_input_shape=(BATCH, 1, 1)), Dense(1)]),
        width=1,
        stateful=True,
    ),
    fit_and_score("wider window", Sequential([Input((20, 1)), LSTM(32), Dense(1)]), width=20),
    fit_and_score(
        "stacked LSTM",
        Sequential([Input((20, 1)), LSTM(32, return_sequences=True), LSTM(32), Dense(1)]),
        width=20,
    ),
]

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("matplotlib is not installed: no plot (pip install matplotlib)")

if plt is not None and args.plot:
    figure, axes = plt.subplots(len(results), 1, figsize=(8, 2.2 * len(results)), sharex=True)
    for axis, (name, predicted, truth) in zip(axes, results):
        axis.plot(truth[:200, 0], label="cosine", color="black", linewidth=1)
        axis.plot(predicted[:200, 0], label="prediction", linestyle="--")
        axis.set_title(name, fontsize=9)
    axes[0].legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    figure.savefig(args.plot, dpi=80)
    print(f"plot saved to {args.plot}")
