"""cornu.constraints against float64 NumPy projections, plus identifiers and configs."""

import numpy as np
import pytest
import torch

from cornu import backend, constraints

EPS = 1e-7
W = np.random.default_rng(0).normal(size=(4, 3)) * np.array([0.1, 1.0, 5.0])  # column norms ~0.2, ~2, ~10


def _norms(w, axis):
    return np.sqrt(np.square(w).sum(axis=axis, keepdims=True))


def test_max_norm_caps_each_column():
    out = constraints.MaxNorm(max_value=2.0)(torch.tensor(W)).numpy()
    norms = _norms(W, 0)
    np.testing.assert_allclose(out, W * np.clip(norms, 0, 2.0) / (EPS + norms), rtol=1e-12)
    out_norms = _norms(out, 0).ravel()
    assert out_norms[0] == pytest.approx(_norms(W, 0)[0, 0], rel=1e-5)  # small column kept
    np.testing.assert_allclose(out_norms[2], 2.0, rtol=1e-6)  # large column scaled to the cap


def test_max_norm_on_rows_and_conv_kernels():
    out = constraints.MaxNorm(1.0, axis=1)(torch.tensor(W)).numpy()
    norms = _norms(W, 1)
    np.testing.assert_allclose(out, W * np.clip(norms, 0, 1.0) / (EPS + norms), rtol=1e-12)
    kernel = np.random.default_rng(1).normal(size=(3, 3, 2, 4))
    out = constraints.MaxNorm(0.5, axis=[0, 1, 2])(torch.tensor(kernel)).numpy()
    np.testing.assert_allclose(_norms(out, (0, 1, 2)).ravel(), np.full(4, 0.5), rtol=1e-6)


def test_unit_norm():
    out = constraints.UnitNorm()(torch.tensor(W)).numpy()
    np.testing.assert_allclose(out, W / (EPS + _norms(W, 0)), rtol=1e-12)
    np.testing.assert_allclose(_norms(out, 0).ravel(), np.ones(3), rtol=1e-5)


@pytest.mark.parametrize("rate", [1.0, 0.5, 0.0])
def test_min_max_norm(rate):
    out = constraints.MinMaxNorm(min_value=0.5, max_value=3.0, rate=rate)(torch.tensor(W)).numpy()
    norms = _norms(W, 0)
    desired = rate * np.clip(norms, 0.5, 3.0) + (1 - rate) * norms
    np.testing.assert_allclose(out, W * desired / (EPS + norms), rtol=1e-12)
    if rate == 1.0:
        np.testing.assert_allclose(_norms(out, 0).ravel(), [0.5, _norms(W, 0)[0, 1], 3.0], rtol=1e-5)


def test_non_neg_and_base():
    out = constraints.NonNeg()(torch.tensor(W)).numpy()
    np.testing.assert_array_equal(out, np.maximum(W, 0.0))
    w = torch.tensor(W)
    assert constraints.Constraint()(w) is w


def test_epsilon_is_read_at_call_time():
    try:
        backend.set_epsilon(0.5)
        out = constraints.UnitNorm()(torch.tensor([[3.0], [4.0]], dtype=torch.float64)).numpy()
    finally:
        backend.set_epsilon(1e-7)
    np.testing.assert_allclose(out.ravel(), [3.0 / 5.5, 4.0 / 5.5])


def test_arrays_accepted_and_dtype_kept():
    out = constraints.NonNeg()(np.array([-1.0, 1.0], dtype=np.float32))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.tolist() == [0.0, 1.0]
    assert constraints.MaxNorm()(torch.ones(2, 2, dtype=torch.float64)).dtype == torch.float64


@pytest.mark.parametrize(
    "name, cls",
    [
        ("max_norm", constraints.MaxNorm),
        ("MaxNorm", constraints.MaxNorm),
        ("min_max_norm", constraints.MinMaxNorm),
        ("non_neg", constraints.NonNeg),
        ("NonNeg", constraints.NonNeg),
        ("unit_norm", constraints.UnitNorm),
        ("constraint", constraints.Constraint),
    ],
)
def test_get_names(name, cls):
    assert type(constraints.get(name)) is cls
    assert getattr(constraints, name, cls) is cls  # the public lower-case names are the classes


def test_get_other_identifiers_and_errors():
    assert constraints.get(None) is None
    instance = constraints.MaxNorm(3)
    assert constraints.get(instance) is instance
    assert type(constraints.get(constraints.UnitNorm)) is constraints.UnitNorm
    assert constraints.get({"class_name": "MaxNorm", "config": {"max_value": 4, "axis": 1}}).max_value == 4
    with pytest.raises(ValueError, match="Unknown constraint: 'max_nrom'. Did you mean 'max_norm'"):
        constraints.get("max_nrom")
    with pytest.raises(ValueError, match="Could not interpret constraint identifier: 2"):
        constraints.get(2)


@pytest.mark.parametrize(
    "constraint, config",
    [
        (constraints.MaxNorm(), {"max_value": 2, "axis": 0}),
        (constraints.MaxNorm(3.0, axis=[0, 1, 2]), {"max_value": 3.0, "axis": [0, 1, 2]}),
        (constraints.MinMaxNorm(), {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}),
        (constraints.NonNeg(), {}),
        (constraints.UnitNorm(axis=1), {"axis": 1}),
    ],
    ids=repr,
)
def test_config_round_trip(constraint, config):
    assert constraint.get_config() == config
    serialized = constraints.serialize(constraint)
    assert serialized == {
        "module": "keras.constraints",
        "class_name": type(constraint).__name__,
        "config": config,
        "registered_name": None,
    }
    restored = constraints.deserialize(serialized)
    assert type(restored) is type(constraint) and restored.get_config() == config


@pytest.mark.parametrize(
    "constraint",
    [constraints.MaxNorm(), constraints.MinMaxNorm(rate=0.5), constraints.NonNeg(), constraints.UnitNorm([0, 1])],
    ids=repr,
)
def test_projections_never_read_tensor_values(constraint):
    # A meta tensor has a shape but no data: any host sync would raise here.
    out = constraint(torch.empty(4, 6, device="meta"))
    assert out.device.type == "meta" and out.shape == (4, 6)


def test_serialize_none_and_plain_functions():
    assert constraints.serialize(None) is None and constraints.deserialize(None) is None
    with pytest.raises(ValueError, match="has no `get_config\\(\\)`"):
        constraints.serialize(lambda w: w)
