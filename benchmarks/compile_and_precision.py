"""The hello-world MLP (784-500-500-10, relu, softmax, adam, batch 100) on MNIST, trained by cornu eagerly, with
`jit_compile=True`, under the `"mixed_bfloat16"` policy, and (on CUDA) with the step replayed as a CUDA graph, beside
an idiomatic hand-written PyTorch loop measured in the same run. Seconds per steady epoch (the first epoch, which
pays for compilation, is reported apart as `first_epoch_s`).
Run: python benchmarks/compile_and_precision.py --rounds 3 --frameworks cornu,cornu-jit,cornu-bf16,cornu-bf16-jit,torch
On CUDA add cornu-cudagraphs; keras-jax / keras-torch run Keras's float32 eager fit of the same model for reference.
"""

import statistics

from common import api_for, callback_class, load_mnist, main, peak_rss_mb, torch_classifier_epochs

WORKLOAD = "compile_and_precision"
VARIANTS = {  # framework name -> (jit_compile, dtype policy)
    "cornu": (False, "float32"),
    "cornu-jit": (True, "float32"),
    "cornu-bf16": (False, "mixed_bfloat16"),
    "cornu-bf16-jit": (True, "mixed_bfloat16"),
    "cornu-cudagraphs": (True, "float32"),  # jit on CUDA: small models replay as CUDA graphs
}


def keras_like_epochs(framework, x, y, epochs):
    api = api_for("cornu" if framework.startswith("cornu") else framework)
    if framework.startswith("keras-"):
        jit_compile, policy = "auto", "float32"
    else:
        jit_compile, policy = VARIANTS[framework]
        if framework == "cornu-cudagraphs" and api.backend.get_device().type != "cuda":
            raise SystemExit("cornu-cudagraphs needs a CUDA device")
    api.mixed_precision.set_global_policy(policy)
    layers = api.layers
    model = api.models.Sequential(
        [
            api.Input((784,)),
            layers.Dense(500, activation="relu"),
            layers.Dense(500, activation="relu"),
            layers.Dense(10, activation="softmax", dtype="float32"),  # Keras's advice: the softmax in float32
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"], jit_compile=jit_compile)
    timer = callback_class(api.callbacks.Callback)()
    model.fit(x, y, batch_size=100, epochs=epochs, verbose=0, callbacks=[timer])
    return timer.times


def torch_loop(x, y, epochs):
    import torch
    from torch import nn

    x, labels = torch.from_numpy(x), torch.from_numpy(y).argmax(1)
    model = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(), nn.Linear(500, 10))
    return torch_classifier_epochs(model, x, labels, 100, epochs)


def run(framework, args):
    import torch

    torch.set_num_threads(args.threads)
    (x, y), _ = load_mnist()
    x, y = x[: args.samples], y[: args.samples]
    times = torch_loop(x, y, args.epochs) if framework == "torch" else keras_like_epochs(framework, x, y, args.epochs)
    steady = times[1:] if len(times) > 1 else times
    return {
        "seconds": round(statistics.median(steady), 4),
        "first_epoch_s": round(times[0], 4),
        "samples": len(x),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


if __name__ == "__main__":
    main(
        WORKLOAD,
        run,
        extra_arguments=[
            (("--epochs",), {"type": int, "default": 3}),
            (("--samples",), {"type": int, "default": 60000}),
            (("--threads",), {"type": int, "default": 2}),
        ],
        metrics=("seconds", "first_epoch_s"),
    )
