"""Seed 004's Pokémon classifier: 200-128-256-5, sigmoid, softmax, adam, batch 16, validation_split 0.1.

Overhead-bound: 104 steps an epoch of tiny matrices, so what counts is the cost of a step outside the math.
Run: python benchmarks/pokemon_fit.py --rounds 3 --epochs 50
"""

import time

from common import api_for, load_pokemon, main

WORKLOAD = "pokemon_fit"


def build_and_fit(api, x, y, epochs):
    layers, models = api.layers, api.models
    model = models.Sequential([api.Input((200,)), layers.Dense(128)])
    model.add(layers.Activation("sigmoid"))
    model.add(layers.Dense(256))
    model.add(layers.Activation("sigmoid"))
    model.add(layers.Dense(5))
    model.add(layers.Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=16, epochs=epochs, verbose=0, shuffle=True, validation_split=0.1)
    return time.perf_counter() - start, history.history["val_accuracy"][-1]


def torch_loop(x, y, epochs):
    """An idiomatic hand-written loop doing the same work: train, then train/val loss and accuracy per epoch."""
    import torch
    from torch import nn

    split = int(len(x) * 0.9)
    x_train, y_train = torch.from_numpy(x[:split]), torch.from_numpy(y[:split]).argmax(1)
    x_val, y_val = torch.from_numpy(x[split:]), torch.from_numpy(y[split:]).argmax(1)
    model = nn.Sequential(nn.Linear(200, 128), nn.Sigmoid(), nn.Linear(128, 256), nn.Sigmoid(), nn.Linear(256, 5))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=16, shuffle=True)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        total, correct, seen = 0.0, 0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(xb)
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            val_accuracy = (logits.argmax(1) == y_val).float().mean().item()
            loss_fn(logits, y_val).item()
    return time.perf_counter() - start, val_accuracy


def run(framework, args):
    import torch

    torch.set_num_threads(2)
    x, y = load_pokemon()
    if framework == "torch":
        seconds, accuracy = torch_loop(x, y, args.epochs)
    else:
        seconds, accuracy = build_and_fit(api_for(framework), x, y, args.epochs)
    return {"seconds": round(seconds, 4), "val_accuracy": round(float(accuracy), 4), "epochs": args.epochs}


if __name__ == "__main__":
    main(WORKLOAD, run, extra_arguments=[(("--epochs",), {"type": int, "default": 50})])
