"""Correlation metrics: Pearson's and Lin's concordance correlation along an axis, averaged over samples."""

import torch

from cornu.backend import epsilon
from cornu.metrics.base import MeanMetricWrapper, squeeze_or_expand_to_same_rank, to_tensor

__all__ = ["pearson_correlation", "concordance_correlation", "PearsonCorrelation", "ConcordanceCorrelation"]


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation of `y_true` and `y_pred` along `axis` (population standard deviations).

    Example:
    >>> round(float(pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 6.5]])[0]), 4)
    0.9979
    """
    y_true, y_pred = _pair(y_true, y_pred)
    true_centred = y_true - y_true.mean(dim=axis, keepdim=True)
    pred_centred = y_pred - y_pred.mean(dim=axis, keepdim=True)
    true_centred = true_centred / true_centred.std(dim=axis, keepdim=True, correction=0)
    pred_centred = pred_centred / pred_centred.std(dim=axis, keepdim=True, correction=0)
    return (true_centred * pred_centred).mean(dim=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation along `axis`, computed as Keras 3.15 does.

    Keras centres `y_true` on the mean of `y_pred` in the covariance term; that is kept here so that
    values match Keras (for `y_true` and `y_pred` of equal means it is the textbook formula).

    Example:
    >>> round(float(concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])[0]), 4)
    1.0
    """
    y_true, y_pred = _pair(y_true, y_pred)
    true_mean = y_true.mean(dim=axis, keepdim=True)
    pred_mean = y_pred.mean(dim=axis, keepdim=True)
    true_var = (y_true - true_mean).var(dim=axis, keepdim=True, correction=0)
    pred_var = (y_pred - pred_mean).var(dim=axis, keepdim=True, correction=0)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + (true_mean - pred_mean).square()
    return (2 * covariance / (norm + epsilon())).mean(dim=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """The mean over samples of Pearson's correlation along `axis`.

    Args:
        name: Defaults to `'pearson_correlation'`.
        dtype: Defaults to `floatx()`.
        axis: The axis along which correlation is taken. Defaults to `-1`.

    Example:
    >>> m = PearsonCorrelation(); m.update_state([[1.0, 2.0, 3.0]], [[2.0, 4.0, 6.5]]); round(float(m.result()), 4)
    0.9979
    """

    _direction = "up"

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(fn=pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """The mean over samples of the concordance correlation along `axis`.

    Args:
        name: Defaults to `'concordance_correlation'`.
        dtype: Defaults to `floatx()`.
        axis: The axis along which correlation is taken. Defaults to `-1`.

    Example:
    >>> m = ConcordanceCorrelation(); m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
    >>> round(float(m.result()), 4)
    1.0
    """

    _direction = "up"

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(fn=concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


def _pair(y_true, y_pred):
    y_pred = to_tensor(y_pred)
    if not torch.is_floating_point(y_pred):
        y_pred = y_pred.float()
    return squeeze_or_expand_to_same_rank(to_tensor(y_true, y_pred.dtype, y_pred.device), y_pred)
