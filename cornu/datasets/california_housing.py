"""California Housing: 20,640 census block groups of 1990, 8 attributes each, and their median house value in $.

Attributes, in column order: median income, median house age, average rooms and average bedrooms per household,
population, average household size, latitude, longitude. Source: StatLib (Pace and Barry, 1997).
"""

import numpy as np

from cornu.datasets.boston_housing import _check_split, shuffle_split
from cornu.datasets.cache import ORIGIN, fetch, local_copy

__all__ = ["load_data"]

URL = ORIGIN + "california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"
SMALL_ROWS = 600


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads California Housing as `(x_train, y_train), (x_test, y_test)` NumPy arrays.

    The rows (the first 600 for `version="small"`) are shuffled with `seed`, then the last `test_split` of them is
    the test set. The file is taken from `path` if it names a local copy, else from `~/.cornu/datasets`, else from
    Keras's cache, else downloaded.

    Args:
        version: `"large"` for all 20,640 rows, `"small"` for the first 600. Defaults to `"large"`.
        path: A local copy of Keras's `california_housing.npz`, or the file name in the cache. Defaults to
            `"california_housing.npz"`.
        test_split: Fraction of the rows kept for the test set, in `[0, 1)`. Defaults to `0.2`.
        seed: Seed of the shuffle. Defaults to `113`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` of shape `(n, 8)`, `y` of shape `(n,)`; 16,512 training and
        4,128 test rows by default (480 and 120 for `"small"`).

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "california_housing.npz"
    >>> np.savez(path, x=np.zeros((1000, 8), "float32"), y=np.zeros(1000, "float32"))
    >>> (x_train, y_train), (x_test, y_test) = load_data("small", path=path)
    >>> x_train.shape, x_test.shape
    ((480, 8), (120, 8))
    """
    _check_split(test_split)
    if version not in ("large", "small"):
        raise ValueError(f"`version` must be 'small' or 'large'. Received: version={version!r}")
    found = local_copy(path) or fetch(path, URL, FILE_HASH, load_hint="california_housing.load_data(path=...)")
    with np.load(found, allow_pickle=False) as data:
        x, y = data["x"], data["y"]
    if version == "small":
        x, y = x[:SMALL_ROWS], y[:SMALL_ROWS]
    return shuffle_split(x, y, test_split, seed)
