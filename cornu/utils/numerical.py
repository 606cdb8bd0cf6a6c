"""Array helpers the tutorials use: one-hot labels and normalisation."""

import numpy as np

__all__ = ["to_categorical", "normalize"]


def to_categorical(x, num_classes=None):
    """One-hot encodes integer class labels.

    Args:
        x: Array of integer labels, shape `(n,)` (or `(n, 1)`).
        num_classes: Number of classes. Defaults to `max(x) + 1`.

    Returns:
        A float32 array of shape `(n, num_classes)`.

    Example:
    >>> to_categorical([0, 2, 1], 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    x = np.asarray(x)
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if x.size and (np.any(x < 0) or np.any(np.round(x) != x)):
        raise ValueError("to_categorical needs non-negative integer labels, e.g. y = [0, 2, 1].")
    x = x.astype("int64")
    num_classes = int(x.max()) + 1 if num_classes is None else int(num_classes)
    if x.size and x.max() >= num_classes:
        raise ValueError(
            f"to_categorical: label {int(x.max())} does not fit num_classes={num_classes}; labels must be in "
            f"[0, {num_classes - 1}]."
        )
    return np.eye(num_classes, dtype="float32")[x]


def normalize(x, axis=-1, order=2):
    """Scales `x` to unit `order`-norm along `axis` (zero vectors stay zero).

    Example:
    >>> normalize(np.array([[3.0, 4.0]])).tolist()
    [[0.6, 0.8]]
    """
    x = np.asarray(x, dtype="float64" if np.asarray(x).dtype == np.float64 else "float32")
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)
