"""CIFAR-100: 50,000 training and 10,000 test colour images of 32x32 pixels in 100 classes (20 superclasses).

Source: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009.
"""

import numpy as np

from cornu.datasets.cifar import batch_reader, to_image_layout

__all__ = ["load_data"]

URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
FOLDER = "cifar-100-python"


def load_data(label_mode="fine", path=None):
    """Loads CIFAR-100 as `(x_train, y_train), (x_test, y_test)` NumPy arrays.

    The archive is taken from `~/.cornu/datasets`, else from Keras's cache, else downloaded (and checked) from the
    CIFAR site into `~/.cornu/datasets`. Its pickled batches are read without running code from them.

    Args:
        label_mode: `"fine"` for the 100 classes, `"coarse"` for the 20 superclasses. Defaults to `"fine"`.
        path: cornu's addition, for a local copy: the `cifar-100-python.tar.gz` archive, or the extracted
            `cifar-100-python` folder (or the folder holding it). Defaults to `None`: the cache, or a download.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(50000, 32, 32, 3)` and
        `(10000, 32, 32, 3)` (`(n, 3, 32, 32)` when the image data format is `"channels_first"`), int64 labels of
        shape `(50000, 1)` and `(10000, 1)` (as Keras returns them).

    Example:
    >>> import pathlib, pickle, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("train", "test"):
    ...     batch = {b"data": np.zeros((2, 3072), "uint8"), b"fine_labels": [42, 7], b"coarse_labels": [3, 1]}
    ...     _ = (folder / name).write_bytes(pickle.dumps(batch))
    >>> (x_train, y_train), (x_test, y_test) = load_data("coarse", path=folder)
    >>> x_train.shape, y_train.tolist()
    ((2, 32, 32, 3), [[3], [1]])
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be "fine" or "coarse". Received: label_mode={label_mode!r}')
    read = batch_reader(path, FOLDER, URL, FILE_HASH, "train")
    x_train, y_train = read("train", f"{label_mode}_labels")
    x_test, y_test = read("test", f"{label_mode}_labels")
    y_train, y_test = np.reshape(y_train, (-1, 1)), np.reshape(y_test, (-1, 1))
    return (to_image_layout(x_train), y_train), (to_image_layout(x_test), y_test)
