"""LambdaCallback: every hook keyword is called in order, with the right arguments, by fit, evaluate and predict."""

import numpy as np
import pytest

import cornu
from cornu.callbacks import Callback, LambdaCallback
from cornu.layers import Dense


def _model():
    model = cornu.models.Sequential([Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_fit_calls_every_training_hook_with_its_arguments():
    events = []
    record = LambdaCallback(
        on_train_begin=lambda logs: events.append(("train_begin", dict(logs))),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
        on_train_batch_begin=lambda batch, logs: events.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: events.append(("batch_end", batch, sorted(logs))),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: events.append(("train_end", sorted(logs))),
    )
    _model().fit(np.ones((4, 1)), np.ones((4, 1)), batch_size=2, epochs=2, callbacks=[record], verbose=0)
    epoch = lambda e: [
        ("epoch_begin", e),
        ("batch_begin", 0),
        ("batch_end", 0, ["loss"]),
        ("batch_begin", 1),
        ("batch_end", 1, ["loss"]),
        ("epoch_end", e, ["loss"]),
    ]
    assert events == [("train_begin", {})] + epoch(0) + epoch(1) + [("train_end", ["loss"])]


def test_keras_2_batch_hooks_and_evaluate_predict_hooks_by_keyword():
    events = []
    record = LambdaCallback(
        on_batch_end=lambda batch, logs: events.append(("batch_end", batch)),
        on_test_begin=lambda logs: events.append("test_begin"),
        on_test_batch_end=lambda batch, logs: events.append(("test_batch_end", batch)),
        on_test_end=lambda logs: events.append(("test_end", sorted(logs))),
        on_predict_batch_end=lambda batch, logs: events.append(("predict_batch_end", batch, logs["outputs"].shape)),
        on_predict_end=lambda logs: events.append("predict_end"),
    )
    model = _model()
    x, y = np.ones((3, 1)), np.ones((3, 1))
    model.fit(x, y, batch_size=2, callbacks=[record], verbose=0)
    assert events == [("batch_end", 0), ("batch_end", 1)]
    events.clear()
    model.evaluate(x, y, batch_size=2, callbacks=[record], verbose=0)
    assert events == ["test_begin", ("test_batch_end", 0), ("test_batch_end", 1), ("test_end", ["loss"])]
    events.clear()
    model.predict(x, batch_size=2, callbacks=[record], verbose=0)
    assert [e[:2] if isinstance(e, tuple) else e for e in events] == [
        ("predict_batch_end", 0),
        ("predict_batch_end", 1),
        "predict_end",
    ]
    assert tuple(events[0][2]) == (2, 1)


def test_the_functions_are_the_hooks_and_the_rest_do_nothing():
    on_epoch_end = lambda epoch, logs: None
    callback = LambdaCallback(on_epoch_end=on_epoch_end)
    assert callback.on_epoch_end is on_epoch_end
    assert callback.on_epoch_begin(0, {}) is None and callback.on_train_batch_end(0, {}) is None
    assert isinstance(callback, Callback)


def test_a_name_that_is_no_hook_is_refused_with_a_suggestion():
    # Deliberate difference: Keras stores any keyword as an attribute, so a misspelt hook is never called.
    with pytest.raises(TypeError, match=r"'on_epoch_ends' \(did you mean 'on_epoch_end'\?\), which is not a callback"):
        LambdaCallback(on_epoch_ends=print)
