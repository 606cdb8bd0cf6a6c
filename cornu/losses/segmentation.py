"""Overlap losses for image segmentation: Dice and Tversky, as Keras 3 computes them."""

from cornu.backend import epsilon
from cornu.losses.base import BuiltinLoss, as_float_pair

__all__ = ["dice", "tversky", "Dice", "Tversky"]


def dice(y_true, y_pred, axis=None):
    """`1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)`, summed over `axis`.

    Args:
        y_true: Target masks, values in `[0, 1]`.
        y_pred: Predicted masks, same shape.
        axis: Axis or tuple of axes to sum over; `None` sums over everything (one value for the whole batch).
            Defaults to `None`.

    Returns:
        A tensor with `axis` removed (a scalar when `axis=None`).

    Example:
    >>> y_true = [[[1.0], [1.0]], [[0.0], [0.0]]]
    >>> y_pred = [[[1.0], [0.0]], [[0.0], [1.0]]]
    >>> [round(v, 4) for v in dice(y_true, y_pred, axis=(1, 2)).tolist()]
    [0.3333, 1.0]
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    return 1.0 - 2.0 * intersection / (_sum(y_true, axis) + _sum(y_pred, axis) + epsilon())


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """`1 - TP / (TP + alpha * FP + beta * FN + eps)` with soft counts, summed over `axis`.

    Keras 3 counts `FP` as `sum((1 - y_pred) * y_true)` and `FN` as `sum(y_pred * (1 - y_true))`; cornu keeps
    its formula, so `alpha` weighs missed target pixels and `beta` predicted pixels outside the target.

    Args:
        y_true: Target masks, values in `[0, 1]`.
        y_pred: Predicted masks, same shape.
        alpha: Weight of the first error term. Defaults to `0.5`.
        beta: Weight of the second error term. Defaults to `0.5`.
        axis: Axis or tuple of axes to sum over; `None` sums over everything. Defaults to `None`.

    Returns:
        A tensor with `axis` removed (a scalar when `axis=None`).

    Example:
    >>> round(tversky([[1.0, 1.0, 0.0]], [[1.0, 0.0, 1.0]]).item(), 4)
    0.5
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    missed = _sum((1.0 - y_pred) * y_true, axis)
    extra = _sum(y_pred * (1.0 - y_true), axis)
    return 1.0 - intersection / (intersection + missed * alpha + extra * beta + epsilon())


class Dice(BuiltinLoss):
    """Dice loss (`dice`): one minus the soft overlap of predicted and target masks.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"dice"`.
        axis: Axis or tuple of axes to sum over; `None` sums over everything. Defaults to `None`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> y_true = [[[1.0], [1.0]], [[0.0], [0.0]]]
    >>> y_pred = [[[1.0], [0.0]], [[0.0], [1.0]]]
    >>> round(Dice(axis=(1, 2))(y_true, y_pred).item(), 4)
    0.6667
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction, name, dtype, axis=axis)


class Tversky(BuiltinLoss):
    """Tversky loss (`tversky`): Dice with separate weights for the two kinds of error.

    With `alpha = beta = 0.5` it equals the Dice loss.

    Args:
        alpha: Weight of the first error term. Defaults to `0.5`.
        beta: Weight of the second error term. Defaults to `0.5`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"tversky"`.
        axis: Axis or tuple of axes to sum over; `None` sums over everything. Defaults to `None`.
        dtype: The float type to compute in. Defaults to `None` (floatx).

    Example:
    >>> round(Tversky()([[1.0, 1.0, 0.0]], [[1.0, 0.0, 1.0]]).item(), 4)
    0.5
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None, dtype=None):
        super().__init__(tversky, reduction, name, dtype, alpha=alpha, beta=beta, axis=axis)


def _sum(x, axis):
    # torch's sum takes a tuple of dims but not None; Keras's axis=None means every axis.
    return x.sum() if axis is None else x.sum(dim=axis)
