"""Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28x28 pixels, labels 0..9.

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.
License: Fashion-MNIST is by Zalando Research (Xiao, Rasul and Vollgraf, 2017), under the MIT license.
"""

import gzip
import os

import numpy as np

from cornu.datasets.cache import ORIGIN, fetch, local_copy

__all__ = ["load_data"]

# Keras downloads the four IDX files without a hash; these md5s are the ones Fashion-MNIST publishes for them.
FILES = {
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
}
CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")


def load_data(path=None):
    """Loads Fashion-MNIST as `(x_train, y_train), (x_test, y_test)` NumPy arrays of uint8.

    The four IDX files are taken from `~/.cornu/datasets/fashion-mnist`, else from Keras's
    `~/.keras/datasets/fashion-mnist`, else downloaded (and checked) from Keras's address.

    Args:
        path: cornu's addition, for a local copy: an `.npz` file with `x_train`, `y_train`, `x_test`, `y_test`
            (Keras's MNIST layout), or a folder holding the four `*-idx*-ubyte.gz` files. Defaults to `None`:
            the cache, or a download.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: images of shape `(60000, 28, 28)` and `(10000, 28, 28)` with values
        0..255, labels of shape `(60000,)` and `(10000,)` with values 0..9.

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "fashion_mnist.npz"
    >>> images, labels = np.zeros((2, 28, 28), "uint8"), np.array([9, 0], "uint8")
    >>> np.savez(path, x_train=images, y_train=labels, x_test=images, y_test=labels)
    >>> (x_train, y_train), (x_test, y_test) = load_data(path)
    >>> x_train.shape, y_train.tolist()
    ((2, 28, 28), [9, 0])
    """
    found = local_copy(path)
    if found is not None and found.is_file():
        with np.load(found, allow_pickle=False) as data:
            return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
    if found is not None:
        paths = [found / name for name in FILES]
    else:
        paths = [
            fetch(name, ORIGIN + name, md5, load_hint="fashion_mnist.load_data(path=...)", cache_subdir=CACHE_SUBDIR)
            for name, md5 in FILES.items()
        ]
    y_train, x_train, y_test, x_test = (_read_idx(p) for p in paths)
    return (x_train, y_train), (x_test, y_test)


def _read_idx(path):
    """An IDX file's array: labels after an 8-byte header, 28x28 images after a 16-byte one."""
    with gzip.open(path, "rb") as handle:
        raw = bytearray(handle.read())  # writable, unlike Keras's arrays over `bytes` (torch.from_numpy warns)
    if "labels" in os.path.basename(path):
        return np.frombuffer(raw, np.uint8, offset=8)
    return np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)
