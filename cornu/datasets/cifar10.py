"""CIFAR-10: 50,000 training and 10,000 test colour images of 32x32 pixels in 10 classes.

Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.
Source: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009.
"""

import numpy as np

from cornu.datasets.cifar import batch_reader, to_image_layout

__all__ = ["load_data"]

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
FOLDER = "cifar-10-batches-py"


def load_data(path=None):
    """Loads CIFAR-10 as `(x_train, y_train), (x_test, y_test)` NumPy arrays of uint8.

    The archive is taken from `~/.cornu/datasets`, else from Keras's cache, else downloaded (and checked) from the
    CIFAR site into `~/.cornu/datasets`. Its pickled batches are read without running code from them.

    Args:
        path: cornu's addition, for a local copy: the `cifar-10-python.tar.gz` archive, or the extracted
            `cifar-10-batches-py` folder (or the folder holding it). Defaults to `None`: the cache, or a download.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: images of shape `(50000, 32, 32, 3)` and `(10000, 32, 32, 3)`
        (`(n, 3, 32, 32)` when the image data format is `"channels_first"`) with values 0..255, labels of shape
        `(50000, 1)` and `(10000, 1)` with values 0..9.

    Example:
    >>> import pathlib, pickle, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
    ...     batch = {b"data": np.zeros((1, 3072), "uint8"), b"labels": [3]}
    ...     _ = (folder / name).write_bytes(pickle.dumps(batch))
    >>> (x_train, y_train), (x_test, y_test) = load_data(folder)
    >>> x_train.shape, y_train.shape, y_test.tolist()
    ((5, 32, 32, 3), (5, 1), [[3]])
    """
    read = batch_reader(path, FOLDER, URL, FILE_HASH, "data_batch_1")
    batches = [read(f"data_batch_{i}", "labels") for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in batches]).astype("uint8", copy=False)
    y_train = np.concatenate([np.asarray(labels, "uint8") for _, labels in batches]).reshape(-1, 1)
    x_test, y_test = read("test_batch", "labels")
    x_test, y_test = x_test.astype("uint8", copy=False), np.asarray(y_test, "uint8").reshape(-1, 1)
    return (to_image_layout(x_train), y_train), (to_image_layout(x_test), y_test)
