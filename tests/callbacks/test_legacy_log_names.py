"""Keras 2.0-2.2 reported accuracy as `acc`: old code reading history.history['acc'] or logs.get('acc') still works."""

import numpy as np
import pytest

import cornu
from cornu.callbacks import LambdaCallback
from cornu.callbacks.logs import Logs


def test_acc_answers_for_accuracy_in_history_and_epoch_logs():
    model = cornu.Sequential([cornu.layers.Dense(2, input_shape=(3,), activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    seen = []
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((logs.get("acc"), logs["val_acc"])))
    x, y = np.random.default_rng(0).normal(size=(8, 3)), np.eye(2)[[0, 1] * 4]
    history = model.fit(x, y, epochs=2, verbose=0, validation_split=0.5, callbacks=[callback])
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]  # Keras 3's names listed
    assert history.history["acc"] == history.history["accuracy"]
    assert history.history["val_acc"] == history.history["val_accuracy"]
    assert seen == list(zip(history.history["accuracy"], history.history["val_accuracy"]))


def test_other_missing_keys_still_fail_and_modern_acc_answers_for_accuracy():
    logs = Logs(acc=0.5)
    assert logs["accuracy"] == 0.5 and logs.get("val_accuracy") is None
    with pytest.raises(KeyError):
        logs["precision"]
