"""cornu.regularizers and cornu.constraints against the real Keras 3 on the same arrays: values, configs, names."""

import numpy as np
import pytest
import torch

from cornu import constraints, regularizers

keras = pytest.importorskip("keras")
from keras.src.constraints import ALL_OBJECTS_DICT as KERAS_CONSTRAINTS  # noqa: E402
from keras.src.regularizers import ALL_OBJECTS_DICT as KERAS_REGULARIZERS  # noqa: E402

W = (np.random.default_rng(0).normal(size=(5, 4)) * np.array([0.1, 0.5, 2.0, 8.0])).astype("float32")
KERNEL = np.random.default_rng(1).normal(size=(3, 3, 2, 4)).astype("float32")


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


REGULARIZERS = [
    ("L1", {}),
    ("L1", {"l1": 0.3}),
    ("L2", {}),
    ("L2", {"l2": 0.3}),
    ("L1L2", {"l1": 0.1, "l2": 0.2}),
    ("L1L2", {"l2": 0.2}),
    ("L1L2", {}),
    ("OrthogonalRegularizer", {"factor": 0.5}),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"}),
]


@pytest.mark.parametrize("name, kwargs", REGULARIZERS)
def test_regularizer_values_match_keras(name, kwargs):
    # Keras is given a tensor, as a weight is: its NumPy path of OrthogonalRegularizer(mode="columns") fails.
    expected = float(_numpy(getattr(keras.regularizers, name)(**kwargs)(keras.ops.convert_to_tensor(W))))
    ours = getattr(regularizers, name)(**kwargs)(torch.from_numpy(W))
    assert ours.shape == () and ours.dtype == torch.float32
    assert float(ours) == pytest.approx(expected, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("name, kwargs", REGULARIZERS)
def test_regularizer_configs_match_keras(name, kwargs):
    ours, theirs = getattr(regularizers, name)(**kwargs), getattr(keras.regularizers, name)(**kwargs)
    assert ours.get_config().keys() == theirs.get_config().keys()
    # Values agree to float32 precision (see test_factor_config_keeps_the_given_number).
    for key, value in theirs.get_config().items():  # numbers to float32 precision, the rest (e.g. `mode`) exactly
        expected = pytest.approx(value, rel=1e-7) if isinstance(value, float) else value
        assert ours.get_config()[key] == expected, key
    restored = regularizers.deserialize(keras.regularizers.serialize(theirs))
    assert type(restored).__name__ == name
    assert keras.regularizers.deserialize(regularizers.serialize(ours)).get_config().keys() == ours.get_config().keys()


def test_factor_config_keeps_the_given_number():
    """Deliberate difference: Keras stores L1's and OrthogonalRegularizer's factor as a float32 tensor, so their
    configs report 0.009999999776482582 for 0.01; cornu reports 0.01, the number it was given."""
    assert keras.regularizers.L1(0.01).get_config()["l1"] == pytest.approx(0.01, rel=1e-7)
    assert keras.regularizers.L1(0.01).get_config()["l1"] != 0.01
    assert regularizers.L1(0.01).get_config()["l1"] == 0.01
    assert regularizers.OrthogonalRegularizer(0.01).get_config()["factor"] == 0.01


@pytest.mark.parametrize("bad", [-0.1, float("nan"), "0.1"])
def test_invalid_factors_raise_value_error_like_keras(bad):
    with pytest.raises(ValueError, match="l2"):
        keras.regularizers.L2(bad)
    with pytest.raises(ValueError, match="l2"):
        regularizers.L2(bad)


@pytest.mark.parametrize("name", sorted(KERAS_REGULARIZERS))
def test_every_keras_regularizer_name_resolves(name):
    assert type(regularizers.get(name)).__name__ == KERAS_REGULARIZERS[name].__name__


CONSTRAINTS = [
    ("MaxNorm", {}, W),
    ("MaxNorm", {"max_value": 1.0, "axis": 1}, W),
    ("MaxNorm", {"max_value": 0.5, "axis": [0, 1, 2]}, KERNEL),
    ("MinMaxNorm", {}, W),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 3.0, "rate": 0.5}, W),
    ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "rate": 0.3, "axis": [0, 1, 2]}, KERNEL),
    ("NonNeg", {}, W),
    ("UnitNorm", {}, W),
    ("UnitNorm", {"axis": 1}, W),
    ("UnitNorm", {"axis": [0, 1, 2]}, KERNEL),
]


@pytest.mark.parametrize("name, kwargs, w", CONSTRAINTS)
def test_constraint_outputs_match_keras(name, kwargs, w):
    expected = _numpy(getattr(keras.constraints, name)(**kwargs)(keras.ops.convert_to_tensor(w)))
    ours = getattr(constraints, name)(**kwargs)(torch.from_numpy(w))
    assert ours.dtype == torch.float32
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name, kwargs, w", CONSTRAINTS)
def test_constraint_configs_match_keras(name, kwargs, w):
    ours, theirs = getattr(constraints, name)(**kwargs), getattr(keras.constraints, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert constraints.serialize(ours) == keras.constraints.serialize(theirs)
    assert constraints.deserialize(keras.constraints.serialize(theirs)).get_config() == theirs.get_config()


@pytest.mark.parametrize("name", sorted(KERAS_CONSTRAINTS))
def test_every_keras_constraint_name_resolves(name):
    assert type(constraints.get(name)).__name__ == KERAS_CONSTRAINTS[name].__name__


def test_base_classes_match_keras():
    assert constraints.Constraint().get_config() == keras.constraints.Constraint().get_config() == {}
    np.testing.assert_array_equal(constraints.Constraint()(torch.from_numpy(W)).numpy(), W)
    with pytest.raises(NotImplementedError):
        keras.regularizers.Regularizer().get_config()
    with pytest.raises(NotImplementedError):
        regularizers.Regularizer().get_config()
    assert float(regularizers.Regularizer()(torch.from_numpy(W))) == keras.regularizers.Regularizer()(W) == 0.0
