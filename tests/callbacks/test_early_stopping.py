"""EarlyStopping: hooks driven by hand on handcrafted log sequences, then inside a real `fit`."""

import numpy as np
import pytest

import cornu
from cornu.callbacks import EarlyStopping, LambdaCallback
from cornu.layers import Dense


def _model(metrics=None, lr=0.1):
    model = cornu.models.Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer=cornu.optimizers.SGD(lr), loss="mse", metrics=metrics)
    return model


def _run(callback, values, key="val_loss", model=None, weights_per_epoch=False):
    """Feeds `{key: value}` epoch logs; returns the epoch at which stop_training was set (or None)."""
    model = model or _model()
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    stopped = None
    for epoch, value in enumerate(values):
        if weights_per_epoch:  # weights that say which epoch they belong to
            model.set_weights([np.full((2, 1), epoch, "float32"), np.full((1,), -epoch, "float32")])
        callback.on_epoch_end(epoch, {key: value})
        if model.stop_training:
            stopped = epoch
            break
    callback.on_train_end()
    return stopped


def test_stops_after_patience_epochs_without_improvement():
    stop = EarlyStopping(patience=2)
    assert _run(stop, [1.0, 0.8, 0.9, 0.85, 0.7]) == 3
    assert (stop.stopped_epoch, stop.best, stop.best_epoch, stop.wait) == (3, 0.8, 1, 2)


def test_patience_zero_stops_at_the_first_epoch_that_does_not_improve():
    assert _run(EarlyStopping(), [3.0, 2.0, 2.0, 1.0]) == 2


def test_min_delta_is_the_improvement_needed_and_its_sign_is_ignored():
    # 0.95 and 0.9 are lower than 1.0, but not by more than 0.1
    assert _run(EarlyStopping(min_delta=0.1, patience=1), [1.0, 0.95, 0.91]) == 1
    stop = EarlyStopping(min_delta=-0.1, patience=2)
    assert stop.min_delta == 0.1
    assert _run(stop, [1.0, 0.85, 0.8, 0.7, 0.74, 0.65]) == 5  # 0.85 and 0.7 improve; 0.8, 0.74, 0.65 do not


def test_max_mode_and_auto_mode_from_the_compiled_metric():
    model = _model(metrics=["accuracy", "mae"])
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)  # builds the compiled metrics
    assert _run(EarlyStopping("val_accuracy", mode="max", patience=1), [0.5, 0.6, 0.55], "val_accuracy") == 2
    assert _run(EarlyStopping("val_accuracy", patience=1), [0.5, 0.6, 0.55], "val_accuracy", model) == 2
    assert _run(EarlyStopping("accuracy", patience=1), [0.5, 0.4, 0.3], "accuracy", model) == 1
    assert _run(EarlyStopping("val_mae", patience=1), [0.5, 0.4, 0.3, 0.35], "val_mae", model) == 3
    assert _run(EarlyStopping("loss", patience=1), [0.5, 0.4, 0.45], "loss", model) == 2


def test_auto_mode_refuses_a_quantity_of_unknown_direction():
    stop = EarlyStopping("val_score")
    stop.set_model(_model())
    with pytest.raises(ValueError, match=r"monitor='val_score'.*Pass `mode='max'`.*`mode='min'`"):
        stop.on_epoch_end(0, {"val_score": 1.0})


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match=r"EarlyStopping mode 'maximum' is unknown, fallback to auto mode\."):
        stop = EarlyStopping(mode="maximum")
    assert stop.mode == "auto"
    assert _run(stop, [1.0, 2.0]) == 1  # val_loss: auto is min


def test_missing_monitor_warns_with_the_available_keys_and_skips_the_epoch():
    stop = EarlyStopping(monitor="val_accuracy", mode="max")
    stop.set_model(_model())
    stop.on_train_begin()
    with pytest.warns(UserWarning) as record:
        stop.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.6})
    assert str(record[0].message) == (
        "Early stopping conditioned on metric `val_accuracy` which is not available. "
        "Available metrics are: loss,val_loss"
    )
    assert (stop.wait, stop.best) == (0, None)


def test_baseline_not_beaten_stops_patience_epochs_after_the_start():
    stop = EarlyStopping(patience=3, baseline=0.5)
    assert _run(stop, [0.9, 0.95, 0.97, 0.8]) == 2  # the first epoch improves (on nothing) but not on 0.5
    assert (stop.best, stop.best_epoch) == (0.9, 0)


def test_beating_the_baseline_resets_the_count():
    assert _run(EarlyStopping(patience=2, baseline=0.5), [0.9, 0.4, 0.45, 0.3, 0.35, 0.36]) == 5


def test_restore_best_weights_loads_the_best_epoch_and_says_so(capsys):
    model = _model()
    stop = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    assert _run(stop, [1.0, 0.5, 0.7, 0.6], model=model, weights_per_epoch=True) == 3
    kernel, bias = model.get_weights()
    np.testing.assert_array_equal(kernel, np.full((2, 1), 1.0))
    np.testing.assert_array_equal(bias, [-1.0])
    assert capsys.readouterr().out == (
        "Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_restore_best_weights_with_a_baseline_never_beaten_restores_the_best_of_the_run():
    model = _model()
    stop = EarlyStopping(patience=3, baseline=0.1, restore_best_weights=True)
    assert _run(stop, [0.9, 0.5, 0.7, 0.6], model=model, weights_per_epoch=True) == 2
    np.testing.assert_array_equal(model.get_weights()[0], np.full((2, 1), 1.0))


def test_restore_without_stopping_still_restores_and_prints_no_stop_line(capsys):
    model = _model()
    stop = EarlyStopping(patience=5, restore_best_weights=True, verbose=1)
    assert _run(stop, [0.9, 0.5, 0.7], model=model, weights_per_epoch=True) is None
    np.testing.assert_array_equal(model.get_weights()[0], np.full((2, 1), 1.0))
    assert capsys.readouterr().out == "Restoring model weights from the end of the best epoch: 2.\n"


def test_start_from_epoch_ignores_the_warm_up():
    stop = EarlyStopping(patience=1, start_from_epoch=2)
    assert _run(stop, [1.0, 2.0, 3.0, 2.5, 2.6]) == 4
    assert (stop.best, stop.best_epoch) == (2.5, 3)


def test_values_are_compared_in_float32_as_keras_does():
    # In float64 1e-9 is an improvement; in float32 both sides are 0.5 and it is not.
    assert _run(EarlyStopping(), [0.5, 0.5 - 1e-9]) == 1
    assert _run(EarlyStopping(), [0.5, 0.5 - 1e-6]) is None


def test_nan_is_never_an_improvement():
    assert _run(EarlyStopping(patience=1), [1.0, float("nan")]) == 1


def test_reuse_across_fits_starts_afresh():
    stop = EarlyStopping(patience=1)
    assert _run(stop, [1.0, 2.0]) == 1
    assert _run(stop, [5.0, 4.0, 3.0]) is None
    assert (stop.stopped_epoch, stop.best, stop.wait) == (0, 3.0, 0)


def test_fit_stops_when_the_loss_stops_falling():
    model = _model(lr=0.0)  # nothing learns: the loss is the same every epoch
    stop = EarlyStopping(monitor="loss", patience=2)
    x, y = np.arange(8, dtype="float32").reshape(4, 2), np.ones((4, 1), "float32")
    history = model.fit(x, y, epochs=10, callbacks=[stop], verbose=0)
    assert len(history.history["loss"]) == 3
    assert stop.stopped_epoch == 2


def test_fit_restores_the_weights_of_the_best_validation_epoch(capsys):
    model = _model(lr=0.5)  # far too large: the loss grows every epoch, so epoch 0 is the best
    seen = []
    keep = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(model.get_weights()))
    stop = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    x = np.array([[1.0, 2.0], [3.0, -1.0], [2.0, 2.0], [-1.0, 1.0], [1.0, 1.0]], "float32")
    y = np.array([[1.0], [2.0], [0.0], [1.0], [3.0]], "float32")
    history = model.fit(x, y, batch_size=2, epochs=10, validation_split=0.2, shuffle=False, callbacks=[keep, stop])
    val_loss = history.history["val_loss"]
    assert val_loss[0] < val_loss[1] < val_loss[2] and len(val_loss) == 3
    for restored, best in zip(model.get_weights(), seen[0]):
        np.testing.assert_array_equal(restored, best)
    assert not np.array_equal(seen[0][0], seen[2][0])
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 1.\n" in out
