"""cornu.activations against float64 NumPy closed forms, plus get/serialize/deserialize and their errors."""

import math

import numpy as np
import pytest
import torch

from cornu import activations

GRID = np.array([-50.0, -10.0, -3.0, -2.5, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.5, 3.0, 10.0, 50.0])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _erf(x):
    return np.vectorize(math.erf)(x)


def _relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    # Keras's definition: kept above `threshold` (capped to [0, max_value]), damped linearly below it.
    positive = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        positive = np.clip(positive, 0.0, max_value)
    return positive - negative_slope * np.maximum(threshold - x, 0.0)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sparsemax(row):
    # Projection onto the simplex (Martins & Astudillo, 2016), one row at a time.
    z = np.sort(row)[::-1]
    k = np.arange(1, len(z) + 1)
    support = z - (np.cumsum(z) - 1) / k > 0
    size = k[support][-1]
    tau = (np.cumsum(z)[size - 1] - 1) / size
    return np.maximum(row - tau, 0.0)


ELEMENTWISE = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": _relu,
    "softplus": lambda x: np.logaddexp(0.0, x),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "hard_silu": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "hard_swish": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "linear": lambda x: x,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
    "celu": lambda x: np.maximum(x, 0.0) + np.minimum(0.0, np.expm1(np.minimum(x, 0.0))),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "exponential": np.exp,
    "mish": lambda x: x * np.tanh(np.logaddexp(0.0, x)),
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "sparse_sigmoid": lambda x: np.clip((x + 1.0) / 2.0, 0.0, 1.0),
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x < 1, (x + 1.0) ** 2 / 4.0, x)),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4.0)) / 2.0,
    "log_sigmoid": lambda x: -np.logaddexp(0.0, -x),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_matches_float64_reference(name):
    fn, ref = activations.get(name), ELEMENTWISE[name]
    expected = ref(GRID)
    np.testing.assert_allclose(fn(torch.tensor(GRID)).numpy(), expected, rtol=1e-12, atol=1e-12)
    ours32 = fn(torch.tensor(GRID, dtype=torch.float32))
    assert ours32.dtype == torch.float32
    np.testing.assert_allclose(ours32.numpy(), expected, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"negative_slope": 0.1},
        {"max_value": 6.0},
        {"max_value": 2.5},
        {"threshold": 1.0},
        {"threshold": -1.0},
        {"negative_slope": 0.1, "max_value": 5.0, "threshold": 1.0},
        {"negative_slope": 0.3, "threshold": -0.5},
        {"negative_slope": 0.3, "max_value": 6},
    ],
)
def test_relu_arguments(kwargs):
    np.testing.assert_allclose(activations.relu(torch.tensor(GRID), **kwargs).numpy(), _relu(GRID, **kwargs))


def test_parameterized_activations():
    x = torch.tensor(GRID)
    np.testing.assert_allclose(activations.elu(x, alpha=0.5).numpy(), np.where(GRID > 0, GRID, 0.5 * np.expm1(GRID)))
    celu2 = np.maximum(GRID, 0.0) + np.minimum(0.0, 2.0 * np.expm1(GRID / 2.0))
    np.testing.assert_allclose(activations.celu(x, alpha=2.0).numpy(), celu2, atol=1e-15)
    np.testing.assert_allclose(
        activations.leaky_relu(x, negative_slope=0.01).numpy(), np.where(GRID > 0, GRID, 0.01 * GRID)
    )
    tanh_gelu = 0.5 * GRID * (1 + np.tanh(math.sqrt(2 / math.pi) * (GRID + 0.044715 * GRID**3)))
    np.testing.assert_allclose(activations.gelu(x, approximate=True).numpy(), tanh_gelu, atol=1e-12)
    np.testing.assert_allclose(activations.threshold(x, 1.0, -7.0).numpy(), np.where(GRID > 1.0, GRID, -7.0))
    np.testing.assert_allclose(activations.squareplus(x, b=1).numpy(), (GRID + np.sqrt(GRID**2 + 1)) / 2)
    np.testing.assert_allclose(activations.hard_shrink(x, 2.0).numpy(), np.where(np.abs(GRID) > 2, GRID, 0.0))


def test_hard_sigmoid_is_keras3_definition_not_keras2():
    # Keras 3: x/6 + 0.5 clipped to [0, 1]; Keras 2 had 0.2x + 0.5, which gives 0.9 at x=2 instead of 5/6.
    out = activations.hard_sigmoid(torch.tensor([-3.0, 2.0, 3.0], dtype=torch.float64))
    np.testing.assert_allclose(out.numpy(), [0.0, 5.0 / 6.0, 1.0])


def test_softmax_and_log_softmax_over_axes():
    x = np.random.default_rng(0).normal(size=(2, 3, 4)) * 5
    t = torch.tensor(x)
    for axis in (-1, 0, 1):
        np.testing.assert_allclose(activations.softmax(t, axis=axis).numpy(), _softmax(x, axis))
        np.testing.assert_allclose(activations.log_softmax(t, axis=axis).numpy(), np.log(_softmax(x, axis)))
    np.testing.assert_allclose(activations.softmax(t, axis=(1, 2)).numpy(), _softmax(x, (1, 2)))
    np.testing.assert_allclose(activations.log_softmax(t, axis=(0, 2)).numpy(), np.log(_softmax(x, (0, 2))))
    np.testing.assert_allclose(activations.softmax(t, axis=None).numpy(), _softmax(x, None))
    big = torch.tensor([1000.0, 0.0])  # stays finite: no overflow for large logits
    np.testing.assert_allclose(activations.softmax(big).numpy(), [1.0, 0.0])


def test_softmax_and_sigmoid_keep_their_logits_as_keras_does():
    x = torch.tensor([[0.5, -1.0]])
    assert activations.softmax(x)._keras_logits is x
    assert activations.sigmoid(x)._keras_logits is x


def test_glu_and_sparsemax():
    x = np.random.default_rng(1).normal(size=(3, 6)) * 2
    t = torch.tensor(x)
    np.testing.assert_allclose(activations.glu(t).numpy(), x[:, :3] * _sigmoid(x[:, 3:]))
    out = activations.sparsemax(t).numpy()
    np.testing.assert_allclose(out, np.stack([_sparsemax(row) for row in x]), atol=1e-12)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0)
    np.testing.assert_allclose(activations.sparsemax(t.T, axis=0).numpy(), out.T, atol=1e-12)


def test_sparsemax_follows_the_paper_where_keras_3_15_differs():
    """Deliberate difference: Keras 3.15 sums the cumulative sums over the whole support when it computes the
    threshold, so for [1.0, 0.8] it returns [0.1, 0.0]; the projection onto the simplex is [0.6, 0.4]."""
    out = activations.sparsemax(torch.tensor([1.0, 0.8], dtype=torch.float64))
    np.testing.assert_allclose(out.numpy(), [0.6, 0.4])


def test_arrays_are_accepted_and_dtypes_kept():
    out = activations.relu(np.array([-1.0, 2.0], dtype=np.float32))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.tolist() == [0.0, 2.0]
    assert activations.tanh(torch.zeros(2, dtype=torch.float64)).dtype == torch.float64
    assert activations.gelu(torch.zeros(2, dtype=torch.bfloat16)).dtype == torch.bfloat16


def test_gradients_flow():
    x = torch.tensor([-1.0, 2.0], requires_grad=True)
    activations.silu(x).sum().backward()
    s = _sigmoid(np.array([-1.0, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), s * (1 + np.array([-1.0, 2.0]) * (1 - s)), rtol=1e-6)


def test_get_resolves_none_names_aliases_and_callables():
    assert activations.get(None) is activations.linear
    assert activations.get("swish") is activations.silu is activations.swish
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.get("ReLU") is activations.relu  # case-insensitive fallback

    def custom(x):
        return x * 2

    assert activations.get(custom) is custom
    assert activations.get({"class_name": "function", "config": "tanh"}) is activations.tanh


def test_get_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match="Unknown activation: 'rleu'. Did you mean 'relu'"):
        activations.get("rleu")
    with pytest.raises(ValueError, match="Could not interpret activation function identifier: 3"):
        activations.get(3)


def test_serialize_round_trip_and_canonical_names():
    for name in activations._TABLE:
        fn = activations.get(name)
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"
    with pytest.raises(ValueError, match="not one of cornu's built-in activations"):
        activations.serialize(lambda x: x)


def test_deserialize_custom_objects():
    def double(x):
        return 2 * x

    assert activations.deserialize("double", custom_objects={"double": double}) is double
    with pytest.raises(ValueError, match="names no function"):
        activations.deserialize({"module": "keras.activations"})


@pytest.mark.parametrize("name", sorted(activations._TABLE))
def test_activations_never_read_tensor_values(name):
    # A meta tensor has a shape but no data: any host sync (.item(), a branch on a value) would raise here.
    x = torch.empty(4, 6, device="meta")
    out = activations.get(name)(x, 0.0, 1.0) if name == "threshold" else activations.get(name)(x)
    assert out.device.type == "meta"
    assert out.shape == ((4, 3) if name == "glu" else (4, 6))
