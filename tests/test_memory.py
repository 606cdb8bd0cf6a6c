"""Repeated predict and fit calls on one model keep resident memory flat (nothing accumulates per call)."""

import gc
import os
import sys

import numpy as np
import pytest

import cornu
from cornu.layers import Dense, Dropout

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")


def _rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _model():
    model = cornu.Sequential(
        [Dense(32, activation="relu", input_shape=(16,)), Dropout(0.1), Dense(4, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _steady(run, warmup, repeats):
    """RSS growth (fraction) over `repeats` calls of `run`, measured after `warmup` calls."""
    for _ in range(warmup):
        run()
    gc.collect()
    before = _rss_bytes()
    for _ in range(repeats):
        run()
    gc.collect()
    return (_rss_bytes() - before) / before


def test_predict_thousand_times_keeps_memory_flat():
    model = _model()
    small = np.random.default_rng(0).normal(size=(8, 16)).astype("float32")
    several = np.random.default_rng(1).normal(size=(100, 16)).astype("float32")

    calls = iter(range(10**6))

    def run():  # alternates the one-batch fast path and the batched path
        if next(calls) % 2:
            model.predict(small, verbose=0)
        else:
            model.predict(several, batch_size=32, verbose=0)

    assert _steady(run, warmup=100, repeats=1000) < 0.05


def test_fit_fifty_times_keeps_memory_flat():
    model = _model()
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(64, 16)).astype("float32"), np.eye(4, dtype="float32")[rng.integers(0, 4, 64)]

    def run():
        model.fit(x, y, batch_size=16, epochs=2, validation_split=0.25, verbose=0)
        model.evaluate(x, y, verbose=0)

    assert _steady(run, warmup=10, repeats=50) < 0.05
    assert model.history.epoch == [0, 1]  # each fit returns a fresh History, not one that grows
