"""LSTM(50) -> Dense(1) regression on 10,000 windows of 50 steps (batch 32, Adam, MSE): seconds per epoch.

The recurrent workload of the cosine tutorial at benchmark size. Each epoch runs ~313 steps of a 50-step LSTM
forward and backward, so it measures the recurrent kernel and the per-step overhead of the training loop. The first
epoch (warm-up, XLA compilation for jax) is excluded. `--threads` sets torch's intra-op threads (2 by default, the
machine's size); these matrices are small, so on a loaded machine 1 thread can be faster.
Run: python benchmarks/lstm_fit.py --rounds 3 --epochs 3
"""

import statistics
import time

from common import api_for, callback_class, main

WORKLOAD = "lstm_fit"
WINDOWS, STEPS, UNITS, BATCH = 10_000, 50, 50, 32


def make_data():
    """Noisy cosine windows: each row is 50 past values, the target the next one."""
    import numpy as np

    rng = np.random.default_rng(0)
    series = np.cos(np.arange(WINDOWS + STEPS + 1) * 0.05) + rng.normal(scale=0.05, size=WINDOWS + STEPS + 1)
    index = np.arange(WINDOWS)[:, None] + np.arange(STEPS)[None, :]
    x = series[index].astype("float32")[..., None]
    y = series[np.arange(WINDOWS) + STEPS].astype("float32")[:, None]
    return x, y


def keras_like(api, x, y, epochs):
    model = api.models.Sequential([api.Input((STEPS, 1)), api.layers.LSTM(UNITS), api.layers.Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    timer = callback_class(api.callbacks.Callback)()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[timer])
    return timer.times


def torch_loop(x, y, epochs):
    """Idiomatic PyTorch: nn.LSTM + nn.Linear, DataLoader, zero_grad/backward/step, running loss."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.head = nn.LSTM(1, UNITS, batch_first=True), nn.Linear(UNITS, 1)

        def forward(self, inputs):
            outputs, _ = self.lstm(inputs)
            return self.head(outputs[:, -1])

    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    data = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(data, batch_size=BATCH, shuffle=True)
    loss_fn, times = nn.MSELoss(), []
    for _ in range(epochs):
        start = time.perf_counter()
        total = torch.zeros(())
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        float(total)
        times.append(time.perf_counter() - start)
    return times


def run(framework, args):
    import torch

    torch.set_num_threads(args.threads)
    x, y = make_data()
    if framework == "torch":
        times = torch_loop(x, y, args.epochs)
    else:
        times = keras_like(api_for(framework), x, y, args.epochs)
    steady = times[1:] if len(times) > 1 else times
    return {
        "seconds": round(statistics.median(steady), 4),
        "first_epoch_s": round(times[0], 4),
        "threads": args.threads,
    }


if __name__ == "__main__":
    main(
        WORKLOAD,
        run,
        extra_arguments=[
            (("--epochs",), {"type": int, "default": 3}),
            (("--threads",), {"type": int, "default": 2}),
        ],
    )
