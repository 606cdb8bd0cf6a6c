"""Hinge metrics: the mean hinge, squared hinge or categorical hinge loss over all samples seen.

The per-sample formulas are `cornu.losses`' own.
"""

from cornu.metrics.regression import _LossMetric

__all__ = ["Hinge", "SquaredHinge", "CategoricalHinge"]


class Hinge(_LossMetric):
    """The mean of `max(1 - y_true * y_pred, 0)`, with 0/1 labels mapped to -1/1.

    Args:
        name: Defaults to `'hinge'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = Hinge(); m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]); round(float(m.result()), 4)
    1.3
    """

    _loss_name = "hinge"

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(_LossMetric):
    """The mean of `max(1 - y_true * y_pred, 0) ** 2`, with 0/1 labels mapped to -1/1.

    Args:
        name: Defaults to `'squared_hinge'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = SquaredHinge(); m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]); round(float(m.result()), 4)
    1.86
    """

    _loss_name = "squared_hinge"

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(_LossMetric):
    """The mean of `max(0, 1 + max(y_pred of wrong classes) - y_pred of the true class)`.

    Args:
        name: Defaults to `'categorical_hinge'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = CategoricalHinge(); m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 4)
    1.4
    """

    _loss_name = "categorical_hinge"

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)
