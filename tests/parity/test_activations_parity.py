"""cornu.activations against the real Keras 3 on the same float32 inputs (rtol 1e-5)."""

import numpy as np
import pytest
import torch

from cornu import activations

keras = pytest.importorskip("keras")

GRID = np.array(
    [-50.0, -10.0, -3.0, -2.5, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.5, 3.0, 10.0, 50.0], dtype="float32"
)
KERAS_NAMES = sorted(keras.src.activations.ALL_OBJECTS_DICT)
# Keras's sparsemax differs on purpose (see test_sparsemax_differs_from_keras); threshold has no defaults.
COMPARED = [name for name in KERAS_NAMES if name not in ("sparsemax", "threshold")]


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _ours(fn, x, **kwargs):
    return fn(torch.from_numpy(x), **kwargs).detach().numpy()


def test_every_keras_activation_name_is_known():
    assert set(KERAS_NAMES) <= set(activations._TABLE)


@pytest.mark.parametrize("name", COMPARED)
def test_activation_matches_keras(name):
    x = GRID.reshape(3, 5) if name != "glu" else GRID[:14].reshape(7, 2)
    expected = _numpy(keras.activations.get(name)(x))
    np.testing.assert_allclose(_ours(activations.get(name), x), expected, rtol=1e-5, atol=1e-7)


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
def test_relu_arguments_match_keras(kwargs):
    expected = _numpy(keras.activations.relu(GRID, **kwargs))
    np.testing.assert_allclose(_ours(activations.relu, GRID, **kwargs), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("elu", {"alpha": 0.5}),
        ("celu", {"alpha": 2.0}),
        ("leaky_relu", {"negative_slope": 0.01}),
        ("gelu", {"approximate": True}),
        ("gelu", {"approximate": False}),
        ("hard_shrink", {"threshold": 1.0}),
        ("soft_shrink", {"threshold": 1.0}),
        ("squareplus", {"b": 1}),
        ("threshold", {"threshold": 0.5, "default_value": -2.0}),
    ],
)
def test_arguments_match_keras(name, kwargs):
    expected = _numpy(getattr(keras.activations, name)(GRID, **kwargs))
    np.testing.assert_allclose(_ours(getattr(activations, name), GRID, **kwargs), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [-1, 0, 1, (1, 2)])
def test_softmax_axes_match_keras(name, axis):
    x = (np.random.default_rng(0).normal(size=(2, 3, 4)) * 4).astype("float32")
    expected = _numpy(getattr(keras.activations, name)(x, axis=axis))
    np.testing.assert_allclose(_ours(getattr(activations, name), x, axis=axis), expected, rtol=1e-5, atol=1e-7)


def test_sparsemax_agrees_with_keras_when_one_entry_survives():
    x = np.array([[3.0, 0.0, -1.0], [0.0, 2.0, 0.5]], dtype="float32")
    np.testing.assert_allclose(_ours(activations.sparsemax, x), _numpy(keras.activations.sparsemax(x)), rtol=1e-5)


def test_sparsemax_differs_from_keras():
    """Deliberate difference: Keras 3.15's sparsemax threshold sums the cumulative sums over the support, so its
    outputs do not sum to 1 once two entries survive; cornu computes the simplex projection of the paper."""
    x = np.array([[1.0, 0.8, 0.1]], dtype="float32")
    np.testing.assert_allclose(_numpy(keras.activations.sparsemax(x)), [[0.1, 0.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(_ours(activations.sparsemax, x), [[0.6, 0.4, 0.0]], atol=1e-6)


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_serialize_matches_keras(name):
    assert activations.serialize(activations.get(name)) == keras.activations.serialize(keras.activations.get(name))


def test_keras_serialized_activation_config_deserializes():
    config = keras.saving.serialize_keras_object(keras.activations.relu)
    assert activations.deserialize(config) is activations.relu
