"""`keras.utils.np_utils`: the Keras 1/2 home of `to_categorical`, with its old argument names.

Keras 1 wrote `np_utils.to_categorical(y, nb_classes)`, Keras 2 `to_categorical(y, num_classes, dtype)`; both
give the float32 one-hot array of `cornu.utils.to_categorical` (Keras 3 kept the function, not the module).

Example:
>>> to_categorical([1, 0], 3).tolist()
[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
"""

import numpy as np

from cornu.legacy.translate import warn_once
from cornu.utils.numerical import normalize
from cornu.utils.numerical import to_categorical as _to_categorical

__all__ = ["to_categorical", "normalize", "probas_to_classes", "categorical_probas_to_classes"]


def to_categorical(y, num_classes=None, dtype="float32", nb_classes=None):
    """One-hot encodes integer labels `y` into `num_classes` columns (Keras 1's `nb_classes` is accepted).

    Args:
        y: Integer labels, shape `(n,)` or `(n, 1)`.
        num_classes: Number of classes. Defaults to `max(y) + 1`.
        dtype: The result's numpy dtype. Defaults to `"float32"`.
        nb_classes: Keras 1's name of `num_classes` (warns once).

    Returns:
        An array of shape `(n, num_classes)`.

    Example:
    >>> to_categorical(np.array([[2], [0]]), 3, dtype="int64").tolist()
    [[0, 0, 1], [1, 0, 0]]
    """
    if nb_classes is not None:
        if num_classes is not None:
            raise TypeError(
                "to_categorical received both `nb_classes` (Keras 1) and `num_classes`. Keep only "
                f"num_classes={num_classes!r}."
            )
        warn_once(
            ("to_categorical", "nb_classes"),
            f"`nb_classes` is the Keras 1 name of `num_classes`; write `num_classes={nb_classes!r}`.",
        )
        num_classes = nb_classes
    return _to_categorical(y, num_classes).astype(dtype, copy=False)


def probas_to_classes(y_pred):
    """Keras 1's class of each row: the argmax for several columns, `p > 0.5` for one column.

    Example:
    >>> probas_to_classes(np.array([[0.2, 0.8], [0.9, 0.1]])).tolist()
    [1, 0]
    """
    y_pred = np.asarray(y_pred)
    if y_pred.ndim > 1 and y_pred.shape[1] > 1:
        return categorical_probas_to_classes(y_pred)
    return (y_pred > 0.5).astype("int32").reshape(len(y_pred))


def categorical_probas_to_classes(p):
    """Keras 1's `np.argmax(p, axis=1)`."""
    return np.argmax(np.asarray(p), axis=1)
