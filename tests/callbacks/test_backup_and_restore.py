"""BackupAndRestore: resuming where training stopped, bit for bit, after an exception or a SIGKILL; the backup files."""

import os
import random
import signal
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
import torch

import cornu
from cornu.callbacks import BackupAndRestore, Callback, LambdaCallback
from cornu.layers import Dense, Dropout

X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(40, 1)).astype("float32")


def _model(seed=1, lr=0.01):
    """A fresh model, built and compiled as a restarted program would build it (from its own seed)."""
    cornu.backend.set_random_seed(seed)
    model = cornu.models.Sequential(
        [Dense(8, input_shape=(3,), activation="relu"), Dropout(0.3), Dropout(0.2, seed=5), Dense(1)]
    )
    model.compile(optimizer=cornu.optimizers.Adam(lr), loss="mse")
    return model


class Interrupt(Callback):
    def __init__(self, epoch, batch=None):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch
        if epoch == self.epoch and self.batch is None:
            raise RuntimeError("interrupted")

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise RuntimeError("interrupted")


class Draws(Callback):
    """Draws from numpy's, Python's and torch's global generators at each epoch's start (and records the draws)."""

    def __init__(self):
        super().__init__()
        self.draws = {}

    def on_epoch_begin(self, epoch, logs=None):
        self.draws[epoch] = (np.random.random(), random.random(), torch.rand(()).item())


def _fit(model, callbacks, epochs=4):
    return model.fit(X, Y, batch_size=8, epochs=epochs, shuffle=True, verbose=0, callbacks=callbacks)


def test_an_interrupted_and_resumed_fit_ends_with_exactly_the_uninterrupted_weights(tmp_path):
    reference_draws = Draws()
    reference = _model()
    _fit(reference, [reference_draws])

    model = _model()
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(model, [BackupAndRestore(str(tmp_path)), Interrupt(epoch=2), Draws()])
    torch.manual_seed(123), np.random.seed(123), random.seed(123)  # the restarted program's generators differ
    resumed, draws = _model(seed=99), Draws()
    history = _fit(resumed, [BackupAndRestore(str(tmp_path)), draws])

    assert history.epoch == [2, 3] and list(draws.draws) == [2, 3]
    assert draws.draws == {e: reference_draws.draws[e] for e in (2, 3)}  # numpy, random and torch resumed too
    for ours, expected in zip(resumed.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, expected)
    assert resumed.optimizer.iterations == reference.optimizer.iterations == 20
    assert not tmp_path.exists()  # delete_checkpoint: removed once fit completed


def test_the_same_callback_and_model_resume_too(tmp_path):
    reference = _model()
    _fit(reference, [])
    model, backup = _model(), BackupAndRestore(str(tmp_path))
    with pytest.raises(RuntimeError):
        _fit(model, [backup, Interrupt(epoch=1)])
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])  # the backup, not the model, is the truth
    _fit(model, [backup])
    for ours, expected in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, expected)


def test_the_backup_file_is_a_keras_3_weights_file_with_the_epoch_and_the_generators(tmp_path):
    model = _model()
    with pytest.raises(RuntimeError):
        _fit(model, [BackupAndRestore(str(tmp_path)), Interrupt(epoch=3)])
    assert sorted(os.listdir(tmp_path)) == ["latest.weights.h5"]
    with h5py.File(tmp_path / "latest.weights.h5", "r") as f:
        assert (f.attrs["epoch"], f.attrs["batch"]) == (3, 0)
        state = f["training_state"]
        assert sorted(state) == ["generators", "numpy_keys", "python_state", "torch_cpu"]
        assert list(state["generators"]) == ["layers.dropout_1|cpu"]
        assert state.attrs["learning_rate"] == 0.01  # exactly: the optimizer's own variable is float32
        assert "optimizer" in f
    loaded = _model()
    loaded.load_weights(str(tmp_path / "latest.weights.h5"))
    for ours, expected in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, expected)


def test_the_learning_rate_comes_back_at_full_precision(tmp_path):
    model = _model(lr=0.1)
    with pytest.raises(RuntimeError):
        _fit(model, [BackupAndRestore(str(tmp_path)), Interrupt(epoch=1)])
    resumed = _model(lr=0.5)
    stop = LambdaCallback(on_epoch_begin=lambda epoch, logs: setattr(resumed, "stop_training", True))
    _fit(resumed, [BackupAndRestore(str(tmp_path), delete_checkpoint=False), stop])
    assert resumed.optimizer.learning_rate == 0.1  # not float32's 0.10000000149011612


def test_delete_checkpoint_false_keeps_the_backup_and_a_finished_run_trains_no_more(tmp_path):
    _fit(_model(), [BackupAndRestore(str(tmp_path), delete_checkpoint=False)])
    with h5py.File(tmp_path / "latest.weights.h5", "r") as f:
        assert f.attrs["epoch"] == 4
    history = _fit(_model(), [BackupAndRestore(str(tmp_path), delete_checkpoint=False)])
    assert history.epoch == []


def test_delete_checkpoint_leaves_other_files_and_their_folder_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    _fit(_model(), [BackupAndRestore(str(tmp_path))], epochs=1)
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_double_checkpoint_falls_back_to_the_previous_backup_when_the_newest_is_damaged(tmp_path):
    reference = _model()
    _fit(reference, [])
    with pytest.raises(RuntimeError):
        _fit(_model(), [BackupAndRestore(str(tmp_path), double_checkpoint=True), Interrupt(epoch=3)])
    assert sorted(os.listdir(tmp_path)) == ["latest.weights.h5", "latest.weights.h5.bkp"]
    with h5py.File(tmp_path / "latest.weights.h5.bkp", "r") as f:
        assert f.attrs["epoch"] == 2
    (tmp_path / "latest.weights.h5").write_bytes(b"not an hdf5 file")
    resumed = _model(seed=5)
    with pytest.warns(UserWarning, match="resumed from the previous one instead, at epoch 2"):
        history = _fit(resumed, [BackupAndRestore(str(tmp_path), double_checkpoint=True)])
    assert history.epoch == [2, 3]
    for ours, expected in zip(resumed.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, expected)


def test_a_damaged_backup_without_a_previous_one_is_reported_with_the_fix(tmp_path):
    (tmp_path / "latest.weights.h5").write_bytes(b"\x00" * 64)
    with pytest.raises(OSError, match="(?s)cannot read the backup.*latest.weights.h5: .*Delete the folder"):
        _fit(_model(), [BackupAndRestore(str(tmp_path))])


def test_a_backup_interrupted_while_written_leaves_the_last_one_whole(tmp_path, monkeypatch):
    from cornu.saving import weights_h5

    model, backup = _model(), BackupAndRestore(str(tmp_path))
    with pytest.raises(RuntimeError):
        _fit(model, [backup, Interrupt(epoch=2)])
    before = (tmp_path / "latest.weights.h5").read_bytes()

    def crash(h5file, *args, **kwargs):
        h5file.create_group("half_written")
        raise KeyboardInterrupt

    monkeypatch.setattr(weights_h5, "write_weights", crash)
    with pytest.raises(KeyboardInterrupt):
        _fit(model, [backup])
    assert (tmp_path / "latest.weights.h5").read_bytes() == before
    assert os.listdir(tmp_path) == ["latest.weights.h5"]


def test_batch_backups_resume_at_the_start_of_the_epoch_in_progress(tmp_path):
    epochs_seen = []
    track = LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs_seen.append(epoch))
    with pytest.raises(RuntimeError):  # 5 batches an epoch: backups after batches 3, 6 and 9 of the run
        _fit(_model(), [BackupAndRestore(str(tmp_path), save_freq=3), Interrupt(epoch=1, batch=4)])
    with h5py.File(tmp_path / "latest.weights.h5", "r") as f:
        assert (f.attrs["epoch"], f.attrs["batch"]) == (1, 3)
    with pytest.raises(RuntimeError):  # resumes at epoch 1; its 3rd batch is backed up, then it stops again
        _fit(_model(), [BackupAndRestore(str(tmp_path), save_freq=3), track, Interrupt(epoch=1, batch=4)])
    # The backup names the epoch in progress; Keras names epoch 0 here (its count starts at 0 in a new callback).
    with h5py.File(tmp_path / "latest.weights.h5", "r") as f:
        assert (f.attrs["epoch"], f.attrs["batch"]) == (1, 2)
    history = _fit(_model(), [BackupAndRestore(str(tmp_path), save_freq=3), track])
    assert epochs_seen == [1, 1, 2, 3] and history.epoch == [1, 2, 3]


def test_bad_arguments_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="needs a folder"):
        BackupAndRestore("")
    for bad in ("batch", 0, True, 1.5):
        with pytest.raises(ValueError, match="Invalid value for argument `save_freq`"):
            BackupAndRestore("/tmp/x", save_freq=bad)


_CHILD = """
import sys, time
import numpy as np, torch
torch.set_num_threads(1)
import cornu
from cornu.callbacks import BackupAndRestore, Callback
from cornu.layers import Dense, Dropout


class HangInEpoch2(Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 2 and batch == 1:
            print("READY", flush=True)
            time.sleep(600)  # until the parent's SIGKILL


def train(mode, backup_dir, out):
    cornu.backend.set_random_seed(7)
    model = cornu.models.Sequential([Dense(16, input_shape=(4,), activation="relu"), Dropout(0.25), Dense(1)])
    model.compile(optimizer=cornu.optimizers.Adam(0.01), loss="mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(48, 4)).astype("float32"), rng.normal(size=(48, 1)).astype("float32")
    callbacks = [] if mode == "plain" else [BackupAndRestore(backup_dir)]
    if mode == "hang":
        callbacks.append(HangInEpoch2())
    model.fit(x, y, batch_size=8, epochs=4, shuffle=True, verbose=0, callbacks=callbacks)
    np.savez(out, *model.get_weights())


if __name__ == "__main__":
    train(*sys.argv[1:4])
"""


def test_a_process_killed_mid_epoch_resumes_and_ends_with_the_uninterrupted_weights(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(_CHILD))
    root = os.path.dirname(os.path.dirname(cornu.__file__))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    backup = str(tmp_path / "backup")

    def child(mode, out):
        return [sys.executable, str(script), mode, backup, str(tmp_path / out)]

    hung = subprocess.Popen(child("hang", "never.npz"), stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert hung.stdout.readline().strip() == "READY"
        os.kill(hung.pid, signal.SIGKILL)
    finally:
        hung.kill()
        hung.wait(60)
        hung.stdout.close()
    assert hung.returncode == -signal.SIGKILL
    with h5py.File(os.path.join(backup, "latest.weights.h5"), "r") as f:
        assert f.attrs["epoch"] == 2  # epochs 0 and 1 were backed up; epoch 2 died at its second batch
    subprocess.run(child("resume", "resumed.npz"), env=env, check=True, timeout=300)
    threads, namespace = torch.get_num_threads(), {"__name__": "child"}
    try:  # the uninterrupted run in this process: same code, one thread too (a third process costs seconds)
        exec(compile(script.read_text(), str(script), "exec"), namespace)
        namespace["train"]("plain", None, str(tmp_path / "plain.npz"))
    finally:
        torch.set_num_threads(threads)
    resumed, plain = np.load(tmp_path / "resumed.npz"), np.load(tmp_path / "plain.npz")
    assert len(plain.files) == 4
    for name in plain.files:
        np.testing.assert_array_equal(resumed[name], plain[name])
    assert not os.path.exists(backup)
