"""ModelCheckpoint: which epochs and batches are written, templates, formats that load back, messages and errors."""

import os
import zipfile

import h5py
import numpy as np
import pytest

import cornu
from cornu.callbacks import CallbackList, ModelCheckpoint
from cornu.layers import Dense


def _model(metrics=None, lr=0.01):
    model = cornu.models.Sequential([Dense(2, input_shape=(3,), activation="relu"), Dense(1)])
    model.compile(optimizer=cornu.optimizers.Adam(lr), loss="mse", metrics=metrics)
    return model


def _data(n=12):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def _drive(callback, values, key="val_loss", model=None):
    """Feeds `{key: value}` epoch logs; returns the sorted file names written in the template's folder."""
    model = model or _model()
    callback.set_model(model)
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {key: value})
    return sorted(os.listdir(os.path.dirname(callback.filepath)))


def test_every_epoch_is_written_without_save_best_only(tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "m.{epoch:02d}.keras"))
    assert _drive(callback, [3.0, 1.0, 2.0]) == ["m.01.keras", "m.02.keras", "m.03.keras"]


@pytest.mark.parametrize(
    "mode, values, written",
    [
        ("min", [1.0, 0.8, 0.9, 0.7, 0.7], [1, 2, 4]),  # a tie is not an improvement
        ("max", [0.5, 0.6, 0.55, 0.7, 0.7], [1, 2, 4]),
        ("max", [0.5, 0.4, 0.3], [1]),
    ],
)
def test_save_best_only_writes_the_epochs_that_improve(tmp_path, mode, values, written):
    callback = ModelCheckpoint(str(tmp_path / "m.{epoch}.keras"), monitor="val_x", mode=mode, save_best_only=True)
    assert _drive(callback, values, "val_x") == [f"m.{epoch}.keras" for epoch in written]
    assert callback.best == values[written[-1] - 1]


def test_auto_mode_maximizes_accuracy_minimizes_losses_and_refuses_unknown_names(tmp_path):
    model = _model(metrics=["accuracy", "mae"])
    model.fit(*_data(), epochs=1, verbose=0)  # builds the compiled metrics, which say their direction
    accuracy = ModelCheckpoint(str(tmp_path / "a" / "{epoch}.keras"), monitor="val_accuracy", save_best_only=True)
    assert _drive(accuracy, [0.5, 0.4, 0.6], "val_accuracy", model) == ["1.keras", "3.keras"]
    mae = ModelCheckpoint(str(tmp_path / "b" / "{epoch}.keras"), monitor="val_mae", save_best_only=True)
    assert _drive(mae, [0.5, 0.4, 0.6], "val_mae", model) == ["1.keras", "2.keras"]
    loss = ModelCheckpoint(str(tmp_path / "c" / "{epoch}.keras"), save_best_only=True)
    assert _drive(loss, [0.5, 0.6, 0.4], "val_loss", model) == ["1.keras", "3.keras"]
    unknown = ModelCheckpoint(str(tmp_path / "d" / "{epoch}.keras"), monitor="val_f00", save_best_only=True)
    with pytest.raises(ValueError, match="Pass `mode='max'`"):
        _drive(unknown, [0.5], "val_f00", model)


def test_initial_value_threshold_must_be_beaten_first(tmp_path):
    callback = ModelCheckpoint(
        str(tmp_path / "{epoch}.keras"), save_best_only=True, mode="min", initial_value_threshold=0.75
    )
    assert callback.best == 0.75
    assert _drive(callback, [1.0, 0.8, 0.7, 0.72, 0.6]) == ["3.keras", "5.keras"]
    maximize = ModelCheckpoint(
        str(tmp_path / "max" / "{epoch}.keras"), "acc", save_best_only=True, mode="max", initial_value_threshold=0.9
    )
    maximize.set_model(_model())
    maximize.on_epoch_end(0, {"acc": 0.8})
    assert not (tmp_path / "max").exists()


def test_a_fixed_path_holds_the_best_epochs_weights_and_best_survives_another_fit(tmp_path):
    model = _model()
    path = str(tmp_path / "best.weights.h5")
    callback = ModelCheckpoint(path, save_best_only=True, save_weights_only=True)
    callback.set_model(model)
    for epoch, value in enumerate([0.9, 0.5, 0.7]):
        model.set_weights([np.full(w.shape, epoch, "float32") for w in model.get_weights()])  # weights say the epoch
        callback.on_epoch_end(epoch, {"val_loss": value})
    fresh = _model()
    fresh.load_weights(path)
    assert fresh.get_weights()[0][0, 0] == 1.0
    callback.on_epoch_end(0, {"val_loss": 0.6})  # as in Keras, a later fit still compares with 0.5
    fresh.load_weights(path)
    assert fresh.get_weights()[0][0, 0] == 1.0 and callback.best == 0.5


def test_template_fills_the_epoch_from_one_and_any_log_key(tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "weights.{epoch:02d}-{val_loss:.2f}.keras"))
    assert _drive(callback, [0.523, 0.4712]) == ["weights.01-0.52.keras", "weights.02-0.47.keras"]


def test_keras_2_templates_and_monitor_val_acc_follow_val_accuracy(tmp_path):
    model = _model(metrics=["accuracy"])
    model.fit(*_data(), epochs=1, verbose=0)
    template = str(tmp_path / "weights-{epoch:02d}-{val_acc:.2f}.hdf5")
    callback = ModelCheckpoint(template, monitor="val_acc", save_best_only=True)  # mode="auto": maximized
    assert _drive(callback, [0.91, 0.9, 0.95], "val_accuracy", model) == [
        "weights-01-0.91.hdf5",
        "weights-03-0.95.hdf5",
    ]
    assert callback.monitor == "val_acc"


def test_a_template_key_missing_from_the_logs_names_it_and_the_available_keys(tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "{epoch}-{val_los:.2f}.keras"))
    with pytest.raises(KeyError, match=r"\{val_los\}.*Available keys: epoch, loss, val_loss"):
        callback.set_model(_model())
        callback.on_epoch_end(0, {"loss": 1.0, "val_loss": 0.5})


def test_save_freq_counts_batches_across_epochs_in_fit(tmp_path):
    x, y = _data(12)
    callback = ModelCheckpoint(str(tmp_path / "{epoch}-{batch}.weights.h5"), save_weights_only=True, save_freq=2)
    _model().fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[callback])  # 3 batches an epoch
    assert sorted(os.listdir(tmp_path)) == [f"{name}.weights.h5" for name in ("1-2", "2-1", "2-3", "3-2")]


def test_save_freq_batches_read_the_batch_logs_for_save_best_only(tmp_path):
    x, y = _data(12)
    seen = []
    callback = ModelCheckpoint(str(tmp_path / "{epoch}-{batch}-{loss:.4f}.keras"), monitor="loss", save_freq=1)
    callback.set_model(_model())
    original = callback._should_save_model
    callback._should_save_model = lambda epoch, logs, path: seen.append(logs["loss"]) or original(epoch, logs, path)
    callback.model.fit(x, y, batch_size=6, epochs=1, verbose=0, callbacks=[callback])
    assert sorted(os.listdir(tmp_path)) == [f"1-{b + 1}-{loss:.4f}.keras" for b, loss in enumerate(seen)]
    assert len(seen) == 2


def test_saving_by_epoch_adds_no_batch_hook_to_the_loop(tmp_path):
    by_epoch = CallbackList([ModelCheckpoint(str(tmp_path / "m.keras"))])
    by_batch = CallbackList([ModelCheckpoint(str(tmp_path / "m.keras"), save_freq=5)])
    assert not by_epoch.wants("on_train_batch_end") and by_batch.wants("on_train_batch_end")


@pytest.mark.parametrize(
    "name, weights_only, kind",
    [
        ("m.keras", False, "zip"),
        ("m.h5", False, "h5 model"),
        ("m.hdf5", False, "h5 model"),
        ("m.weights.h5", False, "h5 model"),  # as in Keras: model.save() of a .h5 name
        ("m.weights.h5", True, "keras 3 weights"),
        ("m.h5", True, "keras 2 weights"),
        ("m.hdf5", True, "keras 2 weights"),
    ],
)
def test_each_format_is_written_and_loads_back_with_the_same_predictions(tmp_path, name, weights_only, kind):
    x, y = _data()
    model = _model()
    path = str(tmp_path / name)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[ModelCheckpoint(path, "loss", save_weights_only=weights_only)])
    expected = model.predict(x, verbose=0)
    if kind == "zip":
        assert zipfile.is_zipfile(path)
    else:
        with h5py.File(path, "r") as f:
            found = (
                "h5 model"
                if "model_weights" in f
                else "keras 2 weights"
                if "layer_names" in f.attrs
                else "keras 3 weights"
                if "layers" in f
                else "?"
            )
        assert found == kind
    if weights_only:
        loaded = _model()
        loaded.load_weights(path)
    else:
        loaded = cornu.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)


def test_unknown_extensions_and_weights_in_a_keras_file_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"'\.keras' \(Keras 3 zip\), '\.h5' or '\.hdf5'.*'\.weights\.h5'"):
        ModelCheckpoint("model.ckpt")
    with pytest.raises(ValueError, match="End the path in '.weights.h5'"):
        ModelCheckpoint("model.keras", save_weights_only=True)
    for bad in ("batch", 0, -3, 2.5, True):
        with pytest.raises(ValueError, match="Unrecognized save_freq"):
            ModelCheckpoint("model.keras", save_freq=bad)


def test_a_directory_as_the_path_is_reported(tmp_path):
    (tmp_path / "m.keras").mkdir()
    callback = ModelCheckpoint(str(tmp_path / "m.keras"))
    callback.set_model(_model())
    with pytest.raises(IsADirectoryError, match="existing directory"):
        callback.on_epoch_end(0, {})


def test_missing_monitor_warns_as_keras_does_and_saves(tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "{epoch}.keras"), save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available."):
        assert _drive(callback, [0.3], "loss") == ["1.keras"]
    assert callback.best is None


def test_a_non_scalar_monitor_falls_back_to_saving(tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "{epoch}.keras"), monitor="val_x", mode="min", save_best_only=True)
    callback.set_model(_model())
    with pytest.warns(UserWarning, match="scalar value"):
        callback.on_epoch_end(0, {"val_x": np.array([1.0, 2.0])})
    assert os.listdir(tmp_path) == ["1.keras"]


def test_verbose_names_the_file_and_its_format(tmp_path, capsys):
    path = str(tmp_path / "best.keras")
    _drive(ModelCheckpoint(path, verbose=1, save_best_only=True), [0.52, 0.47, 0.6])
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert lines == [
        f"Epoch 1: val_loss improved from None to 0.52000, saving model to {path} (Keras 3 zip)",
        f"Epoch 1: finished saving model to {path}",
        f"Epoch 2: val_loss improved from 0.52000 to 0.47000, saving model to {path} (Keras 3 zip)",
        f"Epoch 2: finished saving model to {path}",
        "Epoch 3: val_loss did not improve from 0.47000",
    ]
    weights = str(tmp_path / "w.h5")
    _drive(ModelCheckpoint(weights, verbose=1, save_weights_only=True), [1.0])
    assert f"saving model to {weights} (Keras 2 HDF5 weights)" in capsys.readouterr().out


def test_a_save_that_fails_midway_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    from cornu.saving import weights_h5

    path = str(tmp_path / "m.weights.h5")
    model = _model()
    callback = ModelCheckpoint(path, save_weights_only=True)
    callback.set_model(model)
    callback.on_epoch_end(0, {})
    before = open(path, "rb").read()

    def crash(h5file, *args, **kwargs):
        h5file.create_group("half_written")
        raise KeyboardInterrupt  # as if the run were stopped while saving

    monkeypatch.setattr(weights_h5, "write_weights", crash)
    with pytest.raises(KeyboardInterrupt):
        callback.on_epoch_end(1, {})
    assert open(path, "rb").read() == before and os.listdir(tmp_path) == ["m.weights.h5"]


def test_in_fit_a_keras_2_style_checkpoint_keeps_the_epochs_whose_val_loss_improved(tmp_path):
    x, y = _data(40)
    model, snapshots = _model(lr=0.03), []  # a large step, so that val_loss goes up as well as down
    keep = cornu.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    checkpoint = ModelCheckpoint(str(tmp_path / "weights.{epoch:02d}-{val_loss:.2f}.hdf5"), save_best_only=True)
    history = model.fit(x, y, epochs=8, batch_size=8, validation_split=0.25, verbose=0, callbacks=[keep, checkpoint])
    best, expected = None, []
    for epoch, value in enumerate(history.history["val_loss"]):
        if best is None or np.float32(value) < np.float32(best):
            best, best_epoch = value, epoch
            expected.append(f"weights.{epoch + 1:02d}-{value:.2f}.hdf5")
    assert sorted(os.listdir(tmp_path)) == expected and 2 <= len(expected) < 8
    loaded = cornu.models.load_model(str(tmp_path / expected[-1]))
    for ours, saved in zip(loaded.get_weights(), snapshots[best_epoch], strict=True):
        np.testing.assert_array_equal(ours, saved)
    assert checkpoint.best == best


def test_a_pathlike_filepath_is_accepted_and_missing_folders_are_made(tmp_path):
    callback = ModelCheckpoint(tmp_path / "runs" / "one" / "m.{epoch}.keras")
    assert callback.filepath == str(tmp_path / "runs" / "one" / "m.{epoch}.keras")
    assert _drive(callback, [1.0]) == ["m.1.keras"]
