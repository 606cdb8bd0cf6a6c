"""Hinge (maximum-margin) losses: hinge, squared hinge and categorical hinge."""

import torch

from cornu.losses.base import BuiltinLoss, as_float_pair

__all__ = ["hinge", "squared_hinge", "categorical_hinge", "Hinge", "SquaredHinge", "CategoricalHinge"]


def hinge(y_true, y_pred):
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)`, for targets in {-1, 1} (0/1 targets are mapped to them).

    Args:
        y_true: Targets in {-1, 1} or {0, 1}, shape `(batch, d0, ..., dN)`.
        y_pred: Predictions (scores), same shape.

    Returns:
        A tensor of shape `(batch, d0, ..., dN-1)`.

    Example:
    >>> hinge([[0.0, 1.0]], [[-0.5, 0.5]]).tolist()
    [0.5]
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    return (1.0 - _signed_labels(y_true) * y_pred).clamp_min(0.0).mean(dim=-1)


def squared_hinge(y_true, y_pred):
    """`mean(max(1 - y_true * y_pred, 0) ** 2, axis=-1)`, for targets in {-1, 1} (0/1 targets are mapped).

    Args:
        y_true: Targets in {-1, 1} or {0, 1}, shape `(batch, d0, ..., dN)`.
        y_pred: Predictions (scores), same shape.

    Returns:
        A tensor of shape `(batch, d0, ..., dN-1)`.

    Example:
    >>> squared_hinge([[0.0, 1.0]], [[-0.5, 0.5]]).tolist()
    [0.25]
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    return (1.0 - _signed_labels(y_true) * y_pred).clamp_min(0.0).square().mean(dim=-1)


def categorical_hinge(y_true, y_pred):
    """`max(neg - pos + 1, 0)`: `pos` is the true class's score, `neg` the highest score of the other classes.

    Args:
        y_true: One-hot targets, shape `(batch, ..., num_classes)`.
        y_pred: Predicted scores, same shape.

    Returns:
        A tensor with the last axis removed.

    Example:
    >>> [round(v, 4) for v in categorical_hinge([[0.0, 1.0, 0.0]], [[0.2, 0.6, 0.3]]).tolist()]
    [0.7]
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    positive = (y_true * y_pred).sum(dim=-1)
    negative = ((1.0 - y_true) * y_pred).amax(dim=-1)
    return (negative - positive + 1.0).clamp_min(0.0)


class Hinge(BuiltinLoss):
    """Hinge loss (`hinge`), for targets in {-1, 1} or {0, 1}.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"hinge"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> Hinge()([[1.0], [0.0]], [[0.5], [0.5]]).item()
    1.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction, name, dtype)


class SquaredHinge(BuiltinLoss):
    """Squared hinge loss (`squared_hinge`), for targets in {-1, 1} or {0, 1}.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"squared_hinge"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> SquaredHinge()([[1.0], [0.0]], [[0.5], [0.5]]).item()
    1.25
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction, name, dtype)


class CategoricalHinge(BuiltinLoss):
    """Categorical hinge loss (`categorical_hinge`), for one-hot targets.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"categorical_hinge"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> CategoricalHinge()([[0.0, 1.0]], [[0.0, 2.0]]).item()
    0.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction, name, dtype)


def _signed_labels(y_true):
    # Keras maps 0/1 labels to -1/1 only when every label is 0 or 1; torch.where keeps that decision on the
    # device, so no host sync.
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)
