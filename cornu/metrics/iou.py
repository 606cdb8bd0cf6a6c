"""Intersection-over-union metrics for segmentation: a running class-by-class confusion matrix, and
`TP / (TP + FP + FN)` per class read off it.

As in Keras the matrix is integer (`dtype='int32'`) unless another dtype is asked for, so labels,
predictions and sample weights are truncated to integers; pass `dtype='float32'` for fractional weights.
"""

import warnings

import torch

from cornu.backend import epsilon
from cornu.metrics.base import Metric
from cornu.metrics.confusion_utils import confusion_matrix

__all__ = ["IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


class _IoUBase(Metric):
    _direction = "up"

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1
    ):
        super().__init__(name=name, dtype=dtype or "int")
        self.num_classes, self.ignore_class, self.axis = num_classes, ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = self._tensor(y_true), self._tensor(y_pred)
        if not self.sparse_y_true:
            y_true = y_true.argmax(dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(dim=self.axis)
        y_true, y_pred = y_true.to(self.total_cm.dtype).reshape(-1), y_pred.to(self.total_cm.dtype).reshape(-1)
        weight = torch.ones((), dtype=self.total_cm.dtype, device=self._device)
        if sample_weight is not None:
            sample_weight = self._tensor(sample_weight)
            if sample_weight.is_floating_point() and not self.total_cm.is_floating_point():
                warnings.warn(
                    f"{type(self).__name__} counts in {self.dtype}: float sample weights are truncated to integers. "
                    "Pass integer weights, or dtype='float32' to the metric.",
                    stacklevel=2,
                )
            weight = sample_weight.to(self.total_cm.dtype).reshape(-1)
        weight = weight.broadcast_to(y_true.shape)
        # Labels or predictions outside [0, num_classes), and the ignored class, count for nothing.
        valid = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            valid = valid & (y_true != self.ignore_class)
        zero = torch.zeros((), dtype=y_true.dtype, device=self._device)
        y_true, y_pred, weight = (torch.where(valid, v, zero) for v in (y_true, y_pred, weight))
        self.total_cm.add_(confusion_matrix(y_true, y_pred, self.num_classes, weight, self.total_cm.dtype))


class IoU(_IoUBase):
    """Intersection over union, `TP / (TP + FP + FN)`, averaged over `target_class_ids`.

    Classes that never occur (in labels or predictions) are left out of the average.

    Args:
        num_classes: Number of classes.
        target_class_ids: The class ids whose IoU is averaged.
        name: Defaults to a unique `'io_u'`.
        dtype: Defaults to `'int32'` (integer counts, as Keras).
        ignore_class: A label value left out of the counts. Defaults to `None`.
        sparse_y_true: Whether labels are class ids (else one-hot/scores, arg-maxed). Defaults to `True`.
        sparse_y_pred: Whether predictions are class ids (else scores, arg-maxed). Defaults to `True`.
        axis: The class axis for the arg-max. Defaults to `-1`.

    Example:
    >>> m = IoU(num_classes=2, target_class_ids=[0]); m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(num_classes, name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis)
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range [0, {num_classes}). "
                f"Pass ids below num_classes={num_classes}."
            )
        self.target_class_ids = list(target_class_ids)
        self._target_ids = self._constant(self.target_class_ids, "int64")

    def result(self):
        matrix = self.total_cm
        true_positives = matrix.diagonal()
        denominator = matrix.sum(0) + matrix.sum(1) - true_positives
        true_positives = true_positives[self._target_ids].float()
        denominator = denominator[self._target_ids].float()
        valid = denominator > 1e-9
        iou = torch.where(valid, true_positives / (denominator + epsilon()), torch.zeros_like(denominator))
        return iou.sum(dim=-1) / (valid.float().sum() + epsilon())

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU for binary labels, with `y_pred >= threshold` as the positive prediction.

    Args:
        target_class_ids: Which of the classes 0 and 1 are averaged. Defaults to `(0, 1)`.
        threshold: Predictions at or above it are class 1. Defaults to `0.5`.
        name: Defaults to a unique `'binary_io_u'`.
        dtype: Defaults to `'int32'`.

    Example:
    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7]); round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = self._tensor(y_true, self.total_cm.dtype)
        y_pred = (self._tensor(y_pred, "float32") >= self.threshold).to(self.total_cm.dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """IoU averaged over all `num_classes` classes.

    Args:
        num_classes: Number of classes.
        name: Defaults to a unique `'mean_io_u'`.
        dtype: Defaults to `'int32'`.
        ignore_class: A label value left out of the counts. Defaults to `None`.
        sparse_y_true: Whether labels are class ids. Defaults to `True`.
        sparse_y_pred: Whether predictions are class ids. Defaults to `True`.
        axis: The class axis for the arg-max. Defaults to `-1`.

    Example:
    >>> m = MeanIoU(num_classes=2); m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(float(m.result()), 4)
    0.3333
    """

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1
    ):
        super().__init__(
            num_classes, list(range(num_classes)), name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis
        )

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotIoU(IoU):
    """`IoU` for one-hot labels (and, by default, score predictions): both are arg-maxed first.

    Args:
        num_classes: Number of classes.
        target_class_ids: The class ids whose IoU is averaged.
        name: Defaults to a unique `'one_hot_io_u'`.
        dtype: Defaults to `'int32'`.
        ignore_class: A label value left out of the counts. Defaults to `None`.
        sparse_y_pred: Whether predictions are class ids. Defaults to `False`.
        axis: The class axis. Defaults to `-1`.

    Example:
    >>> m = OneHotIoU(num_classes=2, target_class_ids=[1])
    >>> m.update_state([[1, 0], [0, 1]], [[0.8, 0.2], [0.3, 0.7]]); round(float(m.result()), 4)
    1.0
    """

    def __init__(
        self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1
    ):
        super().__init__(num_classes, target_class_ids, name, dtype, ignore_class, False, sparse_y_pred, axis)

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotMeanIoU(MeanIoU):
    """`MeanIoU` for one-hot labels (and, by default, score predictions).

    Args:
        num_classes: Number of classes.
        name: Defaults to a unique `'one_hot_mean_io_u'`.
        dtype: Defaults to `'int32'`.
        ignore_class: A label value left out of the counts. Defaults to `None`.
        sparse_y_pred: Whether predictions are class ids. Defaults to `False`.
        axis: The class axis. Defaults to `-1`.

    Example:
    >>> m = OneHotMeanIoU(num_classes=2)
    >>> m.update_state([[1, 0], [0, 1]], [[0.8, 0.2], [0.3, 0.7]]); round(float(m.result()), 4)
    1.0
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
