"""TerminateOnNaN: NaN and infinite losses stop training (gracefully, or by raising); finite ones do not."""

import numpy as np
import pytest

import cornu
from cornu.callbacks import LambdaCallback, TerminateOnNaN
from cornu.layers import Dense


def _model():
    model = cornu.models.Sequential([Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("loss", [float("nan"), float("inf"), -float("inf"), np.float32("nan")])
def test_invalid_loss_stops_and_says_at_which_batch(capsys, loss):
    model = _model()
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_batch_end(3, {"loss": loss})
    assert model.stop_training is True
    assert capsys.readouterr().out == "Batch 3: Invalid loss, terminating training\n"


@pytest.mark.parametrize("logs", [{"loss": 1e30}, {"loss": 0.0}, {"accuracy": float("nan")}, {}, None])
def test_finite_or_absent_loss_is_left_alone(capsys, logs):
    model = _model()
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_batch_end(0, logs)
    assert model.stop_training is False
    assert capsys.readouterr().out == ""


def test_raise_error_raises_with_the_batch_and_value():
    callback = TerminateOnNaN(raise_error=True)
    callback.set_model(_model())
    with pytest.raises(RuntimeError, match=r"NaN or Inf loss encountered at batch 5\. Loss value: inf\."):
        callback.on_batch_end(5, {"loss": float("inf")})


def _data_overflowing_in_batch(index, batch_size=2, batches=4):
    # fit refuses NaN in the data, so the bad batch is finite but huge: its squared error overflows float32 to inf
    x = np.ones((batch_size * batches, 1), "float32")
    x[index * batch_size] = 1e30
    return x, np.ones_like(x)


def test_fit_stops_after_the_bad_batch_and_still_ends_the_run(capsys):
    x, y = _data_overflowing_in_batch(2)
    batches, ended = [], []
    spy = LambdaCallback(
        on_train_batch_end=lambda batch, logs: batches.append(batch), on_train_end=lambda logs: ended.append(True)
    )
    history = _model().fit(x, y, batch_size=2, epochs=5, shuffle=False, callbacks=[TerminateOnNaN(), spy], verbose=0)
    assert batches == [0, 1, 2]
    assert ended == [True]
    assert len(history.history["loss"]) == 1 and not np.isfinite(history.history["loss"][0])
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"


def test_fit_with_raise_error_skips_on_train_end():
    x, y = _data_overflowing_in_batch(1)
    ended = []
    spy = LambdaCallback(on_train_end=lambda logs: ended.append(True))
    with pytest.raises(RuntimeError, match="at batch 1"):
        _model().fit(x, y, batch_size=2, shuffle=False, callbacks=[TerminateOnNaN(raise_error=True), spy], verbose=0)
    assert ended == []
