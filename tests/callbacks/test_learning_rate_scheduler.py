"""LearningRateScheduler: the rate each epoch gets, what it logs and prints, its errors, and its effect in `fit`."""

import numpy as np
import pytest

import cornu
from cornu.callbacks import LearningRateScheduler
from cornu.layers import Dense


def _model(lr=0.5, optimizer=None):
    model = cornu.models.Sequential([Dense(1, input_shape=(1,), use_bias=False, kernel_initializer="ones")])
    model.compile(optimizer=optimizer or cornu.optimizers.SGD(lr), loss="mse")
    return model


def _drive(callback, model, epochs):
    """Calls the epoch hooks by hand; returns (rate during each epoch, each epoch's logs)."""
    callback.set_model(model)
    rates, logs = [], []
    callback.on_train_begin()
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch)
        rates.append(getattr(model.optimizer, "learning_rate", None))
        epoch_logs = {"loss": 1.0}
        callback.on_epoch_end(epoch, epoch_logs)
        logs.append(epoch_logs)
    return rates, logs


def test_schedule_gets_the_epoch_and_the_current_rate():
    calls = []

    def schedule(epoch, lr):
        calls.append((epoch, lr))
        return lr * 0.5

    rates, logs = _drive(LearningRateScheduler(schedule), _model(lr=0.5), 3)
    assert calls == [(0, 0.5), (1, 0.25), (2, 0.125)]
    assert rates == [0.25, 0.125, 0.0625]
    assert [entry["learning_rate"] for entry in logs] == [0.25, 0.125, 0.0625]
    assert all(entry["loss"] == 1.0 for entry in logs)


def test_the_rate_is_read_in_float32_as_keras_stores_it():
    seen = []
    _drive(LearningRateScheduler(lambda epoch, lr: seen.append(lr) or 0.1), _model(lr=0.1), 2)
    assert seen == [float(np.float32(0.1))] * 2 == [0.10000000149011612] * 2


def test_keras_1_schedule_of_the_epoch_alone():
    rates, logs = _drive(LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1)), _model(), 3)
    assert rates == [0.1, 0.05, 0.1 / 3]
    assert [entry["learning_rate"] for entry in logs] == [float(np.float32(r)) for r in (0.1, 0.05, 0.1 / 3)]


def test_numpy_floats_are_accepted():
    rates, _ = _drive(LearningRateScheduler(lambda epoch, lr: np.float32(0.25)), _model(), 1)
    assert rates == [0.25] and isinstance(rates[0], float)


@pytest.mark.parametrize("bad", [1, "0.1", None])
def test_a_schedule_that_returns_no_float_is_an_error(bad):
    scheduler = LearningRateScheduler(lambda epoch, lr: bad)
    with pytest.raises(ValueError, match=r"must return a float, but at epoch 0 it returned .*return float\(lr"):
        _drive(scheduler, _model(), 1)


def test_schedule_must_be_callable():
    with pytest.raises(TypeError, match=r"schedule=0\.1.*lambda epoch, lr"):
        LearningRateScheduler(0.1)


def test_a_model_without_optimizer_is_an_error():
    model = cornu.models.Sequential([Dense(1, input_shape=(1,))])
    scheduler = LearningRateScheduler(lambda epoch, lr: lr)
    scheduler.set_model(model)
    with pytest.raises(ValueError, match=r"Call model.compile\(optimizer=...\) before fit\(\)"):
        scheduler.on_epoch_begin(0)


def test_verbose_prints_the_rate_at_each_epoch(capsys):
    _drive(LearningRateScheduler(lambda epoch, lr: 0.5 / (epoch + 1), verbose=1), _model(), 2)
    assert capsys.readouterr().out == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.5.\n"
        "\nEpoch 2: LearningRateScheduler setting learning rate to 0.25.\n"
    )


def test_an_optimizer_with_inner_optimizers_gets_each_one_set_and_logged(capsys):
    class Pair:  # the shape of Keras's multi-optimizer: an `optimizers` list of named optimizers
        def __init__(self):
            self.optimizers = [cornu.optimizers.SGD(0.5, name="a"), cornu.optimizers.SGD(0.25, name="b")]

    model = _model()
    model.optimizer = Pair()
    _, logs = _drive(LearningRateScheduler(lambda epoch, lr: lr / 2, verbose=1), model, 1)
    assert [opt.learning_rate for opt in model.optimizer.optimizers] == [0.25, 0.125]
    assert logs[0] == {"loss": 1.0, "learning_rate_a": 0.25, "learning_rate_b": 0.125}
    assert capsys.readouterr().out == (
        "\nEpoch 1: LearningRateScheduler setting a learning rate to 0.25.\n"
        "\nEpoch 1: LearningRateScheduler setting b learning rate to 0.125.\n"
    )


def test_fit_trains_with_the_scheduled_rates():
    # One sample x=1, y=0, w=1, mse: the gradient is 2w, so each epoch multiplies w by (1 - 2 lr).
    rates = [0.1, 0.2, 0.05]
    model = _model()
    scheduler = LearningRateScheduler(lambda epoch, lr: rates[epoch])
    history = model.fit(np.ones((1, 1)), np.zeros((1, 1)), epochs=3, callbacks=[scheduler], verbose=0)
    expected = np.prod([1 - 2 * r for r in rates])
    np.testing.assert_allclose(model.get_weights()[0], [[expected]], rtol=1e-6)
    assert history.history["learning_rate"] == [float(np.float32(r)) for r in rates]
    np.testing.assert_allclose(history.history["loss"], [1.0, 0.8**2, (0.8 * 0.6) ** 2], rtol=1e-6)


def test_a_type_error_inside_a_two_argument_schedule_is_not_hidden():
    # Deliberate difference: Keras catches any TypeError from schedule(epoch, lr) and retries schedule(epoch),
    # which hides the real error behind "missing 1 required positional argument". cornu reads the signature instead.
    def schedule(epoch, lr):
        return lr + "0.1"

    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \+: 'float' and 'str'"):
        _drive(LearningRateScheduler(schedule), _model(), 1)
