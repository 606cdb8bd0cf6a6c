"""fit/evaluate flush subnormal floats to zero while they run (as XLA does), and leave the process as it was."""

import numpy as np
import pytest
import torch

import cornu
from cornu.callbacks import LambdaCallback

SUBNORMAL = 1e-39  # below float32's smallest normal number, 1.18e-38


def _product():
    return float(torch.tensor([SUBNORMAL]) * 1.0)


@pytest.mark.parametrize("flush", [True, False])
def test_fit_flushes_subnormals_only_while_it_runs(flush):
    cornu.backend.set_flush_denormal(flush)
    try:
        seen = []
        model = cornu.Sequential([cornu.layers.Dense(1, input_shape=(2,))])
        model.compile(optimizer="adam", loss="mse")
        callback = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(_product()))
        model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, batch_size=2, verbose=0, callbacks=[callback])
        assert seen == ([0.0, 0.0] if flush else [pytest.approx(SUBNORMAL, rel=1e-2)] * 2)
        assert _product() == pytest.approx(SUBNORMAL, rel=1e-2)  # back to normal after fit
    finally:
        cornu.backend.set_flush_denormal(True)
