"""ModelCheckpoint and BackupAndRestore against the real Keras 3: the same logs fed to both, the same files written.

ModelCheckpoint: the same epoch (and batch) logs go to Keras's callback and to cornu's, each on a small model whose
weights name the epoch; compared are the files written, the best value, the warnings, the printed lines, and the
`.keras` files themselves (each side loads both sides' files). BackupAndRestore: the same interrupted `fit`s in
both, compared by the epochs each resumed run trains.
"""

import os
import re
import warnings

import numpy as np
import pytest

import cornu
from cornu.layers import Dense

keras = pytest.importorskip("keras")

MISSING = None  # an epoch whose logs lack the monitored key
_FORMAT_SUFFIX = re.compile(r" \((Keras 3 zip|Keras 2 HDF5|Keras 3 weights|Keras 2 HDF5 weights)\)")


def _pair(metrics=None):
    ref = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    ref.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=metrics)
    ours = cornu.Sequential([Dense(1, input_shape=(2,))])
    ours.compile(optimizer=cornu.optimizers.SGD(0.1), loss="mse", metrics=metrics)
    if metrics:  # the compiled metrics (which "auto" asks for a direction) exist after the first batch in both
        x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        ref.fit(x, y, verbose=0)
        ours.fit(x, y, verbose=0)
    return ref, ours


def _epoch_weights(epoch):
    return [np.full((2, 1), epoch, "float32"), np.full((1,), -epoch, "float32")]


def _drive(callback, model, values, key, folder, capsys, batches=0):
    """Runs the hooks over `{key: value}` logs (and `batches` batch hooks an epoch); returns what happened."""
    callback.set_model(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        callback.on_train_begin({})
        for epoch, value in enumerate(values):
            model.set_weights(_epoch_weights(epoch))
            callback.on_epoch_begin(epoch, {})
            for batch in range(batches):
                callback.on_train_batch_end(batch, {"loss": value + batch})
            logs = {"loss": 9.0} if value is MISSING else {"loss": 9.0, key: value}
            callback.on_epoch_end(epoch, logs)
        callback.on_train_end({})
    out = capsys.readouterr().out.replace(str(folder), "<dir>")
    return {
        "files": sorted(os.listdir(folder)) if os.path.isdir(folder) else [],
        "best": None if callback.best is None else float(callback.best),
        "warnings": [str(w.message) for w in caught if _is_callback_warning(w)],
        "out": _FORMAT_SUFFIX.sub("", out),
    }


def _is_callback_warning(caught):
    # Keras's torch backend also warns about numpy's `__array__(copy=...)` protocol when comparing floats.
    return issubclass(caught.category, UserWarning) and "__array__" not in str(caught.message)


def _both(tmp_path, capsys, kwargs, values, key="val_loss", name="ckpt-{epoch:02d}.keras", metrics=None, batches=0):
    ref_model, our_model = _pair(metrics)
    results = []
    for side, library, model in (("keras", keras, ref_model), ("cornu", cornu, our_model)):
        folder = tmp_path / side
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            callback = library.callbacks.ModelCheckpoint(str(folder / name), **kwargs)
        results.append(_drive(callback, model, values, key, folder, capsys, batches))
        results[-1]["warnings"] = [str(w.message) for w in caught if _is_callback_warning(w)] + results[-1]["warnings"]
    return results


CHECKPOINTS = [
    ({}, [1.0, 0.8, 0.9]),
    ({"verbose": 1}, [1.0, 0.8]),
    ({"save_best_only": True, "verbose": 1}, [1.0, 0.8, 0.9, 0.7, 0.7]),
    ({"save_best_only": True, "mode": "max", "verbose": 1}, [0.5, 0.6, 0.55, 0.7, 0.7]),
    ({"save_best_only": True, "mode": "min", "initial_value_threshold": 0.75}, [1.0, 0.8, 0.7, 0.72, 0.6]),
    ({"save_best_only": True, "mode": "max", "initial_value_threshold": 0.6}, [0.5, 0.7, 0.65, 0.8]),
    ({"save_best_only": True, "verbose": 1}, [1.0, MISSING, 0.9, 0.95]),
    ({"save_best_only": True}, [0.5, 0.5 - 1e-9, 0.4]),  # compared in float32: not an improvement
    ({"save_best_only": True, "mode": "bogus"}, [0.5, 0.4, 0.6]),
    ({"save_weights_only": True}, [1.0, 0.9]),
]


@pytest.mark.parametrize("kwargs, values", CHECKPOINTS)
def test_model_checkpoint_writes_the_same_epochs_and_says_the_same_as_keras(tmp_path, capsys, kwargs, values):
    name = "ckpt-{epoch:02d}.weights.h5" if kwargs.get("save_weights_only") else "ckpt-{epoch:02d}.keras"
    ref, ours = _both(tmp_path, capsys, kwargs, values, name=name)
    assert ours == ref
    assert ref["files"]  # every case writes something


@pytest.mark.parametrize("monitor, values", [("val_accuracy", [0.5, 0.4, 0.6]), ("val_mae", [0.5, 0.4, 0.6])])
def test_auto_mode_takes_the_compiled_metrics_direction_as_keras_does(tmp_path, capsys, monitor, values):
    kwargs = {"monitor": monitor, "save_best_only": True}
    ref, ours = _both(tmp_path, capsys, kwargs, values, key=monitor, metrics=["accuracy", "mae"])
    assert ours == ref and len(ref["files"]) == 2


def test_templates_are_filled_the_same(tmp_path, capsys):
    name = "weights.{epoch:02d}-{val_loss:.2f}.keras"
    ref, ours = _both(tmp_path, capsys, {}, [0.523, 0.4712, 1.0], name=name)
    assert ours == ref
    assert ref["files"] == ["weights.01-0.52.keras", "weights.02-0.47.keras", "weights.03-1.00.keras"]


@pytest.mark.parametrize("kwargs", [{"save_freq": 2}, {"save_freq": 4}, {"save_freq": 2, "save_best_only": True}])
def test_batch_saves_are_counted_across_epochs_as_in_keras(tmp_path, capsys, kwargs):
    kwargs = {"monitor": "loss", **kwargs}
    ref, ours = _both(tmp_path, capsys, kwargs, [3.0, 1.0, 2.0], name="{epoch}-{batch}.keras", batches=3)
    assert ours == ref and len(ref["files"]) >= 2


def test_each_side_loads_the_other_sides_keras_checkpoints_with_the_same_weights(tmp_path, capsys):
    _both(tmp_path, capsys, {}, [1.0, 0.8])
    for epoch, name in enumerate(["ckpt-01.keras", "ckpt-02.keras"]):
        for side in ("keras", "cornu"):
            path = str(tmp_path / side / name)
            for loaded in (keras.models.load_model(path), cornu.models.load_model(path)):
                for got, expected in zip(loaded.get_weights(), _epoch_weights(epoch), strict=True):
                    np.testing.assert_array_equal(keras.ops.convert_to_numpy(got), expected)


def test_a_template_key_missing_from_the_logs_is_a_key_error_in_both(tmp_path):
    ref_model, our_model = _pair()
    for library, model in ((keras, ref_model), (cornu, our_model)):
        callback = library.callbacks.ModelCheckpoint(str(tmp_path / "{epoch}-{val_los}.keras"))
        callback.set_model(model)
        with pytest.raises(KeyError, match="val_los"):
            callback.on_epoch_end(0, {"val_loss": 1.0})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filepath": "m.ckpt"},
        {"filepath": "m.keras", "save_weights_only": True},
        {"filepath": "m.keras", "save_freq": "batch"},
    ],
)
def test_the_same_arguments_are_refused(kwargs):
    for library in (keras, cornu):
        with pytest.raises(ValueError):
            library.callbacks.ModelCheckpoint(**kwargs)


@pytest.mark.parametrize(
    "name, kwargs", [("m.hdf5", {}), ("m.h5", {"save_weights_only": True}), ("m.hdf5", {"save_weights_only": True})]
)
def test_deliberate_difference_keras_2_file_names_are_accepted(tmp_path, name, kwargs):
    """Keras 3 refuses these names; cornu writes the Keras 2 HDF5 layout the seeds' tutorials expect."""
    with pytest.raises(ValueError, match="must end in"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / name), **kwargs)
    _, ours = _pair()
    callback = cornu.callbacks.ModelCheckpoint(str(tmp_path / name), **kwargs)
    callback.set_model(ours)
    callback.on_epoch_end(0, {"val_loss": 1.0})
    assert os.listdir(tmp_path) == [name]


def test_deliberate_difference_monitor_val_acc_without_save_best_only(tmp_path):
    """Keras 3 resolves the monitor's direction even when it compares nothing, and cannot for Keras 2's `val_acc`."""
    ref_model, our_model = _pair(metrics=["accuracy"])
    for library, model in ((keras, ref_model), (cornu, our_model)):
        callback = library.callbacks.ModelCheckpoint(str(tmp_path / library.__name__ / "m.keras"), "val_acc")
        callback.set_model(model)
        if library is keras:
            with pytest.raises(ValueError, match="isn't able to automatically determine"):
                callback.on_epoch_end(0, {"val_accuracy": 0.5})
        else:
            callback.on_epoch_end(0, {"val_accuracy": 0.5})
            assert os.listdir(tmp_path / "cornu") == ["m.keras"]


# ------------------------------------------------------------------------------------------- BackupAndRestore
X = np.arange(40, dtype="float32").reshape(5, 8) / 40
Y = np.zeros((5, 1), "float32")


def _interrupter(library, epoch, batch=None):
    class Interrupt(library.callbacks.Callback):
        def on_epoch_begin(self, current, logs=None):
            self.current = current
            if current == epoch and batch is None:
                raise RuntimeError("interrupted")

        def on_train_batch_end(self, current, logs=None):
            if self.current == epoch and current == batch:
                raise RuntimeError("interrupted")

    return Interrupt()


def _epochs_trained(library, backup_dir, stops, epochs=6, **kwargs):
    """Runs fit once per `(epoch, batch)` stop, then to the end; returns the epochs each run began."""
    if library is keras:
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(0.01), loss="mse")
    else:
        model = cornu.Sequential([Dense(1, input_shape=(8,))])
        model.compile(cornu.optimizers.SGD(0.01), loss="mse")
    runs = []
    for stop in [*stops, None]:
        began = []
        callbacks = [
            library.callbacks.BackupAndRestore(str(backup_dir), **kwargs),
            library.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs, began=began: began.append(epoch)),
        ]
        if stop is not None:
            callbacks.append(_interrupter(library, *stop))
        try:
            model.fit(X, Y, batch_size=1, epochs=epochs, verbose=0, callbacks=callbacks)
        except RuntimeError:
            pass
        runs.append(began)
    return runs, os.path.exists(backup_dir)


@pytest.mark.parametrize(
    "stops, kwargs, resumed_at",
    [
        ([(2, None)], {}, [2]),
        ([(1, None), (4, None)], {}, [1, 4]),
        ([(0, None)], {}, [0]),  # stopped before the first backup: starts over
        ([(3, None)], {"double_checkpoint": True}, [3]),
        ([(2, 3)], {"save_freq": 2}, [2]),  # a mid-epoch backup resumes at the start of its epoch
        ([(1, 2)], {"save_freq": 7}, [1]),
        ([(3, None)], {"delete_checkpoint": False}, [3]),
    ],
)
def test_backup_and_restore_resumes_at_the_same_epoch_as_keras(tmp_path, stops, kwargs, resumed_at):
    ref = _epochs_trained(keras, tmp_path / "keras", stops, **kwargs)
    ours = _epochs_trained(cornu, tmp_path / "cornu", stops, **kwargs)
    assert ours == ref
    runs, kept = ours
    assert [run[0] for run in runs[1:]] == resumed_at and runs[-1][-1] == 5
    assert kept == (kwargs.get("delete_checkpoint") is False)


def test_a_finished_run_kept_with_delete_checkpoint_false_trains_no_more_in_either(tmp_path):
    for library in (keras, cornu):
        runs, kept = _epochs_trained(library, tmp_path / library.__name__, [None], delete_checkpoint=False)
        assert runs == [list(range(6)), []] and kept


def test_keras_reads_the_model_weights_of_a_cornu_backup(tmp_path):
    model = cornu.Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    model.compile(cornu.optimizers.Adam(0.01), "mse")
    backup = cornu.callbacks.BackupAndRestore(str(tmp_path), delete_checkpoint=False)
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[backup])
    ref = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3), keras.layers.Dense(1)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras skips the optimizer state of an optimizer it has not built
        ref.load_weights(str(tmp_path / "latest.weights.h5"))
    for got, expected in zip(ref.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
