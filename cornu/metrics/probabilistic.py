"""Probabilistic metrics: the mean crossentropy, KL divergence or Poisson loss over all samples seen.

The per-sample formulas are `cornu.losses`' own; these classes only carry Keras's names, defaults and
configs, and accumulate.
"""

from cornu.metrics.base import MeanMetricWrapper
from cornu.metrics.regression import loss_fn

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
]


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary crossentropy between 0/1 labels and predicted probabilities (or logits).

    Args:
        name: Defaults to `'binary_crossentropy'`.
        dtype: Defaults to `floatx()`.
        from_logits: Whether `y_pred` holds logits rather than probabilities. Defaults to `False`.
        label_smoothing: Squeezes labels towards 0.5 by this amount. Defaults to `0`.

    Example:
    >>> m = BinaryCrossentropy(); m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 4)
    0.8149
    """

    _direction = "down"

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        fn = loss_fn("binary_crossentropy")
        super().__init__(fn, name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing)
        self.from_logits, self.label_smoothing = from_logits, label_smoothing

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean crossentropy between one-hot labels and predicted class probabilities (or logits).

    Args:
        name: Defaults to `'categorical_crossentropy'`.
        dtype: Defaults to `floatx()`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: Mixes labels with the uniform distribution by this amount. Defaults to `0`.
        axis: The class axis. Defaults to `-1`.

    Example:
    >>> m = CategoricalCrossentropy(); m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> round(float(m.result()), 4)
    1.1769
    """

    _direction = "down"

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        fn = loss_fn("categorical_crossentropy")
        super().__init__(fn, name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean crossentropy between integer labels and predicted class probabilities (or logits).

    Args:
        name: Defaults to `'sparse_categorical_crossentropy'`.
        dtype: Defaults to `floatx()`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        ignore_class: A label value whose samples contribute nothing. Defaults to `None`.
        axis: The class axis. Defaults to `-1`.

    Example:
    >>> m = SparseCategoricalCrossentropy(); m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> round(float(m.result()), 4)
    1.1769
    """

    _direction = "down"

    def __init__(
        self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None, axis=-1
    ):
        fn = loss_fn("sparse_categorical_crossentropy")
        super().__init__(fn, name=name, dtype=dtype, from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
            "axis": self.axis,
        }


class KLDivergence(MeanMetricWrapper):
    """The mean Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred))` per sample.

    Args:
        name: Defaults to `'kl_divergence'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = KLDivergence(); m.update_state([[0.5, 0.5]], [[0.5, 0.5]]); float(m.result())
    0.0
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(fn=loss_fn("kl_divergence"), name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class Poisson(MeanMetricWrapper):
    """The mean Poisson loss `y_pred - y_true * log(y_pred)`.

    Args:
        name: Defaults to `'poisson'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = Poisson(); m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]); round(float(m.result()), 4)
    0.5
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(fn=loss_fn("poisson"), name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
