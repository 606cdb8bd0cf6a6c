"""The training loop reads nothing back from the device per step: host syncs do not grow with the step count."""

import numpy as np
import pytest
import torch

import cornu
from cornu.layers import Dense, Dropout

_SYNCS = ("item", "__bool__", "cpu", "numpy", "tolist", "__float__", "__int__")


@pytest.fixture
def syncs(monkeypatch):
    counts = {}
    for name in _SYNCS:
        original = getattr(torch.Tensor, name)

        def counting(self, *args, _name=name, _original=original, **kwargs):
            counts[_name] = counts.get(_name, 0) + 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counting)
    return counts


def _run(samples, syncs, capsys, **fit_options):
    cornu.utils.set_random_seed(0)
    model = cornu.Sequential(
        [Dense(8, activation="relu", input_shape=(4,)), Dropout(0.2), Dense(3, activation="softmax")]
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", "sparse_top_k_categorical_accuracy"],
    )
    x = np.random.default_rng(0).normal(size=(samples, 4)).astype("float32")
    y = np.arange(samples) % 3
    syncs.clear()
    model.fit(x, y, batch_size=4, epochs=2, validation_split=0.25, **fit_options)
    model.evaluate(x, y, batch_size=4, verbose=0)
    model.predict(x, batch_size=4, verbose=0)
    capsys.readouterr()
    return dict(syncs)


@pytest.mark.parametrize(
    "options",
    [{"verbose": 0}, {"verbose": 1}, {"verbose": 2}, {"verbose": 0, "class_weight": {0: 2.0}}],
    ids=["silent", "progress-bar", "epoch-lines", "class-weight"],
)
def test_host_syncs_do_not_grow_with_steps(syncs, capsys, options):
    few = _run(16, syncs, capsys, **options)
    many = _run(160, syncs, capsys, **options)  # ten times the steps
    assert few == many
    assert sum(few.values()) < 40  # a handful per epoch (epoch logs) and at the edges (data checks)
