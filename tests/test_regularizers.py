"""cornu.regularizers against float64 NumPy formulas, plus argument checks, identifiers and configs."""

import math

import numpy as np
import pytest
import torch

from cornu import regularizers

W = np.array([[0.5, -1.5, 2.0], [-0.25, 0.0, 3.0]])


def _orthogonal_reference(w, factor, mode):
    vectors = w if mode == "rows" else w.T
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-7)
    product = unit @ unit.T
    n = product.shape[0]
    off = np.abs(product * (1 - np.eye(n))).sum()
    return factor * 0.5 * off / (n * (n - 1) / 2)


@pytest.mark.parametrize(
    "regularizer, expected",
    [
        (regularizers.L1(0.3), 0.3 * np.abs(W).sum()),
        (regularizers.L2(0.3), 0.3 * np.square(W).sum()),
        (regularizers.L1L2(0.1, 0.2), 0.1 * np.abs(W).sum() + 0.2 * np.square(W).sum()),
        (regularizers.L1L2(l2=0.2), 0.2 * np.square(W).sum()),
        (regularizers.L1L2(), 0.0),
        (regularizers.L1(), 0.01 * np.abs(W).sum()),
        (regularizers.L2(), 0.01 * np.square(W).sum()),
        (regularizers.OrthogonalRegularizer(0.5), _orthogonal_reference(W, 0.5, "rows")),
        (regularizers.OrthogonalRegularizer(0.5, mode="columns"), _orthogonal_reference(W, 0.5, "columns")),
        (regularizers.Regularizer(), 0.0),
    ],
    ids=repr,
)
def test_values_match_float64_formulas(regularizer, expected):
    value = regularizer(torch.tensor(W))
    assert value.shape == () and value.dtype == torch.float64
    assert float(value) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    value32 = regularizer(torch.tensor(W, dtype=torch.float32))
    assert value32.dtype == torch.float32 and float(value32) == pytest.approx(expected, rel=1e-6, abs=1e-7)


def test_orthogonal_regularizer_is_zero_for_orthogonal_rows_and_positive_otherwise():
    assert float(regularizers.OrthogonalRegularizer(1.0)(torch.eye(4))) == pytest.approx(0.0, abs=1e-7)
    parallel = torch.tensor([[1.0, 1.0], [2.0, 2.0]])  # cosine 1 between the two rows: the most a pair can cost
    assert float(regularizers.OrthogonalRegularizer(1.0)(parallel)) == pytest.approx(1.0, rel=1e-6)
    with pytest.raises(ValueError, match=r"needs a 2D weight. Received: inputs.shape=\(2, 2, 2\)"):
        regularizers.OrthogonalRegularizer()(torch.zeros(2, 2, 2))


def test_penalty_gradient():
    w = torch.tensor(W, requires_grad=True)
    regularizers.L1L2(l1=0.1, l2=0.2)(w).backward()
    np.testing.assert_allclose(w.grad.numpy(), 0.1 * np.sign(W) + 0.4 * W)


def test_none_factors_mean_defaults():
    assert regularizers.L1(None).l1 == 0.01
    assert regularizers.L2(None).l2 == 0.01
    assert regularizers.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


@pytest.mark.parametrize(
    "build, name",
    [
        (lambda: regularizers.L1(-0.1), "l1"),
        (lambda: regularizers.L2("0.1"), "l2"),
        (lambda: regularizers.L1L2(l1=float("nan")), "l1"),
        (lambda: regularizers.L1L2(l2=math.inf), "l2"),
        (lambda: regularizers.L2([0.1]), "l2"),
        (lambda: regularizers.OrthogonalRegularizer(factor=-1), "factor"),
    ],
)
def test_invalid_factors_name_the_argument(build, name):
    with pytest.raises(ValueError, match=f"Invalid value for argument {name}: expected a non-negative float"):
        build()


def test_invalid_orthogonal_mode():
    with pytest.raises(ValueError, match="Received: mode='diagonal'"):
        regularizers.OrthogonalRegularizer(mode="diagonal")


@pytest.mark.parametrize(
    "name, cls",
    [
        ("l1", regularizers.L1),
        ("L1", regularizers.L1),
        ("l2", regularizers.L2),
        ("L2", regularizers.L2),
        ("l1_l2", regularizers.L1L2),
        ("l1l2", regularizers.L1L2),
        ("L1L2", regularizers.L1L2),
        ("orthogonal_regularizer", regularizers.OrthogonalRegularizer),
        ("OrthogonalRegularizer", regularizers.OrthogonalRegularizer),
    ],
)
def test_get_names(name, cls):
    assert type(regularizers.get(name)) is cls


def test_lower_case_aliases_are_the_classes():
    assert regularizers.l1 is regularizers.L1 and regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.l2(0.001)(torch.ones(2)).item() == pytest.approx(0.002)


def test_get_other_identifiers_and_errors():
    assert regularizers.get(None) is None
    instance = regularizers.L2(0.5)
    assert regularizers.get(instance) is instance
    assert type(regularizers.get(regularizers.L1)) is regularizers.L1
    assert regularizers.get({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.0}}).l1 == 0.5
    with pytest.raises(ValueError, match="Unknown regularizer: 'l1_l3'. Did you mean 'l1_l2'"):
        regularizers.get("l1_l3")
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 0.1"):
        regularizers.get(0.1)
    with pytest.raises(NotImplementedError, match="get_config"):
        regularizers.Regularizer().get_config()


@pytest.mark.parametrize(
    "regularizer, config",
    [
        (regularizers.L1(), {"l1": 0.01}),
        (regularizers.L2(0.5), {"l2": 0.5}),
        (regularizers.L1L2(0.1, 0.2), {"l1": 0.1, "l2": 0.2}),
        (regularizers.OrthogonalRegularizer(0.3, "columns"), {"factor": 0.3, "mode": "columns"}),
    ],
    ids=repr,
)
def test_config_round_trip(regularizer, config):
    assert regularizer.get_config() == config
    serialized = regularizers.serialize(regularizer)
    assert serialized == {
        "module": "keras.regularizers",
        "class_name": type(regularizer).__name__,
        "config": config,
        "registered_name": None,
    }
    restored = regularizers.deserialize(serialized)
    assert type(restored) is type(regularizer) and restored.get_config() == config


@pytest.mark.parametrize(
    "regularizer",
    [regularizers.L1(), regularizers.L2(), regularizers.L1L2(0.1, 0.2), regularizers.OrthogonalRegularizer()],
    ids=repr,
)
def test_penalties_never_read_tensor_values(regularizer):
    # A meta tensor has a shape but no data: any host sync would raise here.
    out = regularizer(torch.empty(4, 6, device="meta"))
    assert out.device.type == "meta" and out.shape == ()


def test_serialize_none_and_plain_functions():
    assert regularizers.serialize(None) is None and regularizers.deserialize(None) is None
    with pytest.raises(ValueError, match="has no `get_config\\(\\)`"):
        regularizers.serialize(lambda w: w.sum())
