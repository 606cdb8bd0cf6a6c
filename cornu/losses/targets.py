"""`check_targets`: does the target array fit the loss and the model's output? Asked once, before training.

Loss functions do no shape checks per step (that would cost every step, and torch would often broadcast a
wrong shape silently instead of failing), so the trainer asks here once, with the whole target array's shape,
and the user gets an error naming the fix instead of a loss that quietly trains on the wrong thing.
"""

import math
import warnings

from cornu.losses import margin as _margin
from cornu.losses import probabilistic as _probabilistic
from cornu.losses import regression as _regression
from cornu.losses import segmentation as _segmentation
from cornu.losses.base import LossFunctionWrapper
from cornu.losses.serialization import get
from cornu.utils.shapes import format_shape

__all__ = ["check_targets"]

# What each built-in loss needs of its targets: the model output's own shape ("one_hot", "binary"), one class
# index per output position ("sparse"), or any shape that broadcasts against the output ("elementwise").
_FAMILIES = {
    _probabilistic.categorical_crossentropy: "one_hot",
    _probabilistic.categorical_focal_crossentropy: "one_hot",
    _margin.categorical_hinge: "one_hot",
    _probabilistic.sparse_categorical_crossentropy: "sparse",
    _probabilistic.categorical_generalized_cross_entropy: "sparse",
    _probabilistic.binary_crossentropy: "binary",
    _probabilistic.binary_focal_crossentropy: "binary",
    **{
        fn: "elementwise"
        for fn in (
            _regression.mean_squared_error,
            _regression.mean_absolute_error,
            _regression.mean_absolute_percentage_error,
            _regression.mean_squared_logarithmic_error,
            _regression.cosine_similarity,
            _regression.huber,
            _regression.log_cosh,
            _probabilistic.kl_divergence,
            _probabilistic.poisson,
            _margin.hinge,
            _margin.squared_hinge,
            _segmentation.dice,
            _segmentation.tversky,
        )
    },
}


class _Batch:
    """The batch axis: it matches itself (and unknown axes), never a fixed size."""

    def __repr__(self):
        return "None"


_BATCH = _Batch()


def check_targets(loss, y_true_shape, y_pred_shape):
    """Raises a ValueError naming the fix when targets of shape `y_true_shape` cannot train `loss`.

    Losses that cornu does not know (user functions and `Loss` subclasses) are not checked.

    Args:
        loss: A loss name, function, `Loss` instance or config dict, as given to `compile`.
        y_true_shape: The shape of the whole target array, e.g. `(60000,)` or `(60000, 10)`.
        y_pred_shape: The model output's shape with the batch axis as `None`, e.g. `(None, 10)`.

    Example:
    >>> check_targets("sparse_categorical_crossentropy", (60000,), (None, 10))
    >>> check_targets("categorical_crossentropy", (60000, 1), (None, 10))
    Traceback (most recent call last):
    ...
    ValueError: 'categorical_crossentropy' expects one-hot targets of shape (None, 10), but y has shape (60000, 1).
        Use loss='sparse_categorical_crossentropy', or y = cornu.utils.to_categorical(y, 10).
    """
    fn, options = _identify(loss)
    family = _FAMILIES.get(fn)
    if family is None or len(y_true_shape) == 0 or len(y_pred_shape) == 0:
        return
    true = (_BATCH, *(None if d is None else int(d) for d in y_true_shape[1:]))
    pred = (_BATCH, *(None if d is None else int(d) for d in y_pred_shape[1:]))
    true, pred = _same_rank(true, pred)
    problem = {"one_hot": _one_hot, "sparse": _sparse, "binary": _binary, "elementwise": _elementwise}[family]
    message = problem(fn.__name__, options, true, pred, int(y_true_shape[0]))
    if message:
        head, fix = message
        raise ValueError(f"{head}, but y has shape {format_shape(y_true_shape)}.\n    {fix}")


def _identify(loss):
    if isinstance(loss, (str, dict)):
        loss = get(loss)
    if isinstance(loss, LossFunctionWrapper):
        return loss.fn, loss._fn_kwargs
    return loss, {}


def _same_rank(true, pred):
    # The shape arithmetic of LossFunctionWrapper: a trailing axis of size 1 is squeezed or added.
    if len(true) == len(pred) + 1 and true[-1] == 1:
        return (true, pred + (1,)) if len(pred) == 1 else (true[:-1], pred)
    if len(pred) == len(true) + 1 and pred[-1] == 1:
        return (true + (1,), pred) if len(true) == 1 else (true, pred[:-1])
    return true, pred


def _one_hot(name, options, true, pred, n):
    if _equal(true, pred):
        if pred[-1] == 1 and name != "categorical_hinge":
            warnings.warn(
                f"'{name}' expects outputs of shape (batch_size, num_classes) with num_classes > 1, but the model's "
                f"output has shape {_show(pred)}: the loss is always 0. Use 'binary_crossentropy' for 2 "
                "classes.",
                SyntaxWarning,
                stacklevel=3,
            )
        return None
    head = f"'{name}' expects one-hot targets of shape {_show(pred)}"
    classes = pred[-1]
    to_categorical = f"y = cornu.utils.to_categorical(y, {classes})"
    if _looks_like_labels(true, pred) and name == "categorical_crossentropy":
        sparse = "'sparse_categorical_crossentropy'"
        if options.get("from_logits"):
            sparse = "cornu.losses.SparseCategoricalCrossentropy(from_logits=True)"
        return head, f"Use loss={sparse}, or {to_categorical}."
    if _looks_like_labels(true, pred):
        return head, f"Use {to_categorical}."
    return head, _reshape_fix(true, pred, n)


def _sparse(name, options, true, pred, n):
    axis = options.get("axis", -1)
    if len(pred) < 2:
        return f"'{name}' expects a model output with a class axis, not {_show(pred)}", (
            "Give the model a last layer with one unit per class (e.g. Dense(num_classes, activation='softmax'))."
        )
    if len(true) == len(pred) and true[axis] == 1:
        true = true[: axis % len(true)] + true[axis % len(true) + 1 :]
    expected = pred[: axis % len(pred)] + pred[axis % len(pred) + 1 :]
    if _equal(true, expected):
        return None
    shapes = f"{_show(expected)} or {_show(expected + (1,))}" if axis in (-1, len(pred) - 1) else ""
    head = f"'{name}' expects integer class targets of shape {shapes or _show(expected)}"
    if _equal(true, pred):
        dense = "'categorical_crossentropy'"
        if options.get("from_logits"):
            dense = "cornu.losses.CategoricalCrossentropy(from_logits=True)"
        return head, f"Use loss={dense}, or y = y.argmax(axis={axis})."
    return head, f"Give one class index in [0, {pred[axis]}) per sample{_reshape_hint(expected, n)}."


def _binary(name, options, true, pred, n):
    if _equal(true, pred):
        return None
    head = f"'{name}' expects one 0/1 target per output, of shape {_show(pred)}"
    if pred[-1] is not None and pred[-1] > 1 and _looks_like_labels(true, pred):
        classes = pred[-1]
        return head, (
            f"For one class out of {classes} use loss='sparse_categorical_crossentropy' with a softmax output, "
            f"or y = cornu.utils.to_categorical(y, {classes}) for {classes} yes/no labels."
        )
    return head, _reshape_fix(true, pred, n)


def _elementwise(name, options, true, pred, n):
    if len(true) == len(pred) and all(_broadcasts(a, b) for a, b in zip(true, pred, strict=True)):
        return None
    if len(true) != len(pred) and _broadcast_shapes_match(true, pred):
        return None
    return f"'{name}' expects targets shaped like the model's output {_show(pred)}", _reshape_fix(true, pred, n)


def _looks_like_labels(true, pred):
    # One value per sample (and per position): (N,) or (N, 1) against (None, classes).
    return _equal(true, pred[:-1]) or _equal(true, pred[:-1] + (1,))


def _reshape_fix(true, pred, n):
    wanted = (n, *pred[1:])
    true = true if len(true) > 1 else (*true, 1)  # a Dense(1) output fits targets of shape (n,)
    return f"Make the model's output {_show(true)}, or give y the shape {_show(wanted)}{_count(pred)}."


def _reshape_hint(expected, n):
    return f", as an array of shape {_show((n, *expected[1:]))}"


def _count(pred):
    values = [d for d in pred[1:] if d is not None]
    return f" ({math.prod(values)} values per sample)" if len(values) == len(pred) - 1 and values else ""


def _show(shape):
    return format_shape(tuple(None if d is _BATCH else d for d in shape))


def _equal(a, b):
    return len(a) == len(b) and all(_same_dim(x, y) for x, y in zip(a, b, strict=True))


def _same_dim(a, b):
    return a is None or b is None or a is b or (a is not _BATCH and b is not _BATCH and a == b)


def _broadcasts(a, b):
    return _same_dim(a, b) or (a is not _BATCH and b is not _BATCH and (a == 1 or b == 1))


def _broadcast_shapes_match(true, pred):
    # numpy's rule, aligning trailing axes; the batch axis must meet the batch axis.
    for a, b in zip(reversed(true), reversed(pred), strict=False):
        if not _broadcasts(a, b):
            return False
    return True
