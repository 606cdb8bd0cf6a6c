"""F-scores: the weighted harmonic mean of precision and recall, per class or averaged.

`F_beta = (1 + beta^2) * P * R / (beta^2 * P + R)`, from TP/FP/FN counted per class (or pooled, with
`average='micro'`) over all batches.
"""

import torch

from cornu.backend import epsilon
from cornu.metrics.base import Metric

__all__ = ["FBetaScore", "F1Score"]

_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """The F-beta score of multi-label or one-hot multi-class predictions.

    Args:
        average: `None` (one score per class), `'micro'` (counts pooled over classes), `'macro'` (mean of
            the per-class scores) or `'weighted'` (mean weighted by each class's number of true labels).
            Defaults to `None`.
        beta: Weight of recall relative to precision; a float > 0. Defaults to `1.0`.
        threshold: Predictions above it are positive; with `None`, each sample's highest score (if
            non-zero) is the positive one. Defaults to `None`.
        name: Defaults to `'fbeta_score'`.
        dtype: Defaults to `floatx()`.

    Input shape: `y_true` and `y_pred` of shape `(batch_size, num_classes)`.

    Example:
    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]], [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> [round(v, 4) for v in m.result().tolist()]
    [0.3846, 0.9091, 0.8333]
    """

    _direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise ValueError(f"average must be one of {_AVERAGES}. Received: average={average!r}")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"beta must be a Python float > 0 (e.g. beta=2.0). Received: beta={beta!r}")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError(
                "threshold must be None or a Python float in (0, 1] (e.g. threshold=0.5). "
                f"Received: threshold={threshold!r}"
            )
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape (batch_size, num_classes). "
                f"Received: y_true.shape={tuple(y_true_shape)}, y_pred.shape={tuple(y_pred_shape)}"
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        names = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")
        self.true_positives, self.false_positives, self.false_negatives, self.intermediate_weights = (
            self.add_variable(shape, name=n) for n in names
        )
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = self._tensor(y_true, self.dtype), self._tensor(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = y_pred.amax(dim=-1, keepdim=True)
            predicted = ((y_pred >= top) & (y_pred.abs() > 1e-9)).to(y_pred.dtype)
        else:
            predicted = (y_pred > self.threshold).to(y_pred.dtype)
        weight = None if sample_weight is None else self._tensor(sample_weight, self.dtype).unsqueeze(1)

        def weighted_sum(values):
            values = values if weight is None else values * weight
            return values.sum() if self.axis is None else values.sum(self.axis)

        self.true_positives.add_(weighted_sum(predicted * y_true))
        self.false_positives.add_(weighted_sum(predicted * (1 - y_true)))
        self.false_negatives.add_(weighted_sum((1 - predicted) * y_true))
        self.intermediate_weights.add_(weighted_sum(y_true))

    def result(self):
        if not self._built:
            return torch.zeros((), device=self._device)
        tp, eps, beta2 = self.true_positives, epsilon(), self.beta**2
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        score = precision * recall / (beta2 * precision + recall + eps) * (1 + beta2)
        if self.average == "weighted":
            weights = self.intermediate_weights / (self.intermediate_weights.sum() + eps)
            return (score * weights).sum()
        if self.average is not None:
            return score.mean()
        return score

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F1 score, `2 * P * R / (P + R)`: `FBetaScore` with `beta=1.0`.

    Args:
        average: `None`, `'micro'`, `'macro'` or `'weighted'` (see `FBetaScore`). Defaults to `None`.
        threshold: Predictions above it are positive; with `None`, each sample's highest score is.
            Defaults to `None`.
        name: Defaults to `'f1_score'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]], [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> [round(v, 4) for v in m.result().tolist()]
    [0.5, 0.8, 0.6667]
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
