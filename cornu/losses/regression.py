"""Regression losses: squared, absolute, percentage, logarithmic and cosine errors, Huber and log-cosh.

Each function returns one loss per sample (the mean over the last axis); each class wraps its function with
a reduction. Formulas and the `epsilon()` guards are Keras 3's.
"""

import math

import torch
import torch.nn.functional as F

from cornu.backend import epsilon
from cornu.losses.base import BuiltinLoss, as_float_pair, check_axis, squeeze_or_expand_to_same_rank

__all__ = [
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "cosine_similarity",
    "huber",
    "log_cosh",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "CosineSimilarity",
    "Huber",
    "LogCosh",
]

_LOG_2 = math.log(2.0)


def mean_squared_error(y_true, y_pred):
    """`mean((y_true - y_pred) ** 2, axis=-1)`.

    Args:
        y_true: Targets, shape `(batch, d0, ..., dN)`.
        y_pred: Predictions, same shape.

    Returns:
        A tensor of shape `(batch, d0, ..., dN-1)`.

    Example:
    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).tolist()
    [0.5]
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(*as_float_pair(y_true, y_pred))
    return (y_true - y_pred).square().mean(dim=-1)


def mean_absolute_error(y_true, y_pred):
    """`mean(abs(y_true - y_pred), axis=-1)`.

    Args:
        y_true: Targets, shape `(batch, d0, ..., dN)`.
        y_pred: Predictions, same shape.

    Returns:
        A tensor of shape `(batch, d0, ..., dN-1)`.

    Example:
    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]]).tolist()
    [1.5]
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(*as_float_pair(y_true, y_pred))
    return (y_true - y_pred).abs().mean(dim=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)`.

    Args:
        y_true: Targets, shape `(batch, d0, ..., dN)`.
        y_pred: Predictions, same shape.

    Returns:
        A tensor of shape `(batch, d0, ..., dN-1)`.

    Example:
    >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 4.0]]).tolist()
    [25.0]
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(*as_float_pair(y_true, y_pred))
    return 100.0 * ((y_true - y_pred) / y_true.abs().clamp_min(epsilon())).abs().mean(dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean((log(1 + max(y_pred, eps)) - log(1 + max(y_true, eps))) ** 2, axis=-1)`.

    Args:
        y_true: Targets, shape `(batch, d0, ..., dN)`; values at or below 0 count as `epsilon()`.
        y_pred: Predictions, same shape and rule.

    Returns:
        A tensor of shape `(batch, d0, ..., dN-1)`.

    Example:
    >>> round(mean_squared_logarithmic_error([[math.e - 1]], [[0.0]]).item(), 6)
    1.0
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(*as_float_pair(y_true, y_pred))
    eps = epsilon()
    # log(x + 1) rather than log1p, to give Keras's float32 values for inputs near 0.
    return (torch.log(y_pred.clamp_min(eps) + 1.0) - torch.log(y_true.clamp_min(eps) + 1.0)).square().mean(dim=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """The negated cosine of the angle between `y_true` and `y_pred` along `axis`: -1 when they align.

    A zero vector gives 0 (its norm is floored at `epsilon()`, as in Keras).

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape.
        axis: The axis holding the vectors. Defaults to `-1`.

    Returns:
        A tensor with `axis` removed.

    Example:
    >>> [round(v, 4) for v in cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [2.0, 2.0]]).tolist()]
    [-0.0, -1.0]
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(*as_float_pair(y_true, y_pred))
    return -(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(dim=axis)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: `0.5 * e**2` where `|e| <= delta`, else `delta * |e| - 0.5 * delta**2`, averaged over -1.

    Args:
        y_true: Targets, shape `(batch, d0, ..., dN)`.
        y_pred: Predictions, same shape.
        delta: Where the loss turns from quadratic to linear. Defaults to `1.0`.

    Returns:
        A tensor of shape `(batch, d0, ..., dN-1)`.

    Example:
    >>> huber([[0.0, 0.0]], [[0.5, 3.0]]).tolist()
    [1.3125]
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(*as_float_pair(y_true, y_pred))
    error = y_pred - y_true
    abs_error = error.abs()
    quadratic = 0.5 * error.square()
    linear = delta * abs_error - 0.5 * delta**2
    return torch.where(abs_error <= delta, quadratic, linear).mean(dim=-1)


def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed as `x + softplus(-2x) - log(2)` to avoid overflow.

    Args:
        y_true: Targets, shape `(batch, d0, ..., dN)`.
        y_pred: Predictions, same shape.

    Returns:
        A tensor of shape `(batch, d0, ..., dN-1)`.

    Example:
    >>> round(log_cosh([[0.0]], [[1.0]]).item(), 6) == round(math.log(math.cosh(1.0)), 6)
    True
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(*as_float_pair(y_true, y_pred))
    x = y_pred - y_true
    return (x + F.softplus(-2.0 * x) - _LOG_2).mean(dim=-1)


class MeanSquaredError(BuiltinLoss):
    """Mean of the squared errors (`mean_squared_error`), reduced over the batch.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"mean_squared_error"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> MeanSquaredError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]).item()
    0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction, name, dtype)


class MeanAbsoluteError(BuiltinLoss):
    """Mean of the absolute errors (`mean_absolute_error`), reduced over the batch.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"mean_absolute_error"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> MeanAbsoluteError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]).item()
    0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction, name, dtype)


class MeanAbsolutePercentageError(BuiltinLoss):
    """Mean absolute error as a percentage of the target (`mean_absolute_percentage_error`).

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"mean_absolute_percentage_error"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> MeanAbsolutePercentageError()([[2.0], [4.0]], [[1.0], [4.0]]).item()
    25.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction, name, dtype)


class MeanSquaredLogarithmicError(BuiltinLoss):
    """Mean squared difference of `log(1 + y)` (`mean_squared_logarithmic_error`).

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"mean_squared_logarithmic_error"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> round(MeanSquaredLogarithmicError()([[math.e - 1]], [[0.0]]).item(), 6)
    1.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction, name, dtype)


class CosineSimilarity(BuiltinLoss):
    """Negated cosine similarity (`cosine_similarity`): minimising it aligns predictions with targets.

    Args:
        axis: The axis holding the vectors. Defaults to `-1`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"cosine_similarity"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> round(CosineSimilarity()([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [2.0, 2.0]]).item(), 4)
    -0.5
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction, name, dtype, axis=check_axis(axis))


class Huber(BuiltinLoss):
    """Huber loss (`huber`): squared error near zero, absolute error beyond `delta`.

    Args:
        delta: Where the loss turns from quadratic to linear. Defaults to `1.0`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"huber_loss"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> Huber(delta=2.0)([[0.0]], [[3.0]]).item()
    4.0
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or delta < 0:
            raise ValueError(f"`delta` must be a number >= 0. Received: delta={delta!r}")
        super().__init__(huber, reduction, name, dtype, delta=delta)


class LogCosh(BuiltinLoss):
    """Logarithm of the hyperbolic cosine of the error (`log_cosh`).

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"log_cosh"`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> round(LogCosh()([[0.0], [0.0]], [[1.0], [-1.0]]).item(), 5)
    0.43378
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction, name, dtype)


def _l2_normalize(x, axis):
    # Keras's form: x * min(rsqrt(sum(x^2)), 1/eps), so a zero vector stays zero instead of becoming NaN.
    return x * torch.rsqrt(x.square().sum(dim=axis, keepdim=True)).clamp_max(1.0 / epsilon())
