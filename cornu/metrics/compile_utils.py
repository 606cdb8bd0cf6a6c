"""What `Model.compile(metrics=[...])` needs: each entry turned into a ready `Metric` named as Keras names
it in `History`, with `'accuracy'`/`'acc'` (and `'crossentropy'`/`'ce'`) resolved from the shapes of the
targets and predictions, as Keras 3's `keras/src/trainers/compile_utils.py` does.

Keras 3 decides from the shapes alone (the loss plays no part): predictions with a last axis of 1 are
binary; targets of lower rank than the predictions, or with a last axis of 1 against a wider prediction,
are sparse class ids; anything else is one-hot.
"""

import inspect

from cornu.metrics import accuracy as accuracy_metrics
from cornu.metrics import probabilistic
from cornu.metrics.base import MeanMetricWrapper, Metric
from cornu.utils.naming import to_snake_case

__all__ = ["is_binary_or_sparse_categorical", "resolve_crossentropy", "get_compile_metric", "get_compile_metrics"]

_ACCURACY_NAMES = ("accuracy", "acc")
_CROSSENTROPY_NAMES = ("crossentropy", "ce")
# Used only when no shapes are given: what the loss says about the targets.
_LOSS_KINDS = {
    "binary_crossentropy": "binary",
    "bce": "binary",
    "binary_focal_crossentropy": "binary",
    "sparse_categorical_crossentropy": "sparse",
    "categorical_crossentropy": "categorical",
    "categorical_focal_crossentropy": "categorical",
}


def is_binary_or_sparse_categorical(y_true, y_pred):
    """`(is_binary, is_sparse_categorical)` from example targets and predictions (tensors, arrays or shapes).

    Example:
    >>> is_binary_or_sparse_categorical((32,), (32, 10)), is_binary_or_sparse_categorical((32, 1), (32, 1))
    ((False, True), (True, False))
    """
    true_shape, pred_shape = _shape(y_true), _shape(y_pred)
    is_binary = pred_shape[-1] == 1
    is_sparse = len(true_shape) < len(pred_shape) or (true_shape[-1] == 1 and pred_shape[-1] > 1)
    return is_binary, is_sparse


def resolve_crossentropy(y_true, y_pred):
    """The crossentropy Keras means by `'crossentropy'`/`'ce'` for these shapes, by its loss-function name.

    Example:
    >>> resolve_crossentropy((32,), (32, 10)), resolve_crossentropy((32, 10), (32, 10))
    ('sparse_categorical_crossentropy', 'categorical_crossentropy')
    """
    is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
    if is_binary:
        return "binary_crossentropy"
    return "sparse_categorical_crossentropy" if is_sparse else "categorical_crossentropy"


def get_compile_metric(identifier, loss=None, y_true=None, y_pred=None):
    """A ready `Metric` for one entry of `compile(metrics=[...])`, named as Keras names it in `History`.

    Args:
        identifier: What the user wrote: a name (`'accuracy'`, `'acc'`, `'mse'`, `'AUC'`, ...), a `Metric`
            class or instance, a config dict, or a function `fn(y_true, y_pred)`.
        loss: The compiled loss (a name, function or `Loss`). Keras 3 ignores it; it is used only when
            `y_true`/`y_pred` are not given, to tell binary, sparse and one-hot targets apart.
        y_true: Example targets (one batch, a tensor or array) or just their shape.
        y_pred: Example predictions (one batch) or just their shape.

    Returns:
        A `Metric`. Its name is the string the user wrote (`'acc'` stays `'acc'`, `'mse'` stays `'mse'`),
        the metric's own name for a `Metric`, or the snake-cased `__name__` of a function.

    Example:
    >>> m = get_compile_metric("accuracy", "categorical_crossentropy", (32, 10), (32, 10))
    >>> type(m).__name__, m.name
    ('CategoricalAccuracy', 'accuracy')
    """
    if identifier is None:
        raise ValueError("Expected a metric, received None. Remove it from metrics=[...] or name one, e.g. 'mae'.")
    key = str(identifier).lower() if isinstance(identifier, str) else None
    if key in _ACCURACY_NAMES or key in _CROSSENTROPY_NAMES:
        metric = _by_target_kind(key, str(identifier), _target_kind(loss, y_true, y_pred))
    else:
        import cornu.metrics

        metric = cornu.metrics.get(identifier)
    if isinstance(identifier, str):
        name = identifier
    elif isinstance(metric, Metric):
        name = metric.name
    else:
        name = to_snake_case(getattr(metric, "__name__", type(metric).__name__))
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric, name=name)
    metric.name = name
    return metric


def get_compile_metrics(metrics, loss=None, y_true=None, y_pred=None):
    """`get_compile_metric` for each entry of a list (or a single entry); `None` gives `[]`.

    Example:
    >>> [m.name for m in get_compile_metrics(["acc", "mae"], "mse", (8, 1), (8, 1))]
    ['acc', 'mae']
    """
    if metrics is None:
        return []
    if isinstance(metrics, (str, dict, Metric)) or callable(metrics) or inspect.isclass(metrics):
        metrics = [metrics]
    return [get_compile_metric(m, loss, y_true, y_pred) for m in metrics]


def _target_kind(loss, y_true, y_pred):
    if y_true is not None and y_pred is not None:
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        return "binary" if is_binary else "sparse" if is_sparse else "categorical"
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", None) or to_snake_case(type(loss).__name__)
    return _LOSS_KINDS.get(str(name).lower(), "categorical")


def _by_target_kind(key, name, kind):
    if key in _ACCURACY_NAMES:
        classes = {
            "binary": accuracy_metrics.BinaryAccuracy,
            "sparse": accuracy_metrics.SparseCategoricalAccuracy,
            "categorical": accuracy_metrics.CategoricalAccuracy,
        }
    else:  # cornu also takes 'crossentropy' as a metric (Keras 3 only as a loss), resolved the same way
        classes = {
            "binary": probabilistic.BinaryCrossentropy,
            "sparse": probabilistic.SparseCategoricalCrossentropy,
            "categorical": probabilistic.CategoricalCrossentropy,
        }
    return classes[kind](name=name)


def _shape(x):
    if hasattr(x, "shape"):
        return tuple(x.shape)
    if isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x):
        return tuple(x)
    raise ValueError(f"Expected example targets/predictions (a tensor or array) or a shape tuple. Received: {x!r}")
