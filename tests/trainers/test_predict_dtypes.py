"""predict's one-batch fast path converts inputs exactly as the batched path does (floatx for floats and booleans)."""

import numpy as np
import pytest
import torch

import cornu


@pytest.mark.parametrize(
    "x", [np.array([[True, False, True]]), torch.tensor([[1.0, 0.0, 1.0]], dtype=torch.float64)], ids=["bool", "f64"]
)
def test_one_batch_and_batched_predict_agree_on_input_dtypes(x):
    model = cornu.Sequential([cornu.layers.Dense(2, input_shape=(3,), kernel_initializer="ones")])
    fast = model.predict(x, verbose=0)  # one batch: the fast path
    batched = model.predict(x, batch_size=1, steps=1, verbose=0, callbacks=[cornu.callbacks.Callback()])
    assert fast.dtype == np.float32
    np.testing.assert_array_equal(fast, [[2.0, 2.0]])
    np.testing.assert_array_equal(fast, batched)
