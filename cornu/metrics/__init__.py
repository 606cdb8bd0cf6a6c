"""Metrics: what training reports. Keras 3's classes, functions, names and defaults, accumulated as torch
tensors that are updated every step without a host sync.

`get` turns a name, config or object into a metric; `cornu.metrics.compile_utils.get_compile_metric` does
what `Model.compile(metrics=[...])` needs ('accuracy' chosen from the shapes, History names).

Example:
>>> import cornu.metrics
>>> m = cornu.metrics.get("accuracy"); m.update_state([1, 2, 3, 4], [1, 2, 3, 0]); float(m.result())
0.75
"""

import inspect

from cornu.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from cornu.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from cornu.metrics.compile_utils import get_compile_metric as get_compile_metric  # for Model.compile
from cornu.metrics.confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from cornu.metrics.correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from cornu.metrics.f_score import F1Score, FBetaScore
from cornu.metrics.hinge import CategoricalHinge, Hinge, SquaredHinge
from cornu.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from cornu.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from cornu.metrics.regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
)
from cornu.utils.identifiers import lookup
from cornu.utils.naming import to_snake_case

# Keras's `keras.metrics` also exports these per-sample loss functions; they are `cornu.losses`' own,
# fetched on first use so that importing metrics does not pull in losses before it is needed.
_LOSS_FUNCTIONS = (
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
)

_CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives, TruePositives,
    ConcordanceCorrelation, PearsonCorrelation,
    Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    F1Score, FBetaScore,
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
)  # fmt: skip

_FUNCTIONS = (
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    pearson_correlation,
    concordance_correlation,
)

# Names `get` accepts, as Keras's table: each class by its name and snake-cased name, plus short aliases.
ALL_OBJECTS = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
    }
)


def get(identifier):
    """The metric `identifier` names: a new instance for a name or class, the object itself otherwise.

    Args:
        identifier: `None`, a name (`'accuracy'`, `'AUC'`, `'mse'`, ...), a config dict
            `{"class_name": ..., "config": {...}}`, a `Metric` class or instance, or a function
            `fn(y_true, y_pred)`.

    Returns:
        A `Metric` instance, a function, or `None`.

    Example:
    >>> type(get("mse")).__name__, get("mse").name
    ('MeanSquaredError', 'mean_squared_error')
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return lookup("metric", identifier, ALL_OBJECTS)()
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret metric identifier: {identifier!r}. Pass a name such as 'accuracy', a Metric, "
        "or a function fn(y_true, y_pred)."
    )


def serialize(metric):
    """A metric as Keras saves it: a config dict for a `Metric`, the name for a built-in function.

    Example:
    >>> serialize(Accuracy())["config"]
    {'name': 'accuracy', 'dtype': 'float32'}
    """
    if isinstance(metric, Metric):
        known = ALL_OBJECTS.get(type(metric).__name__) is type(metric)
        return {
            "module": "keras.metrics" if known else type(metric).__module__,
            "class_name": type(metric).__name__,
            "config": metric.get_config(),
            "registered_name": None if known else type(metric).__name__,
        }
    name = getattr(metric, "__name__", None)
    if name is not None and _builtin_function(name) is metric:
        return name
    raise ValueError(f"Cannot serialize {metric!r}: it is neither a Metric nor a built-in metric function.")


def deserialize(config, custom_objects=None):
    """The inverse of `serialize`: a `Metric` from its config dict, or a function from its name.

    Example:
    >>> deserialize({"class_name": "AUC", "config": {"num_thresholds": 3}}).num_thresholds
    3
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        function = custom_objects.get(config) or _builtin_function(config)
        return function if function is not None else get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A metric config must be a dict with 'class_name' and 'config'. Received: {config!r}")
    if config["class_name"] == "function":  # Keras's form for a function: {"class_name": "function", "config": name}
        return deserialize(config["config"], custom_objects)
    table = {**ALL_OBJECTS, **custom_objects}
    cls = lookup("metric", config["class_name"], table)
    return cls.from_config(dict(config.get("config") or {}))


def _builtin_function(name):
    for function in _FUNCTIONS:
        if function.__name__ == name:
            return function
    if name in _LOSS_FUNCTIONS:
        return __getattr__(name)
    return None


def __getattr__(name):
    if name in _LOSS_FUNCTIONS:
        import cornu.losses

        return getattr(cornu.losses, name)
    raise AttributeError(f"module 'cornu.metrics' has no attribute {name!r}")


__all__ = [
    "Metric",
    "Mean",
    "Sum",
    "MeanMetricWrapper",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "CosineSimilarity",
    "LogCoshError",
    "R2Score",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "AUC",
    "Precision",
    "Recall",
    "TruePositives",
    "TrueNegatives",
    "FalsePositives",
    "FalseNegatives",
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "IoU",
    "BinaryIoU",
    "MeanIoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    "F1Score",
    "FBetaScore",
    "PearsonCorrelation",
    "ConcordanceCorrelation",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "pearson_correlation",
    "concordance_correlation",
    *_LOSS_FUNCTIONS,
    "get",
    "serialize",
    "deserialize",
]
