"""The program torchrun runs for tests/distribute/test_sharded.py, and the one-process reference it is compared with.

`python -m torch.distributed.run --standalone --nproc_per_node=2 sharded_workers.py <out_dir>` trains every scenario
under `FullyShardedDataParallel`; each rank writes `<out_dir>/rank<r>.npz` / `.json`, rank 0 also `.keras` files.
`run(out, strategy=None)` is the same program in one process.
"""

import json
import os
import sys

import numpy as np

import cornu
from cornu.distribute.zero import local_state_bytes
from cornu.layers import Dense

BATCH = 8


def data():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(41, 5)).astype("float32")  # 41 = 5 batches of 8 and 1 (rank 0's alone: the empty step)
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=41)]
    return x, y


def build(optimizer, seed=0):
    """6 variables (kernels 40, 48, 18; biases 8, 6, 3): rank 0 owns 48 + 8 + 6, rank 1 owns 40 + 18 + 3."""
    cornu.backend.set_random_seed(seed)
    model = cornu.models.Sequential(
        [
            Dense(8, activation="relu", input_shape=(5,), kernel_regularizer="l2"),
            Dense(6, activation="tanh"),
            Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def fit(model, epochs, callbacks=()):
    x, y = data()
    return model.fit(x, y, batch_size=BATCH, epochs=epochs, callbacks=list(callbacks), verbose=0)


def _weights(prefix, model):
    return {f"{prefix}_w{i}": w for i, w in enumerate(model.get_weights())}


def _error(call):
    try:
        call()
    except (RuntimeError, ValueError) as error:
        return str(error)
    return None


def adam_run(out, strategy, arrays, logs):
    """Adam with a global norm limit low enough to clip, a ModelCheckpoint each epoch, `model.save` after fit."""
    model = build(cornu.optimizers.Adam(learning_rate=0.01, global_clipnorm=0.1))
    if strategy is not None:  # the first fit then never builds the whole state
        strategy.build_optimizer(model.optimizer, model.trainable_weights)
        arrays["adam_bytes_before_fit"] = np.array(local_state_bytes(model.optimizer))
    checkpoint = cornu.callbacks.ModelCheckpoint(os.path.join(out, "adam_epoch{epoch}.keras"))
    history = fit(model, 3, [checkpoint])
    arrays.update(_weights("adam", model))
    arrays["adam_bytes"] = np.array(local_state_bytes(model.optimizer))
    logs["adam_history"] = history.history
    logs["adam_iterations"] = model.optimizer.iterations
    if cornu.distribute.is_chief():
        model.save(os.path.join(out, "adam.keras"))
    else:
        logs["adam_get_weights_error"] = _error(model.optimizer.get_weights)
    x, y = data()
    logs["train_on_batch_error"] = _error(lambda: model.train_on_batch(x[:4], y[:4])) if strategy else None


def sgd_run(out, strategy, arrays, logs):
    """SGD with momentum, per-variable clipping and EMA that overwrites the weights every 4 steps, built in fit,
    and a ModelCheckpoint every 4 batches."""
    optimizer = cornu.optimizers.SGD(0.1, momentum=0.9, clipnorm=0.5, use_ema=True, ema_overwrite_frequency=4)
    model = build(optimizer, seed=1)
    every_4_batches = cornu.callbacks.ModelCheckpoint(os.path.join(out, "sgd_batch.keras"), save_freq=4)
    history = fit(model, 3, [every_4_batches])  # 6 batches an epoch on rank 0, 5 on rank 1: last saved at 16
    arrays.update(_weights("sgd", model))
    arrays["sgd_bytes"] = np.array(local_state_bytes(model.optimizer))
    logs["sgd_history"] = history.history
    if cornu.distribute.is_chief():
        model.save(os.path.join(out, "sgd.keras"))
    model.optimizer.finalize_variable_values(model.trainable_weights)  # collective: every rank
    arrays.update(_weights("sgd_final", model))


def nadam_run(out, strategy, arrays, logs):
    """Nadam (a host-side number in its state) stepping every 2 batches, with EMA overwriting the weights every 3
    steps: on a call that only accumulates, so the broadcast must not be skipped there."""
    optimizer = cornu.optimizers.Nadam(0.01, gradient_accumulation_steps=2, use_ema=True, ema_overwrite_frequency=3)
    model = build(optimizer, seed=2)
    fit(model, 2)
    arrays.update(_weights("nadam", model))
    if cornu.distribute.is_chief():
        model.save(os.path.join(out, "nadam.keras"))


def lonely_run(out, strategy, arrays, logs):
    """One variable for two ranks: rank 1 owns nothing, yet takes part in the global norm and counts the steps."""
    cornu.backend.set_random_seed(5)
    model = cornu.models.Sequential([Dense(3, use_bias=False, activation="softmax", input_shape=(5,))])
    model.compile(optimizer=cornu.optimizers.Adam(0.01, global_clipnorm=0.1, use_ema=True), loss="mse")
    fit(model, 2)
    arrays.update(_weights("lonely", model))
    logs["lonely_iterations"] = model.optimizer.iterations


class Interrupted(Exception):
    pass


class Interrupt(cornu.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise Interrupted("a lost machine")


def resume_run(out, strategy, arrays, logs):
    """A fit of 4 epochs interrupted at the third (on every rank), resumed from BackupAndRestore's backup by the same
    model (its optimizer already sharded) and by a new model (built whole, restored, then sharded)."""
    for name, fresh in (("same", False), ("fresh", True)):
        backup = cornu.callbacks.BackupAndRestore(os.path.join(out, f"backup_{name}"))
        model = build(cornu.optimizers.Adam(learning_rate=0.01), seed=3)
        try:
            fit(model, 4, [backup, Interrupt()])
        except Interrupted:
            pass
        if fresh:
            model = build(cornu.optimizers.Adam(learning_rate=0.01), seed=4)
        history = fit(model, 4, [backup])
        logs[f"resume_{name}_epochs"] = len(history.history["loss"])
        arrays.update(_weights(f"resume_{name}", model))


def reference_resume():
    model = build(cornu.optimizers.Adam(learning_rate=0.01), seed=3)
    fit(model, 4)
    return _weights("resume_reference", model)


def run(out, strategy=None):
    """Every scenario; returns (arrays, logs), also written to `out` under torchrun."""
    arrays, logs = {}, {}
    for scenario in (adam_run, sgd_run, nadam_run, lonely_run, resume_run):
        scenario(out, strategy, arrays, logs)
    return arrays, logs


if __name__ == "__main__":
    out_dir = sys.argv[1]
    rank = int(os.environ["RANK"])
    strategy = cornu.distribute.FullyShardedDataParallel(backend="gloo")
    cornu.distribute.set_distribution(strategy)
    arrays, logs = run(out_dir, strategy)
    logs["repr"] = repr(strategy)
    np.savez(os.path.join(out_dir, f"rank{rank}.npz"), **arrays)
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump(logs, f)
