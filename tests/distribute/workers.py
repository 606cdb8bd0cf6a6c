"""Programs that `torchrun` runs for tests/distribute (and the single-process references they are compared with).

`python -m torch.distributed.run --standalone --nproc_per_node=2 workers.py <scenario> <out_dir>`; each rank writes
what it saw to `<out_dir>/rank<r>.npz` / `.json`, and the tests compare the files.
"""

import contextlib
import io
import json
import os
import signal
import sys
import warnings

import numpy as np

import cornu
from cornu.layers import Dense

EPOCHS, BATCH = 3, 8
SEEDS = {"generator": 5, "steps_per_epoch": 6}


def data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(54, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=54)]
    # 41 training samples in batches of 8: the last batch holds 1 sample, so rank 1 has none of it (the empty step)
    return (x[:41], y[:41]), (x[41:], y[41:]), rng.normal(size=(23, 5)).astype("float32")


def build(seed=0):
    cornu.backend.set_random_seed(seed)
    model = cornu.models.Sequential(
        [
            Dense(6, activation="relu", input_shape=(5,), kernel_regularizer="l2"),
            Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy", "auc"])
    return model


def train(model, callbacks=(), verbose=0, epochs=EPOCHS):
    (x, y), val, _ = data()
    return model.fit(
        x, y, batch_size=BATCH, epochs=epochs, validation_data=val, callbacks=list(callbacks), verbose=verbose
    )


def train_on_generator():
    """One epoch from a generator of global batches (each rank reads every batch and keeps its part)."""
    (x, y), _, _ = data()
    model = build(seed=SEEDS["generator"])
    model.fit(((x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, len(x), BATCH)), epochs=1, verbose=0)
    return {f"generator{i}": w for i, w in enumerate(model.get_weights())}


def train_with_steps_per_epoch():
    (x, y), _, _ = data()
    model = build(seed=SEEDS["steps_per_epoch"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ran out of data": epoch 2 ends with the pass, as in one process
        model.fit(x, y, batch_size=BATCH, epochs=4, steps_per_epoch=4, verbose=0)
    return {f"steps_per_epoch{i}": w for i, w in enumerate(model.get_weights())}


def extras(out, rank):
    """A stop asked by rank 1 alone at an epoch's end, BatchNormalization's moving statistics, TensorBoard."""
    from cornu.layers import BatchNormalization

    class StopOnRank1(cornu.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if rank == 1:
                self.model.stop_training = True

    (x, y), _, _ = data()
    cornu.backend.set_random_seed(rank)
    model = cornu.models.Sequential([Dense(4, input_shape=(5,)), BatchNormalization(), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    board = cornu.callbacks.TensorBoard(os.path.join(out, f"board_rank{rank}"))
    history = model.fit(x, y, batch_size=BATCH, epochs=5, callbacks=[StopOnRank1(), board], verbose=0)
    moving = [w.detach().numpy() for w in model.non_trainable_weights]
    return {"stopped_epochs": np.array(len(history.history["loss"])), **{f"moving{i}": w for i, w in enumerate(moving)}}


def unreadable_backup(out, rank):
    """Rank 1's backup_dir is not where rank 0 wrote (machines without shared storage): the resume must stop."""
    (x, y), _, _ = data()
    model = build()
    backup = cornu.callbacks.BackupAndRestore(os.path.join(out, f"backup_rank{rank}"), delete_checkpoint=False)
    model.fit(x, y, batch_size=BATCH, epochs=1, callbacks=[backup], verbose=0)
    try:
        model.fit(x, y, batch_size=BATCH, epochs=2, callbacks=[backup], verbose=0)
    except RuntimeError as error:
        return str(error)
    return None


def results(model, history):
    (_, _), (x_val, y_val), x_pred = data()
    evaluated = model.evaluate(x_val, y_val, batch_size=6, verbose=0, return_dict=True)
    predicted = model.predict(x_pred, batch_size=4, verbose=0)
    generator = ((x_pred[i : i + 5],) for i in range(0, len(x_pred), 5))
    predicted_generator = model.predict(generator, verbose=0)
    weights = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    arrays = dict(weights, predicted=predicted, predicted_generator=predicted_generator, x_pred=x_pred)
    return arrays, {"history": history.history, "evaluate": evaluated}


def main_scenario(out):
    from cornu.callbacks import CSVLogger, ModelCheckpoint

    rank = int(os.environ["RANK"])

    class SpyCheckpoint(ModelCheckpoint):
        def _save_model(self, epoch, batch, logs):
            with open(os.path.join(out, f"checkpoint_by_rank{rank}.txt"), "a") as f:
                f.write(f"{epoch}\n")
            super()._save_model(epoch, batch, logs)

    checkpoint = SpyCheckpoint(os.path.join(out, "ckpt.weights.h5"), save_weights_only=True)
    csv = CSVLogger(os.path.join(out, "log.csv"))
    model = build()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        history = train(model, [checkpoint, csv], verbose=2)
    arrays, logs = results(model, history)
    logs["printed"] = printed.getvalue()
    logs["apply_restored"] = "apply" not in vars(model.optimizer)
    # ranks seeded differently start from rank 0's weights and shuffle with rank 0's permutation
    unseeded = build(seed=rank)
    train(unseeded, epochs=1)
    arrays.update({f"unseeded{i}": w for i, w in enumerate(unseeded.get_weights())})
    arrays.update(train_on_generator())
    arrays.update(train_with_steps_per_epoch())
    arrays.update(extras(out, rank))
    logs["unreadable_backup"] = unreadable_backup(out, rank)
    np.savez(os.path.join(out, f"rank{rank}.npz"), **arrays)
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(logs, f)


def resume_scenario(out, kill):
    """Trains 4 epochs with a backup each epoch; with `kill`, rank 1 SIGKILLs itself in epoch 2 on the first try."""
    rank, attempt = int(os.environ["RANK"]), int(os.environ.get("TORCHELASTIC_RESTART_COUNT", 0))
    marker = os.path.join(out, "killed")

    class KillOnce(cornu.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            if kill and rank == 1 and self.epoch == 2 and batch == 2 and not os.path.exists(marker):
                open(marker, "w").close()
                os.kill(os.getpid(), signal.SIGKILL)

    model = build(seed=3)
    (x, y), _, _ = data()
    backup = cornu.callbacks.BackupAndRestore(os.path.join(out, "backup"))
    history = model.fit(x, y, batch_size=BATCH, epochs=4, callbacks=[backup, KillOnce()], verbose=0)
    np.savez(os.path.join(out, f"rank{rank}.npz"), *model.get_weights())
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump({"attempt": attempt, "epochs": len(history.history["loss"])}, f)


if __name__ == "__main__":
    scenario, out_dir = sys.argv[1], sys.argv[2]
    if scenario == "main":
        main_scenario(out_dir)
    else:
        resume_scenario(out_dir, kill=scenario == "kill")
