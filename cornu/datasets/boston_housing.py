"""Boston Housing: 506 Boston suburbs of the 1970s, 13 attributes each, and their median house value in k$.

Warning (as Keras gives it): one attribute, "B", encodes an assumption about race and house prices; use this
data set to discuss ethics in machine learning, not as a benchmark. Source: StatLib, Carnegie Mellon University.
"""

import numpy as np

from cornu.datasets.cache import ORIGIN, fetch, local_copy

__all__ = ["load_data", "shuffle_split"]

URL = ORIGIN + "boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads Boston Housing as `(x_train, y_train), (x_test, y_test)` NumPy arrays.

    The rows are shuffled with `seed`, then the last `test_split` of them is the test set. The file is taken from
    `path` if it names a local copy, else from `~/.cornu/datasets`, else from Keras's cache, else downloaded.

    Args:
        path: A local copy of Keras's `boston_housing.npz`, or the file name in the cache. Defaults to
            `"boston_housing.npz"`.
        test_split: Fraction of the rows kept for the test set, in `[0, 1)`. Defaults to `0.2`.
        seed: Seed of the shuffle. Defaults to `113`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` of shape `(n, 13)`, `y` (median values in k$) of shape `(n,)`;
        404 training and 102 test rows by default.

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "boston_housing.npz"
    >>> np.savez(path, x=np.arange(130.0).reshape(10, 13), y=np.arange(10.0))
    >>> (x_train, y_train), (x_test, y_test) = load_data(path)
    >>> x_train.shape, x_test.shape, bool((x_test[:, 0] / 13 == y_test).all())
    ((8, 13), (2, 13), True)
    """
    _check_split(test_split)
    found = local_copy(path) or fetch(path, URL, FILE_HASH, load_hint="boston_housing.load_data(path=...)")
    with np.load(found, allow_pickle=False) as data:
        return shuffle_split(data["x"], data["y"], test_split, seed)


def shuffle_split(x, y, test_split, seed):
    """`x` and `y` shuffled by `np.random.RandomState(seed)` and split, the last `test_split` for testing (Keras's
    order, so the same seed gives the same rows as Keras).

    Example:
    >>> (x_train, y_train), (x_test, y_test) = shuffle_split(np.arange(5), np.arange(5), 0.4, seed=113)
    >>> len(x_train), len(x_test), sorted(x_train.tolist() + x_test.tolist())
    (3, 2, [0, 1, 2, 3, 4])
    """
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    split = int(len(x) * (1 - test_split))
    return (np.array(x[:split]), np.array(y[:split])), (np.array(x[split:]), np.array(y[split:]))


def _check_split(test_split):
    if not 0 <= test_split < 1:
        raise ValueError(f"`test_split` must be in [0, 1), e.g. 0.2. Received: test_split={test_split}")
