"""Dense's fast paths give the same numbers as the plain formula: one-row products on one thread, relu in place,
weights read without the attribute machinery (mixed-precision copies and an absent bias included)."""

import numpy as np
import pytest
import torch

import cornu
from cornu.layers import Dense, core


def _float64_dense(x, layer):
    kernel, bias = (w.astype(np.float64) for w in layer.get_weights())
    return x.astype(np.float64) @ kernel + bias


@pytest.mark.parametrize("units", [10, 500])  # 5,000 weights take the one-thread path, 250,000 do not
def test_one_row_matches_float64_and_leaves_the_thread_count_as_it_was(rng, units):
    layer = Dense(units)
    x = rng.standard_normal((1, 500)).astype(np.float32)
    layer.build((None, 500))
    threads = torch.get_num_threads()
    np.testing.assert_allclose(layer(x).detach().numpy(), _float64_dense(x, layer), rtol=1e-5, atol=1e-5)
    assert torch.get_num_threads() == threads


def test_one_row_on_one_thread_restores_the_thread_count_when_the_product_fails():
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with pytest.raises(RuntimeError):
            core._one_row_on_one_thread(torch.ones(1, 3), torch.ones(4, 2), None)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


def test_one_row_and_batched_rows_agree(rng):
    layer = Dense(7)
    x = rng.standard_normal((5, 30)).astype(np.float32)
    batched = layer(x).detach().numpy()
    rows = np.concatenate([layer(x[i : i + 1]).detach().numpy() for i in range(5)])
    np.testing.assert_allclose(rows, batched, rtol=1e-6, atol=1e-6)


def test_relu_in_place_keeps_the_gradients_of_the_formula(rng):
    layer = Dense(6, activation="relu")
    x = torch.tensor(rng.standard_normal((8, 4)), dtype=torch.float32)
    layer(x).sum().backward()
    kernel, bias = layer.kernel.detach().double(), layer.bias.detach().double()
    active = (x.double() @ kernel + bias > 0).double()
    np.testing.assert_allclose(layer.kernel.grad.numpy(), (x.double().T @ active).numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer.bias.grad.numpy(), active.sum(0).numpy(), rtol=1e-6)


def test_weights_without_a_bias_and_under_a_mixed_policy(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    plain = Dense(2, use_bias=False)
    np.testing.assert_allclose(plain(x).detach().numpy(), x @ plain.get_weights()[0], rtol=1e-6)
    mixed = Dense(2, dtype="mixed_bfloat16")
    output = mixed(x)
    assert output.dtype == torch.bfloat16  # the kernel was read as the call's bfloat16 copy, not the float32 weight
    assert mixed.kernel.dtype == torch.float32
    expected = _float64_dense(x, mixed)
    np.testing.assert_allclose(output.float().detach().numpy(), expected, rtol=2e-2, atol=2e-2)


def test_model_predict_of_one_sample_matches_the_batch(rng):
    model = cornu.models.Sequential([cornu.Input((20,)), Dense(30, activation="relu"), Dense(4, activation="softmax")])
    x = rng.standard_normal((3, 20)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x[:1], verbose=0), model.predict(x, verbose=0)[:1], rtol=1e-6)
