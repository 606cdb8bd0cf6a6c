"""MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels, labels 0..9.

License: MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, under CC BY-SA 3.0.
"""

import warnings
from importlib import resources

import numpy as np

from cornu.datasets.cache import ORIGIN, fetch, local_copy

__all__ = ["load_data", "load_sample"]

URL = ORIGIN + "mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

_warned = []


def load_data(path="mnist.npz"):
    """Loads MNIST as `(x_train, y_train), (x_test, y_test)` NumPy arrays of uint8.

    `path` is a local copy of Keras's `mnist.npz` if such a file exists, else the file's name in the cache: it is
    taken from `~/.cornu/datasets`, else from Keras's `~/.keras/datasets`, else downloaded (and checked) into
    `~/.cornu/datasets`. Without a network and without a copy, the class-balanced sample shipped inside cornu is
    returned instead (10,000 training and 2,000 test images), with a warning saying so, so that examples still run.

    Args:
        path: A path to a local `mnist.npz`, or the file name in the cache. Defaults to `"mnist.npz"`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: images of shape `(60000, 28, 28)` and `(10000, 28, 28)` with values
        0..255, labels of shape `(60000,)` and `(10000,)` with values 0..9.

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mnist.npz"
    >>> images, labels = np.zeros((3, 28, 28), "uint8"), np.array([7, 2, 1], "uint8")
    >>> np.savez(path, x_train=images, y_train=labels, x_test=images[:1], y_test=labels[:1])
    >>> (x_train, y_train), (x_test, y_test) = load_data(path)
    >>> x_train.shape, y_train.tolist(), x_test.dtype
    ((3, 28, 28), [7, 2, 1], dtype('uint8'))
    """
    found = local_copy(path)
    if found is None:
        try:
            found = fetch(path, URL, FILE_HASH, load_hint="mnist.load_data(path=...)")
        except ConnectionError as err:
            return load_sample(reason=err)
    with np.load(found, allow_pickle=False) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def load_sample(reason=None):
    """The MNIST sample that ships with cornu: 10,000 training and 2,000 test images, 10% and 20% of each digit.

    `load_data` falls back to it when MNIST can be neither found nor downloaded; it warns once per process.

    Args:
        reason: Optional exception or text saying why the full data set is not used, put in the warning.
            Defaults to `None`: no warning.

    Returns:
        `(x_train, y_train), (x_test, y_test)` as `load_data` returns them, with 10,000 and 2,000 images.

    Example:
    >>> (x_train, y_train), (x_test, y_test) = load_sample()
    >>> x_train.shape, x_test.shape, np.bincount(y_train).tolist()[:3]
    ((10000, 28, 28), (2000, 28, 28), [1000, 1000, 1000])
    """
    if reason is not None and not _warned:
        _warned.append(True)
        warnings.warn(
            f"Full MNIST is not available, so the 10,000-image sample shipped with cornu is used instead. {reason}",
            stacklevel=3,
        )
    with resources.files("cornu.datasets").joinpath("data/mnist_sample.npz").open("rb") as handle:
        with np.load(handle, allow_pickle=False) as data:
            return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
