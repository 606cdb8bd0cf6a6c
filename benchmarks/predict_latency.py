"""`predict` on one sample (the serving case: per-call overhead) and on 10,000 samples (batched throughput),
for the hello-world MLP (784-500-500-10). The hand-written baseline is `model(torch.from_numpy(x))` under
`torch.no_grad()`, and a batch-of-32 loop for the 10,000 samples (Keras's default batch size).
Run: python benchmarks/predict_latency.py --rounds 3
"""

import statistics
import time

import numpy as np
from common import api_for, load_mnist, main

WORKLOAD = "predict"


def _time_calls(fn, repeats):
    for _ in range(20):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def keras_like(api, x_one, x_many):
    layers = api.layers
    model = api.models.Sequential(
        [
            api.Input((784,)),
            layers.Dense(500, activation="relu"),
            layers.Dense(500, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    one = _time_calls(lambda: model.predict(x_one, verbose=0), 300)
    many = _time_calls(lambda: model.predict(x_many, verbose=0), 3)
    return one, many


def torch_path(x_one, x_many):
    import torch
    from torch import nn

    model = nn.Sequential(
        nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(), nn.Linear(500, 10), nn.Softmax(dim=-1)
    ).eval()

    def predict_one():
        with torch.no_grad():
            return model(torch.from_numpy(x_one)).numpy()

    def predict_many():
        with torch.no_grad():
            tensor = torch.from_numpy(x_many)
            return torch.cat([model(tensor[i : i + 32]) for i in range(0, len(tensor), 32)]).numpy()

    return _time_calls(predict_one, 300), _time_calls(predict_many, 3)


def run(framework, args):
    import torch

    torch.set_num_threads(2)
    _, (x_test, _) = load_mnist()
    x_one, x_many = np.ascontiguousarray(x_test[:1]), np.ascontiguousarray(x_test[:10000])
    if framework == "torch":
        one, many = torch_path(x_one, x_many)
    else:
        one, many = keras_like(api_for(framework), x_one, x_many)
    return {"one_sample_ms": round(one * 1e3, 4), "ten_thousand_s": round(many, 4)}


if __name__ == "__main__":
    main(WORKLOAD, run, metrics=("one_sample_ms", "ten_thousand_s"))
