"""predict's one-batch path calls the model's `call` itself: it must see what `model(x, training=False)` sees."""

import numpy as np
import torch

import cornu
from cornu import layers


class Probe(cornu.Model):
    """A subclassed model that records the `training` flag its layers and itself are given."""

    def __init__(self):
        super().__init__()
        self.dense, self.dropout, self.seen = layers.Dense(2, kernel_initializer="ones"), layers.Dropout(0.5), []

    def call(self, inputs, training=None):
        self.seen.append(training)
        return self.dropout(self.dense(inputs))


def test_subclassed_model_gets_training_false_and_its_dropout_stays_off():
    model = Probe()
    x = np.ones((3, 4), "float32")
    for _ in range(3):
        np.testing.assert_array_equal(model.predict(x, verbose=0), np.full((3, 2), 4.0))
    assert model.seen[-3:] == [False, False, False]


def test_hooks_on_the_model_still_fire_in_predict():
    model = cornu.Sequential([cornu.Input((3,)), layers.Dense(2)])
    calls = []
    handle = model.register_forward_hook(lambda module, args, output: calls.append(tuple(output.shape)))
    model.predict(np.ones((1, 3), "float32"), verbose=0)
    handle.remove()
    model.predict(np.ones((1, 3), "float32"), verbose=0)
    assert calls == [(1, 2)]


def test_predict_equals_the_model_call_on_the_same_tensor(rng):
    model = cornu.Sequential(
        [cornu.Input((5,)), layers.Dense(4, activation="relu"), layers.Dense(3, activation="softmax")]
    )
    x = rng.normal(size=(2, 5)).astype("float32")
    with torch.no_grad():
        expected = model(torch.from_numpy(x), training=False).numpy()
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
