"""Time of one optimizer step on the MNIST MLP's parameters, cornu vs torch.optim.

The parameters are those of the seeds' MNIST model (784x500, 500, 500x500, 500, 500x10, 10). For each cornu
optimizer, one `apply(grads)` is timed against `torch.optim.SGD(foreach=True)` (for SGD) or
`torch.optim.Adam(fused=True)` (for the others), the fastest steps torch offers; each line also gives the time of
torch's own version of the same rule where torch has one. One JSON line per result:

    {"bench": "optimizer_step", "optimizer": "Adam", "us_per_step": ..., "ratio_vs_torch": ..., ...}

Usage: python benchmarks/optimizer_step.py [--device cpu|cuda] [--steps 300] [--threads N]
"""

import argparse
import json
import time

import torch

import cornu.optimizers as co

SHAPES = [(784, 500), (500,), (500, 500), (500,), (500, 10), (10,)]

# cornu name -> (constructor kwargs, the torch optimizer of the same rule or None)
CASES = {
    "SGD": ({}, lambda p: torch.optim.SGD(p, lr=0.01, foreach=True)),
    "SGD(momentum)": ({"momentum": 0.9}, lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, foreach=True)),
    "RMSprop": ({}, lambda p: torch.optim.RMSprop(p, lr=0.001, foreach=True)),
    "Adagrad": ({}, lambda p: torch.optim.Adagrad(p, lr=0.001, foreach=True)),
    "Adadelta": ({}, lambda p: torch.optim.Adadelta(p, lr=0.001, foreach=True)),
    "Adam": ({}, lambda p: torch.optim.Adam(p, lr=0.001, fused=True)),
    "Adam(amsgrad)": ({"amsgrad": True}, lambda p: torch.optim.Adam(p, lr=0.001, amsgrad=True, fused=True)),
    "AdamW": ({}, lambda p: torch.optim.AdamW(p, lr=0.001, weight_decay=0.004, fused=True)),
    "Adamax": ({}, lambda p: torch.optim.Adamax(p, lr=0.001, foreach=True)),
    "Nadam": ({}, lambda p: torch.optim.NAdam(p, lr=0.001, foreach=True)),
    "Lion": ({}, None),
}


def _params(device):
    generator = torch.Generator().manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(s, generator=generator).to(device) * 0.05) for s in SHAPES]
    grads = [torch.randn(s, generator=generator).to(device) * 1e-3 for s in SHAPES]
    return params, grads


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def _time_pair(steps_fns, device, steps, blocks=7):
    """Microseconds per call of each function, timed in alternating blocks (so that a busy machine slows both
    alike) after a warmup; the best block of each counts. Synchronises only around blocks."""
    for fn in steps_fns:
        for _ in range(20):
            fn()
    best = [float("inf")] * len(steps_fns)
    per_block = max(1, steps // blocks)
    for _ in range(blocks):
        for i, fn in enumerate(steps_fns):
            _sync(device)
            start = time.perf_counter()
            for _ in range(per_block):
                fn()
            _sync(device)
            best[i] = min(best[i], (time.perf_counter() - start) / per_block * 1e6)
    return best


def _torch_step(make, device):
    params, grads = _params(device)
    for p, g in zip(params, grads, strict=True):
        p.grad = g
    return make(params).step


def _cornu_step(name, kwargs, device):
    params, grads = _params(device)
    opt = getattr(co, name.split("(")[0])(**kwargs)
    opt.build(params)
    return lambda: opt.apply(grads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    baselines = {
        "SGD": ("SGD(foreach=True)", lambda p: torch.optim.SGD(p, lr=0.01, foreach=True)),
        "Adam": ("Adam(fused=True)", lambda p: torch.optim.Adam(p, lr=0.001, fused=True)),
    }
    for name, (kwargs, torch_make) in CASES.items():
        baseline_name, baseline_make = baselines["SGD" if name.startswith("SGD") else "Adam"]
        fns = [_cornu_step(name, kwargs, args.device), _torch_step(baseline_make, args.device)]
        if torch_make is not None:
            fns.append(_torch_step(torch_make, args.device))
        times = _time_pair(fns, args.device, args.steps)
        result = {
            "bench": "optimizer_step",
            "optimizer": name,
            "device": args.device,
            "us_per_step": round(times[0], 2),
            "torch_baseline": baseline_name,
            "torch_us_per_step": round(times[1], 2),
            "ratio_vs_torch": round(times[0] / times[1], 3),
            "torch_same_rule_us_per_step": round(times[2], 2) if torch_make else None,
            "ratio_vs_torch_same_rule": round(times[0] / times[2], 3) if torch_make else None,
        }
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
