"""ReduceLROnPlateau: the rate after each handcrafted epoch, cooldown, min_lr, logs, messages, errors, `fit`."""

import warnings

import numpy as np
import pytest

import cornu
from cornu.callbacks import ReduceLROnPlateau
from cornu.layers import Dense
from cornu.legacy.translate import reset_warnings


def _model(lr=1.0):
    model = cornu.models.Sequential([Dense(1, input_shape=(1,), use_bias=False)])
    model.compile(optimizer=cornu.optimizers.SGD(lr), loss="mse", metrics=["accuracy"])
    return model


def _drive(callback, values, key="val_loss", model=None):
    """Feeds `{key: value}` epoch logs; returns (rate after each epoch, logged learning_rate of each epoch)."""
    model = model or _model()
    callback.set_model(model)
    callback.on_train_begin()
    rates, logged = [], []
    for epoch, value in enumerate(values):
        logs = {key: value}
        callback.on_epoch_end(epoch, logs)
        rates.append(model.optimizer.learning_rate)
        logged.append(logs["learning_rate"])
    return rates, logged


def test_reduces_after_patience_epochs_without_improvement():
    rates, logged = _drive(ReduceLROnPlateau(factor=0.5, patience=2), [1.0, 1.0, 1.0, 0.5, 0.6, 0.7, 0.8])
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert logged == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]  # the rate in force during the epoch


def test_min_delta_defaults_to_1e_4():
    rates, _ = _drive(ReduceLROnPlateau(factor=0.5, patience=1), [1.0, 0.99995, 0.9998])
    assert rates == [1.0, 0.5, 0.5]  # 5e-5 lower is no improvement; 1.5e-4 lower is


def test_cooldown_pauses_the_count_after_a_reduction():
    callback = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)
    rates, _ = _drive(callback, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    # Keras's count: reduce at epoch 1 (counter = 2); epoch 2 drops it to 1 and is skipped; epoch 3 drops it to 0,
    # which ends the cooldown within the same epoch, so epoch 3 counts and reduces again.
    assert rates == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert (callback.cooldown_counter, callback.wait, callback.in_cooldown()) == (2, 0, True)


def test_min_lr_is_a_floor_and_a_rate_at_the_floor_is_left_alone(capsys):
    callback = ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05, verbose=1)
    rates, _ = _drive(callback, [1.0, 1.0, 1.0, 1.0])
    assert rates == [1.0, 0.1, 0.05, 0.05]
    assert capsys.readouterr().out == (
        "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.1.\n"
        "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.05.\n"
    )
    assert callback.wait == 1  # no reduction at the floor: the count is not reset


def test_reduction_starts_from_the_float32_rate_as_in_keras(capsys):
    _drive(ReduceLROnPlateau(factor=0.5, patience=1, verbose=1), [1.0, 1.0], model=_model(lr=0.1))
    assert capsys.readouterr().out == "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.05000000074505806.\n"


def test_max_mode_and_auto_mode_from_the_compiled_metric():
    model = _model()
    model.fit(np.ones((2, 1)), np.ones((2, 1)), verbose=0)  # builds the compiled metrics
    auto, _ = _drive(ReduceLROnPlateau("val_accuracy", factor=0.5, patience=1), [0.5, 0.6, 0.55], "val_accuracy", model)
    assert auto == [1.0, 1.0, 0.5]
    model.optimizer.learning_rate = 1.0
    explicit, _ = _drive(ReduceLROnPlateau("score", factor=0.5, patience=1, mode="max"), [0.5, 0.6, 0.55], "score")
    assert explicit == auto


def test_auto_mode_refuses_a_quantity_of_unknown_direction():
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau cannot tell.*monitor='score'.*Pass `mode='max'`"):
        _drive(ReduceLROnPlateau("score"), [1.0], "score")


def test_missing_monitor_warns_and_still_logs_the_rate():
    callback = ReduceLROnPlateau(patience=0)
    callback.set_model(_model(lr=0.5))
    logs = {"loss": 1.0}
    with pytest.warns(UserWarning) as record:
        callback.on_epoch_end(0, logs)
    assert str(record[0].message) == (
        "Learning rate reduction is conditioned on metric `val_loss` which is not available. "
        "Available metrics are: loss,learning_rate."
    )
    assert logs == {"loss": 1.0, "learning_rate": 0.5}
    assert callback.model.optimizer.learning_rate == 0.5


def test_factor_of_one_or_more_is_refused():
    with pytest.raises(ValueError, match=r"`factor` must be below 1\.0\. Received factor=1\.0"):
        ReduceLROnPlateau(factor=1.0)


def test_keras_2_epsilon_is_min_delta_with_a_deprecation_warning():
    reset_warnings()  # the legacy warnings come once per process
    with pytest.warns(
        DeprecationWarning, match=r"^`epsilon` is the Keras 2 name of `min_delta`; write `min_delta=0\.5`\.$"
    ):
        callback = ReduceLROnPlateau(epsilon=0.5)
    assert callback.min_delta == 0.5


def test_other_unknown_keywords_are_refused():
    # Deliberate difference: Keras 3 accepts and ignores any keyword, so a typo silently keeps the default.
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['patiense'\]"):
        ReduceLROnPlateau(patiense=3)


def test_unknown_mode_warns_and_falls_back_to_auto():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        callback = ReduceLROnPlateau(mode="lowest")
    assert [str(w.message) for w in record] == ["ReduceLROnPlateau mode 'lowest' is unknown, fallback to auto mode."]
    assert callback.mode == "auto"


def test_fit_halves_the_rate_on_a_plateau():
    # x = 0 and no bias: the gradient is zero, so the loss never moves and every epoch after the first is a plateau.
    model = _model(lr=0.1)
    callback = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    history = model.fit(np.zeros((4, 1)), np.ones((4, 1)), epochs=4, callbacks=[callback], verbose=0)
    f32 = lambda value: float(np.float32(value))
    assert history.history["learning_rate"] == [f32(0.1), f32(0.1), f32(f32(0.1) / 2), f32(f32(f32(0.1) / 2) / 2)]
    assert history.history["loss"] == [1.0] * 4
    assert model.optimizer.learning_rate == f32(f32(f32(0.1) / 2) / 2) / 2
