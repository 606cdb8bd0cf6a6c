"""Confusion-matrix counting at many thresholds at once, shared by Precision, Recall, AUC and the
TruePositives family, plus the class-by-class confusion matrix of the IoU metrics.

Everything is vectorised over thresholds: no Python loop per threshold and no host sync. Evenly spaced
thresholds (AUC's default) take a bucketing path, O(samples) instead of O(samples x thresholds), and give
the same counts as comparing with each threshold.
"""

import numpy as np
import torch

from cornu.backend import epsilon
from cornu.metrics.base import squeeze_or_expand_to_same_rank

__all__ = [
    "TRUE_POSITIVES",
    "FALSE_POSITIVES",
    "TRUE_NEGATIVES",
    "FALSE_NEGATIVES",
    "NEG_INF",
    "parse_thresholds",
    "is_evenly_distributed",
    "update_confusion_matrix",
    "filter_top_k",
    "confusion_matrix",
]

TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES = "tp", "fp", "tn", "fn"
# Keras's stand-in for -infinity: scores outside the top k are set to it, and it is the default threshold
# with `top_k`, so every top-k score counts as positive.
NEG_INF = -1e10


def parse_thresholds(thresholds, default):
    """`thresholds` as a list of floats (a single number becomes a one-element list); `default` if None.

    >>> parse_thresholds(None, 0.5), parse_thresholds(0.3, 0.5)
    ([0.5], [0.3])
    """
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    bad = [t for t in values if t is None or t < 0 or t > 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: thresholds={thresholds!r}")
    return [float(t) for t in values]


def is_evenly_distributed(thresholds):
    """Whether `thresholds` are `i / (n - 1)` for `i = 0..n-1`, n >= 3 (then the bucketing path applies).

    >>> is_evenly_distributed([0.0, 0.5, 1.0]), is_evenly_distributed([0.2, 0.5, 0.9])
    (True, False)
    """
    n = len(thresholds)
    if n < 3:
        return False
    return bool(np.allclose(thresholds, np.arange(n, dtype=np.float32) / (n - 1), atol=epsilon()))


def update_confusion_matrix(
    variables,
    y_true,
    y_pred,
    thresholds,
    evenly=False,
    widened=False,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
):
    """Adds this batch's weighted TP/FP/TN/FN counts at every threshold into `variables`, in place.

    Args:
        variables: Dict from `TRUE_POSITIVES`, ... to state tensors of shape `(T,)` (or `(T, labels)`
            with `multi_label`).
        y_true: Labels; any non-zero value counts as positive.
        y_pred: Scores; "positive at threshold t" means `y_pred > t`.
        thresholds: Tensor of the T thresholds, on the state's device.
        evenly: Whether the thresholds are evenly spaced on [0, 1] (then counted by bucketing).
        widened: Whether the end thresholds are `-epsilon` and `1 + epsilon` (AUC's), not 0 and 1.
        top_k: Only the k highest scores of each sample may count as positive.
        class_id: Only this class (last axis) is counted.
        sample_weight: Per-sample (or per-element) weights.
        multi_label: Count each label (last axis) separately instead of flattening.
        label_weights: Per-label weights (flattened case only).

    Example:
    >>> tp, fn = torch.zeros(2), torch.zeros(2)
    >>> update_confusion_matrix({TRUE_POSITIVES: tp, FALSE_NEGATIVES: fn}, torch.tensor([1, 1, 0]),
    ...                         torch.tensor([0.2, 0.7, 0.9]), torch.tensor([0.1, 0.5]))
    >>> tp.tolist(), fn.tolist()
    ([2.0, 1.0], [0.0, 1.0])
    """
    dtype = next(iter(variables.values())).dtype
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred.to(dtype), y_true.to(dtype))
    weights = _weights(y_true, y_pred, sample_weight, label_weights, dtype)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "With class_id, y_pred must have shape (num_samples, num_classes). "
                f"Received: y_pred.shape={tuple(y_pred.shape)}"
            )
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
        weights = None if weights is None else weights[..., class_id, None]
    positive = (y_true != 0).to(dtype)
    true_w = positive if weights is None else positive * weights
    false_w = (1 - positive) if weights is None else (1 - positive) * weights
    if not multi_label:
        y_pred, true_w, false_w = y_pred.reshape(-1), true_w.reshape(-1), false_w.reshape(-1)
    if evenly:
        tp, fp = (_bucket_counts(y_pred, w, thresholds.shape[0], widened) for w in (true_w, false_w))
    else:
        tp, fp = (_compare_counts(y_pred, w, thresholds) for w in (true_w, false_w))
    _add(variables, TRUE_POSITIVES, tp)
    _add(variables, FALSE_POSITIVES, fp)
    if TRUE_NEGATIVES in variables:
        variables[TRUE_NEGATIVES].add_(false_w.sum(0) - fp)
    if FALSE_NEGATIVES in variables:
        variables[FALSE_NEGATIVES].add_(true_w.sum(0) - tp)


def filter_top_k(x, k):
    """`x` with everything but each row's `k` largest entries set to `NEG_INF`.

    >>> filter_top_k(torch.tensor([[0.1, 0.7, 0.2]]), 1).tolist()
    [[-10000000000.0, 0.699999988079071, -10000000000.0]]
    """
    mask = torch.zeros_like(x).scatter_(-1, torch.topk(x, k, dim=-1).indices, 1.0)
    return x * mask + NEG_INF * (1 - mask)


def confusion_matrix(labels, predictions, num_classes, weights, dtype):
    """The `(num_classes, num_classes)` matrix of summed weights, rows = labels, columns = predictions.

    >>> confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0]), 2, torch.ones(3), torch.float32).tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    flat = labels.long() * num_classes + predictions.long()
    matrix = torch.zeros(num_classes * num_classes, dtype=dtype, device=labels.device)
    return matrix.index_add_(0, flat, weights.to(dtype)).reshape(num_classes, num_classes)


def _weights(y_true, y_pred, sample_weight, label_weights, dtype):
    weights = None
    if sample_weight is not None:
        sample_weight = sample_weight.to(dtype).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
        weights = sample_weight.broadcast_to(y_pred.shape)
    if label_weights is not None:
        label_weights = label_weights.to(dtype).unsqueeze(0).broadcast_to(y_pred.shape)
        weights = label_weights if weights is None else weights * label_weights
    return weights


def _compare_counts(y_pred, weights, thresholds):
    # (T, samples[, labels]) comparison, summed over samples: one fused expression for all thresholds.
    shape = (-1,) + (1,) * y_pred.ndim
    above = y_pred.unsqueeze(0) > thresholds.reshape(shape)
    return (above * weights.unsqueeze(0)).sum(1)


def _bucket_counts(y_pred, weights, num, widened):
    # Score s is above thresholds 0..b exactly when b = ceil(s * (T - 1)) - 1; sum weights per bucket, then a
    # reversed cumulative sum gives the count above each threshold. Bucket -1 (s == 0 with thresholds on
    # [0, 1]) is above none: it goes to an extra bin that is dropped. Thresholds widened by epsilon
    # (AUC's) put s == 0 above the first one.
    bucket = torch.ceil(y_pred.clamp(0.0, 1.0) * (num - 1)) - 1
    if widened:
        bucket = bucket.clamp(min=0)
    bucket = bucket.long() + 1
    if y_pred.ndim == 2:  # multi-label: one set of bins per label column
        labels = y_pred.shape[1]
        bucket = bucket + torch.arange(labels, device=y_pred.device) * (num + 1)
        bins = torch.zeros(labels * (num + 1), dtype=weights.dtype, device=y_pred.device)
        bins = bins.index_add_(0, bucket.reshape(-1), weights.reshape(-1)).reshape(labels, num + 1)[:, 1:]
        return bins.flip(1).cumsum(1).flip(1).T
    bins = torch.zeros(num + 1, dtype=weights.dtype, device=y_pred.device).index_add_(0, bucket, weights)[1:]
    return bins.flip(0).cumsum(0).flip(0)


def _add(variables, key, value):
    if key in variables:
        variables[key].add_(value)
