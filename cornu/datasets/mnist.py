"""MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels, labels 0..9."""

import warnings
from importlib import resources

import numpy as np

from cornu.datasets.cache import cache_dir, find_cached

__all__ = ["load_data"]

_warned = []


def load_data(path="mnist.npz"):
    """Loads MNIST as `(x_train, y_train), (x_test, y_test)` NumPy arrays (uint8 images, uint8 labels).

    The full data set is read from `path` if that file exists, else from `~/.cornu/datasets/mnist.npz`, else from
    Keras's cache `~/.keras/datasets/mnist.npz`. With none of them (e.g. offline), the class-balanced sample
    shipped inside cornu is used (10,000 training and 2,000 test images), with a warning saying so.

    Args:
        path: File name in the cache folders, or a path to a local `mnist.npz`. Defaults to `"mnist.npz"`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: images of shape `(n, 28, 28)`, labels of shape `(n,)`.

    Example:
    >>> (x_train, y_train), (x_test, y_test) = load_data()
    >>> x_train.shape[1:], x_train.dtype
    ((28, 28), dtype('uint8'))
    """
    found = find_cached(path)
    if found is None:
        return load_sample()
    with np.load(found) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def load_sample():
    """The MNIST sample that ships with cornu: 10,000 training and 2,000 test images, 10% and 20% of each digit."""
    if not _warned:
        _warned.append(True)
        warnings.warn(
            f"Full MNIST not found, so the 10,000-image sample shipped with cornu is used. For all 70,000 images, "
            f"put mnist.npz (Keras's file) in {cache_dir()} or ~/.keras/datasets, or pass load_data(path=...).",
            stacklevel=3,
        )
    with resources.files("cornu.datasets").joinpath("data/mnist_sample.npz").open("rb") as handle:
        with np.load(handle) as data:
            return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
