"""Accuracy metrics: how often predictions match labels, per sample, then averaged.

Each function returns one 0/1 float per sample (Keras's per-sample form); each class is a
`MeanMetricWrapper` around its function, so `sample_weight` and accumulation over batches behave
as in Keras.
"""

import torch

from cornu.backend import floatx, torch_dtype
from cornu.metrics.base import MeanMetricWrapper, squeeze_or_expand_to_same_rank, to_tensor

__all__ = [
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
]


def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred` exactly, else 0.0.

    Example:
    >>> accuracy([1, 2, 3], [1, 2, 4]).tolist()
    [1.0, 1.0, 0.0]
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype, y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).to(torch_dtype(floatx()))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `y_pred > threshold` agrees with the 0/1 label `y_true`.

    Example:
    >>> binary_accuracy([[1], [0], [1]], [[0.9], [0.6], [0.4]]).tolist()
    [[1.0], [0.0], [0.0]]
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == (y_pred > threshold).to(y_true.dtype)).to(torch_dtype(floatx()))


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of the one-hot `y_true` equals the arg-max of `y_pred`.

    Example:
    >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.1, 0.8], [0.05, 0.0, 0.95]]).tolist()
    [1.0, 0.0]
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device).argmax(dim=-1)
    shape = y_true.shape
    squeezed = y_true.ndim == y_pred.ndim
    if squeezed:  # labels one rank above the predictions, as Keras allows
        y_true = y_true.squeeze(-1)
    matches = (y_true == y_pred.argmax(dim=-1)).to(torch_dtype(floatx()))
    return matches.reshape(shape) if squeezed else matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label `y_true` equals the arg-max of `y_pred`.

    Example:
    >>> sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]]).tolist()
    [0.0, 1.0]
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype, y_pred.device)
    shape = y_true.shape
    squeezed = y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1
    if squeezed:
        y_true = y_true.squeeze(-1)
    matches = (y_true == y_pred.argmax(dim=-1).to(y_true.dtype)).to(torch_dtype(floatx()))
    if squeezed:
        matches = matches.reshape(shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot `y_true`'s class is among the `k` largest of `y_pred` (ties count as in).

    Example:
    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.0, 0.95]], k=2).tolist()
    [1.0, 0.0]
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype, y_pred.device).argmax(dim=-1)
    return _in_top_k(y_true, y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label `y_true` is among the `k` largest of `y_pred` (ties count as in).

    With `from_sorted_ids=True`, `y_pred` holds class ids sorted by score, and the first `k` are checked.

    Example:
    >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.0, 0.95]], k=2).tolist()
    [1.0, 0.0]
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype if from_sorted_ids else torch.int64, y_pred.device)
    if not from_sorted_ids:
        return _in_top_k(y_true, y_pred, k)
    shape = y_true.shape
    y_pred = y_pred.reshape(-1, y_pred.shape[-1]) if y_pred.ndim > 2 else y_pred
    matches = (y_true.reshape(-1, 1) == y_pred[:, :k]).any(dim=1).to(torch_dtype(floatx()))
    return matches.reshape(shape)


class Accuracy(MeanMetricWrapper):
    """How often `y_pred` equals `y_true` exactly.

    Args:
        name: Defaults to `'accuracy'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = Accuracy(); m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]]); float(m.result())
    0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often `y_pred > threshold` matches the 0/1 labels.

    Args:
        name: Defaults to `'binary_accuracy'`.
        dtype: Defaults to `floatx()`.
        threshold: Predictions above it count as 1. Defaults to `0.5`.

    Example:
    >>> m = BinaryAccuracy(); m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]); float(m.result())
    0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of `y_pred` is the class of the one-hot `y_true`.

    Args:
        name: Defaults to `'categorical_accuracy'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = CategoricalAccuracy(); m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of `y_pred` equals the integer label `y_true`.

    Args:
        name: Defaults to `'sparse_categorical_accuracy'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = SparseCategoricalAccuracy(); m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot `y_true`'s class is among the `k` highest predictions.

    Args:
        k: How many top predictions count. Defaults to `5`.
        name: Defaults to `'top_k_categorical_accuracy'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = TopKCategoricalAccuracy(k=1); m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label `y_true` is among the `k` highest predictions.

    Args:
        k: How many top predictions count. Defaults to `5`.
        name: Defaults to `'sparse_top_k_categorical_accuracy'`.
        dtype: Defaults to `floatx()`.
        from_sorted_ids: Whether `y_pred` holds class ids sorted by score instead of scores.
            Defaults to `False`.

    Example:
    >>> m = SparseTopKCategoricalAccuracy(k=1); m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(
            fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config


def _in_top_k(targets, predictions, k):
    # "Among the top k" == fewer than k scores are strictly larger than the target's: ties count as in, as
    # Keras's `in_top_k` (target score >= k-th largest score); one comparison, no sort.
    shape = targets.shape
    predictions = predictions.reshape(-1, predictions.shape[-1])
    target_scores = predictions.gather(-1, targets.reshape(-1, 1).long())
    hits = (predictions > target_scores).sum(dim=-1) < k
    return hits.to(torch_dtype(floatx())).reshape(shape)
