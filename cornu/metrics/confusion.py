"""Metrics read off a thresholded confusion matrix: the four counts, Precision, Recall, AUC, and the
"X at fixed Y" family (SensitivityAtSpecificity, ...).

All counts are accumulated for every threshold at once (`confusion_utils.update_confusion_matrix`).
"""

import numpy as np
import torch

from cornu.backend import epsilon
from cornu.metrics import confusion_utils as cm
from cornu.metrics.base import Metric, _divide_no_nan

__all__ = [
    "TruePositives",
    "TrueNegatives",
    "FalsePositives",
    "FalseNegatives",
    "Precision",
    "Recall",
    "AUC",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "PrecisionAtRecall",
    "RecallAtPrecision",
]

_STATE_NAMES = {
    cm.TRUE_POSITIVES: "true_positives",
    cm.FALSE_POSITIVES: "false_positives",
    cm.TRUE_NEGATIVES: "true_negatives",
    cm.FALSE_NEGATIVES: "false_negatives",
}


class _ThresholdedMetric(Metric):
    """Holds thresholds and one `(T,)` state per confusion-matrix cell in `_cells`; counts them per batch."""

    _cells = ()
    top_k = None
    class_id = None

    def _setup(self, thresholds, evenly, widened=False, shape=None):
        self._evenly, self._widened = evenly, widened
        self._thresholds_t = self._constant(np.asarray(thresholds, dtype=np.float64), self.dtype)
        shape = shape or (len(thresholds),)
        self._states = {cell: self.add_variable(shape, name=_STATE_NAMES[cell]) for cell in self._cells}
        for cell, state in self._states.items():
            object.__setattr__(self, _STATE_NAMES[cell], state)

    def update_state(self, y_true, y_pred, sample_weight=None):
        cm.update_confusion_matrix(
            self._states,
            self._tensor(y_true),
            self._tensor(y_pred),
            self._thresholds_t,
            evenly=self._evenly,
            widened=self._widened,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=None if sample_weight is None else self._tensor(sample_weight),
        )


class _ConditionCount(_ThresholdedMetric):
    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = cm.parse_thresholds(thresholds, 0.5)
        self._setup(self.thresholds, cm.is_evenly_distributed(self.thresholds))
        self.accumulator = self._states[self._cells[0]]

    def result(self):
        return self.accumulator[0].clone() if len(self.thresholds) == 1 else self.accumulator.clone()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """The (weighted) number of true positives: label non-zero and `y_pred > threshold`.

    Args:
        thresholds: A float or list of floats in [0, 1]; one count per threshold. Defaults to `0.5`.
        name: Defaults to a unique `'true_positives'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = TruePositives(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); float(m.result())
    2.0
    """

    _cells = (cm.TRUE_POSITIVES,)


class TrueNegatives(_ConditionCount):
    """The (weighted) number of true negatives: label 0 and `y_pred <= threshold`.

    Args:
        thresholds: A float or list of floats in [0, 1]. Defaults to `0.5`.
        name: Defaults to a unique `'true_negatives'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = TrueNegatives(); m.update_state([0, 1, 0, 0], [1, 1, 0, 0]); float(m.result())
    2.0
    """

    _cells = (cm.TRUE_NEGATIVES,)


class FalsePositives(_ConditionCount):
    """The (weighted) number of false positives: label 0 and `y_pred > threshold`.

    Args:
        thresholds: A float or list of floats in [0, 1]. Defaults to `0.5`.
        name: Defaults to a unique `'false_positives'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = FalsePositives(); m.update_state([0, 1, 0, 0], [0, 0, 1, 1]); float(m.result())
    2.0
    """

    _cells = (cm.FALSE_POSITIVES,)


class FalseNegatives(_ConditionCount):
    """The (weighted) number of false negatives: label non-zero and `y_pred <= threshold`.

    Args:
        thresholds: A float or list of floats in [0, 1]. Defaults to `0.5`.
        name: Defaults to a unique `'false_negatives'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = FalseNegatives(); m.update_state([0, 1, 1, 1], [0, 1, 0, 0]); float(m.result())
    2.0
    """

    _cells = (cm.FALSE_NEGATIVES,)


class _PrecisionRecall(_ThresholdedMetric):
    _direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = cm.parse_thresholds(thresholds, 0.5 if top_k is None else cm.NEG_INF)
        self._setup(self.thresholds, cm.is_evenly_distributed(self.thresholds))

    def _ratio(self, other):
        value = _divide_no_nan(self.true_positives, self.true_positives + other)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """`TP / (TP + FP)`: the fraction of positive predictions that are right.

    Args:
        thresholds: A float or list of floats in [0, 1]; `y_pred > threshold` is a positive prediction.
            One result per threshold. Defaults to `0.5` (or, with `top_k`, every top-k score).
        top_k: Only each sample's `top_k` highest scores may be positive. Defaults to `None`.
        class_id: Only this class (last axis) is scored. Defaults to `None`.
        name: Defaults to a unique `'precision'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = Precision(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(float(m.result()), 4)
    0.6667
    """

    _cells = (cm.TRUE_POSITIVES, cm.FALSE_POSITIVES)

    def result(self):
        return self._ratio(self.false_positives)


class Recall(_PrecisionRecall):
    """`TP / (TP + FN)`: the fraction of positive labels that are found.

    Args:
        thresholds: A float or list of floats in [0, 1]; `y_pred > threshold` is a positive prediction.
            One result per threshold. Defaults to `0.5` (or, with `top_k`, every top-k score).
        top_k: Only each sample's `top_k` highest scores may be positive. Defaults to `None`.
        class_id: Only this class (last axis) is scored. Defaults to `None`.
        name: Defaults to a unique `'recall'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = Recall(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(float(m.result()), 4)
    0.6667
    """

    _cells = (cm.TRUE_POSITIVES, cm.FALSE_NEGATIVES)

    def result(self):
        return self._ratio(self.false_negatives)


_ALL_CELLS = (cm.TRUE_POSITIVES, cm.FALSE_POSITIVES, cm.TRUE_NEGATIVES, cm.FALSE_NEGATIVES)


class _AtFixedValue(_ThresholdedMetric):
    """Best `dependent` rate among thresholds whose `constrained` rate reaches `value`."""

    _cells = _ALL_CELLS
    _direction = "up"
    _value_name = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(f"{self._value_name} must be in [0, 1]. Received: {self._value_name}={value}")
        if num_thresholds <= 0:
            raise ValueError(f"num_thresholds must be an integer > 0. Received: num_thresholds={num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        setattr(self, self._value_name, value)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
        self._setup(self.thresholds, num_thresholds > 1)

    def _rates(self):
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        return {
            "sensitivity": _divide_no_nan(tp, tp + fn),
            "specificity": _divide_no_nan(tn, tn + fp),
            "precision": _divide_no_nan(tp, tp + fp),
        }

    def _best(self, constrained, dependent):
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return torch.where(feasible, rates[dependent], torch.zeros_like(rates[dependent])).max().clamp(min=0)

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._value_name: self.value,
        }


class SensitivityAtSpecificity(_AtFixedValue):
    """The best sensitivity (recall) among thresholds whose specificity is at least `specificity`.

    Args:
        specificity: A float in [0, 1].
        num_thresholds: Number of evenly spaced thresholds on [0, 1]. Defaults to `200`.
        class_id: Only this class (last axis) is scored. Defaults to `None`.
        name: Defaults to a unique `'sensitivity_at_specificity'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = SensitivityAtSpecificity(0.5); m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _value_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(_AtFixedValue):
    """The best specificity among thresholds whose sensitivity (recall) is at least `sensitivity`.

    Args:
        sensitivity: A float in [0, 1].
        num_thresholds: Number of evenly spaced thresholds on [0, 1]. Defaults to `200`.
        class_id: Only this class (last axis) is scored. Defaults to `None`.
        name: Defaults to a unique `'specificity_at_sensitivity'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = SpecificityAtSensitivity(0.5); m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _value_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("sensitivity", "specificity")


class PrecisionAtRecall(_AtFixedValue):
    """The best precision among thresholds whose recall is at least `recall`.

    Args:
        recall: A float in [0, 1].
        num_thresholds: Number of evenly spaced thresholds on [0, 1]. Defaults to `200`.
        class_id: Only this class (last axis) is scored. Defaults to `None`.
        name: Defaults to a unique `'precision_at_recall'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = PrecisionAtRecall(0.5); m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _value_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("sensitivity", "precision")


class RecallAtPrecision(_AtFixedValue):
    """The best recall among thresholds whose precision is at least `precision`.

    Args:
        precision: A float in [0, 1].
        num_thresholds: Number of evenly spaced thresholds on [0, 1]. Defaults to `200`.
        class_id: Only this class (last axis) is scored. Defaults to `None`.
        name: Defaults to a unique `'recall_at_precision'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = RecallAtPrecision(0.8); m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.5
    """

    _value_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("precision", "sensitivity")


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(_ThresholdedMetric):
    """Area under the ROC or precision-recall curve, by a Riemann sum over `num_thresholds` thresholds.

    Args:
        num_thresholds: Number of thresholds (evenly spaced on [0, 1], ends widened by epsilon) when
            `thresholds` is not given; must be > 1. Defaults to `200`.
        curve: `'ROC'`, `'PR'` or `'PRGAIN'`. Defaults to `'ROC'`.
        summation_method: `'interpolation'` (trapezoids; for PR, Davis & Goadrich's interpolation),
            `'minoring'` or `'majoring'`. Defaults to `'interpolation'`.
        name: Defaults to a unique `'auc'`.
        dtype: Defaults to `floatx()`.
        thresholds: Explicit thresholds in [0, 1] (then `num_thresholds` is their count + 2). Defaults to `None`.
        multi_label: Whether each label column gets its own curve, the AUCs then averaged. Defaults to `False`.
        num_labels: Number of label columns with `multi_label`, to build the state before the first batch.
            Defaults to `None`.
        label_weights: Per-label weights: for the average with `multi_label`, else for the counts.
            Defaults to `None`.
        from_logits: Whether `y_pred` holds logits (a sigmoid is applied). Defaults to `False`.

    Example:
    >>> m = AUC(num_thresholds=3); m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); float(m.result())
    0.75
    """

    _cells = _ALL_CELLS
    _direction = "up"

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        super().__init__(name=name, dtype=dtype)
        self.curve = _check_choice("curve", curve, _CURVES)
        self.summation_method = _check_choice("summation_method", summation_method, {s: s for s in _SUMMATIONS})
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in cm.parse_thresholds(thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
            evenly = cm.is_evenly_distributed([0.0] + inner + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(f"num_thresholds must be an integer > 1. Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        self._all_thresholds = [0.0 - epsilon()] + inner + [1.0 + epsilon()]
        self.multi_label, self.num_labels, self._from_logits = multi_label, num_labels, from_logits
        if num_labels and not multi_label:
            raise ValueError("num_labels is needed only when multi_label=True. Pass multi_label=True or drop it.")
        self.label_weights = None if label_weights is None else self._constant(label_weights, self.dtype)
        self._evenly = evenly
        self._built = False
        if not multi_label:
            self._build(None)
        elif num_labels:
            self._build((None, num_labels))

    @property
    def thresholds(self):
        """The thresholds used, including the widened end points."""
        return list(self._all_thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    f"With multi_label=True, y_pred must have rank 2 (samples, labels). Received shape: {tuple(shape)}"
                )
            self._num_labels = shape[1]
            state_shape = (self.num_thresholds, self._num_labels)
        else:
            state_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        self._setup(self._all_thresholds, self._evenly, widened=True, shape=state_shape)
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = self._tensor(y_pred)
        if not self._built:
            self._build(tuple(y_pred.shape))
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        cm.update_confusion_matrix(
            self._states,
            self._tensor(y_true),
            y_pred,
            self._thresholds_t,
            evenly=self._evenly,
            widened=True,
            sample_weight=None if sample_weight is None else self._tensor(sample_weight),
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._thresholds_t.dtype, device=self._device)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._average(self._interpolate_pr_auc())
        x, y = self._curve_points()
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def _curve_points(self):
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            return _divide_no_nan(fp, fp + tn), recall
        if self.curve == "PR":
            return recall, _divide_no_nan(tp, tp + fp)
        scale = _divide_no_nan(tp + fn, tn + fp)  # PR-gain curve (Flach & Kull, 2015)
        recall_gain = torch.where(tp == 0, torch.zeros_like(tp), 1.0 - scale * _divide_no_nan(fn, tp))
        precision_gain = torch.where(tp == 0, torch.ones_like(tp), 1.0 - scale * _divide_no_nan(fp, tp))
        return recall_gain.clamp(min=0.0), precision_gain

    def _interpolate_pr_auc(self):
        # Davis & Goadrich (2006): precision interpolated between thresholds as TP varies linearly with P.
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, dp.clamp(min=0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = torch.where(both, _divide_no_nan(p[:-1], p[1:].clamp(min=0)), torch.ones_like(p[1:]))
        return _divide_no_nan(slope * (dtp + intercept * torch.log(ratio)), (tp[1:] + fn[1:]).clamp(min=0))

    def _average(self, terms):
        if not self.multi_label:
            return terms.sum()
        by_label = terms.sum(0)
        if self.label_weights is None:
            return by_label.mean()
        return _divide_no_nan((by_label * self.label_weights).sum(), self.label_weights.sum())

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {
            "name": self.name,
            "dtype": self.dtype,
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _check_choice(argument, value, choices):
    key = str(value).lower()
    if key not in choices:
        raise ValueError(f"Invalid {argument}: {value!r}. Expected one of {sorted(set(choices.values()))}.")
    return choices[key]
