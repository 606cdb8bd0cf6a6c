"""ReLU, LeakyReLU, PReLU, ELU and Softmax layers against float64 closed forms; PReLU's weight and gradient;
configs and argument errors."""

import numpy as np
import pytest
import torch

import cornu
from cornu.layers import ELU, LeakyReLU, PReLU, ReLU, Softmax

X = np.array([[-3.0, -0.5, 0.0, 0.25, 2.0, 9.0]])


def _run(layer, x=X):
    return layer(torch.tensor(x, dtype=torch.float64)).detach().numpy()


def test_relu_closed_form():
    np.testing.assert_array_equal(_run(ReLU()), np.maximum(X, 0))
    got = _run(ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5))
    np.testing.assert_allclose(got, np.where(X > 0.5, np.minimum(X, 6.0), 0.1 * (X - 0.5)), rtol=1e-12)


def test_leaky_relu_default_slope_is_keras_3s():
    np.testing.assert_allclose(_run(LeakyReLU()), np.where(X > 0, X, 0.3 * X), rtol=1e-12)
    np.testing.assert_allclose(_run(LeakyReLU(0.01)), np.where(X > 0, X, 0.01 * X), rtol=1e-12)


def test_leaky_relu_accepts_keras_2_alpha_with_a_warning():
    cornu.legacy.reset_warnings()  # the legacy table translates alpha, warning once per process
    with pytest.warns(DeprecationWarning, match="negative_slope=0.1"):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1 and "alpha" not in layer.get_config()


def test_elu_closed_form():
    np.testing.assert_allclose(_run(ELU(alpha=0.5)), np.where(X > 0, X, 0.5 * np.expm1(X)), rtol=1e-12)


def test_softmax_axes_and_mask():
    x = np.arange(12.0).reshape(1, 3, 4) / 5
    e = np.exp(x)
    np.testing.assert_allclose(_run(Softmax(), x), e / e.sum(-1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(_run(Softmax(axis=1), x), e / e.sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(_run(Softmax(axis=[1, 2]), x), e / e.sum((1, 2), keepdims=True), rtol=1e-12)
    mask = np.array([[[1, 1, 0, 1]] * 3])
    out = Softmax()(torch.tensor(x), mask=torch.tensor(mask)).numpy()
    masked = e * mask
    np.testing.assert_allclose(out, masked / masked.sum(-1, keepdims=True), rtol=1e-12)


def test_prelu_weight_shape_shared_axes_and_gradient():
    layer = PReLU(shared_axes=[1, 2])
    x = torch.tensor(np.linspace(-2, 2, 24).reshape(1, 2, 3, 4), requires_grad=True, dtype=torch.float32)
    layer(x)
    assert layer.get_weights()[0].shape == (1, 1, 4) and not layer.get_weights()[0].any()  # "Zeros" init
    layer.set_weights([np.array([[[0.1, 0.2, 0.3, 0.4]]], dtype="float32")])
    out = layer(x)
    xn = x.detach().numpy()
    alpha = np.array([0.1, 0.2, 0.3, 0.4]).reshape(1, 1, 1, 4)
    np.testing.assert_allclose(out.detach().numpy(), np.where(xn > 0, xn, alpha * xn), rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(layer.alpha.grad.numpy().ravel(), np.minimum(xn, 0).sum(axis=(0, 1, 2)), rtol=1e-5)
    assert PReLU(shared_axes=2).shared_axes == [2]


def test_configs_round_trip():
    for layer in (
        ReLU(max_value=2.0, negative_slope=0.1, threshold=0.3),
        LeakyReLU(0.2),
        ELU(alpha=0.7),
        Softmax(axis=[1, 2]),
        PReLU(alpha_initializer="ones", alpha_regularizer="l2", alpha_constraint="non_neg", shared_axes=[1]),
    ):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert ELU(alpha=0.7).get_config()["alpha"] == 0.7
    assert PReLU(shared_axes=[1]).get_config()["alpha_initializer"]["class_name"] == "Zeros"


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: ReLU(max_value=-1.0), "max_value"),
        (lambda: ReLU(negative_slope=-0.1), "negative_slope"),
        (lambda: ReLU(threshold=None), "threshold"),
        (lambda: LeakyReLU(-0.3), "negative_slope=-0.3"),
        (lambda: PReLU(shared_axes=[0]), "counted from 1"),
    ],
)
def test_argument_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_prelu_shared_axis_beyond_the_input_rank():
    with pytest.raises(ValueError, match=r"cannot share axis 3 of inputs of shape \(None, 4\)"):
        PReLU(shared_axes=[3]).build_from_shape((None, 4))
