"""Regression metrics: the mean of a per-sample error over everything seen, plus RMSE, cosine
similarity and R^2.

The error functions are `cornu.losses`' own (a loss used as a metric); this module only accumulates them.
"""

import torch

from cornu.backend import epsilon
from cornu.metrics.base import Mean, MeanMetricWrapper, Metric, squeeze_or_expand_to_same_rank, to_tensor

__all__ = [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "CosineSimilarity",
    "LogCoshError",
    "R2Score",
]


def loss_fn(name):
    """The per-sample loss function `name` from `cornu.losses` (imported on first use)."""
    import cornu.losses

    return getattr(cornu.losses, name)


class _LossMetric(MeanMetricWrapper):
    """A per-sample loss averaged over samples; `get_config` is the constructor's (name, dtype)."""

    _loss_name = None
    _direction = "down"

    def __init__(self, name=None, dtype=None):
        super().__init__(fn=loss_fn(self._loss_name), name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredError(_LossMetric):
    """The mean of `(y_true - y_pred) ** 2`.

    Args:
        name: Defaults to `'mean_squared_error'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = MeanSquaredError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]]); float(m.result())
    0.25
    """

    _loss_name = "mean_squared_error"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsoluteError(_LossMetric):
    """The mean of `|y_true - y_pred|`.

    Args:
        name: Defaults to `'mean_absolute_error'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = MeanAbsoluteError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]]); float(m.result())
    0.25
    """

    _loss_name = "mean_absolute_error"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(_LossMetric):
    """The mean of `100 * |y_true - y_pred| / max(|y_true|, epsilon)`.

    Args:
        name: Defaults to `'mean_absolute_percentage_error'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = MeanAbsolutePercentageError(); m.update_state([[2.0]], [[1.0]]); float(m.result())
    50.0
    """

    _loss_name = "mean_absolute_percentage_error"

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_LossMetric):
    """The mean of `(log(y_true + 1) - log(y_pred + 1)) ** 2`.

    Args:
        name: Defaults to `'mean_squared_logarithmic_error'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = MeanSquaredLogarithmicError(); m.update_state([[0.0]], [[0.0]]); float(m.result())
    0.0
    """

    _loss_name = "mean_squared_logarithmic_error"

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class LogCoshError(_LossMetric):
    """The mean of `log(cosh(y_pred - y_true))`.

    Args:
        name: Defaults to `'logcosh'` (Keras's name).
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = LogCoshError(); m.update_state([[1.0]], [[1.0]]); float(m.result())
    0.0
    """

    _loss_name = "log_cosh"

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """The square root of the mean of `(y_true - y_pred) ** 2` over all elements seen.

    Args:
        name: Defaults to `'root_mean_squared_error'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = RootMeanSquaredError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]]); float(m.result())
    0.5
    """

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = squeeze_or_expand_to_same_rank(
            self._tensor(y_true, self.dtype), self._tensor(y_pred, self.dtype)
        )
        weight = None if sample_weight is None else self._tensor(sample_weight, self.dtype)
        self._accumulate((y_pred - y_true).square(), weight)

    def result(self):
        return super().result().sqrt()


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity between `y_true` and `y_pred` along `axis` (1 = same direction).

    Args:
        name: Defaults to `'cosine_similarity'`.
        dtype: Defaults to `floatx()`.
        axis: The axis along which vectors lie. Defaults to `-1`.

    Example:
    >>> m = CosineSimilarity(); m.update_state([[0, 1], [1, 1]], [[1, 0], [1, 1]]); round(float(m.result()), 4)
    0.5
    """

    _direction = "up"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine_similarity, name=name, dtype=dtype, axis=axis)

    def get_config(self):
        # Keras leaves `axis` out of this config; so do we, for identical saved files.
        return {"name": self.name, "dtype": self.dtype}


class R2Score(Metric):
    """The coefficient of determination, `1 - SS_res / SS_tot`, per output column then aggregated.

    Args:
        class_aggregation: `'uniform_average'` (mean over columns), `'variance_weighted_average'` or
            `None` (one score per column). Defaults to `'uniform_average'`.
        num_regressors: Number of independent regressors, for the adjusted R^2 (0: plain R^2). Defaults to `0`.
        name: Defaults to `'r2_score'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = R2Score(); m.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]]); float(m.result())
    0.5
    """

    _direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(
                "class_aggregation must be None, 'uniform_average' or 'variance_weighted_average'. "
                f"Received: class_aggregation={class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(f"num_regressors must be >= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self._built = False

    def _build(self, shape):
        if len(shape) != 2:
            raise ValueError(f"R2Score expects inputs of shape (batch_size, output_dim). Received: {tuple(shape)}")
        names = ("squared_sum", "sum", "residual", "count")
        self.squared_sum, self.sum, self.total_mse, self.count = (self.add_variable((shape[1],), name=n) for n in names)
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = squeeze_or_expand_to_same_rank(
            self._tensor(y_true, self.dtype), self._tensor(y_pred, self.dtype)
        )
        if not self._built:
            self._build(y_true.shape)
        weight = torch.ones((), dtype=y_true.dtype, device=y_true.device)
        if sample_weight is not None:
            weight = self._tensor(sample_weight, self.dtype)
            weight = weight.unsqueeze(1) if weight.ndim == 1 else weight
        weight = weight.broadcast_to(y_true.shape)
        self.sum.add_((y_true * weight).sum(0))
        self.squared_sum.add_((y_true * y_true * weight).sum(0))
        self.total_mse.add_(((y_true - y_pred).square() * weight).sum(0))
        self.count.add_(weight.sum(0))
        self.num_samples.add_(y_true.numel())

    def result(self):
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw = 1 - self.total_mse / total
        raw = torch.where(torch.isinf(raw), torch.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
        if self.num_regressors == 0:
            return score
        # Adjusted R^2 is undefined with too few samples; Keras then falls back to the plain score.
        n, p = self.num_samples, self.num_regressors
        adjusted = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return torch.where(n - 1 > p, adjusted, score)

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }


def _cosine_similarity(y_true, y_pred, axis=-1):
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype, y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(dim=axis)


def _l2_normalize(x, axis):
    # x / max(||x||, epsilon), written as Keras does: x * min(rsqrt(sum x^2), 1 / epsilon).
    inverse_norm = torch.rsqrt(x.square().sum(dim=axis, keepdim=True))
    return x * torch.clamp(inverse_norm, max=1.0 / epsilon())
