"""Where dataset files come from and where they are kept.

Files are downloaded from the addresses Keras uses (`ORIGIN`, and the CIFAR site) into `~/.cornu/datasets`
(`$CORNU_HOME/datasets` when `CORNU_HOME` is set), each checked against Keras's hash. A file Keras has already
downloaded into `~/.keras/datasets` (or `$KERAS_HOME/datasets`) is used where it is. To download from a mirror, set
`CORNU_DATASETS_ORIGIN` to the URL of a folder that holds the files under their usual names
(`CORNU_DATASETS_ORIGIN=https://example.org/keras-datasets/` fetches `.../keras-datasets/mnist.npz`).
"""

import os
import urllib.parse
from pathlib import Path

from cornu.utils.file_utils import cornu_home, get_file

__all__ = ["ORIGIN", "ORIGIN_ENV", "origin", "cache_dir", "local_copy", "fetch"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ORIGIN_ENV = "CORNU_DATASETS_ORIGIN"


def origin(url):
    """The URL to fetch for `url`: itself, or its file name under the mirror in `$CORNU_DATASETS_ORIGIN`.

    Example:
    >>> import os
    >>> os.environ.pop(ORIGIN_ENV, None)
    >>> origin(ORIGIN + "mnist.npz")
    'https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz'
    >>> os.environ[ORIGIN_ENV] = "http://127.0.0.1:8000/mirror"
    >>> origin("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz")
    'http://127.0.0.1:8000/mirror/cifar-10-python.tar.gz'
    >>> del os.environ[ORIGIN_ENV]
    """
    mirror = os.environ.get(ORIGIN_ENV)
    if not mirror:
        return url
    return mirror.rstrip("/") + "/" + os.path.basename(urllib.parse.urlsplit(url).path)


def cache_dir():
    """cornu's dataset folder: `$CORNU_HOME/datasets`, by default `~/.cornu/datasets`.

    Example:
    >>> cache_dir().name
    'datasets'
    """
    return Path(cornu_home()) / "datasets"


def local_copy(path):
    """The local file or folder that `path` names, or `None` when `path` is a bare name to look up in the caches.

    Args:
        path: `None`, a file name such as `"mnist.npz"`, or a path to an existing copy.

    Returns:
        A `Path`, or `None`.

    Raises:
        FileNotFoundError: when `path` has a folder part but nothing is there.

    Example:
    >>> local_copy("mnist.npz") is None
    True
    """
    if path is None:
        return None
    candidate = Path(os.fspath(path)).expanduser()
    if candidate.exists():
        return candidate
    if len(candidate.parts) > 1:
        raise FileNotFoundError(
            f"No file at path={os.fspath(path)!r}. Pass the path of a local copy of the data set, or leave `path` "
            f"out to download it into {cache_dir()}."
        )
    return None


def fetch(fname, url, file_hash, load_hint="load_data(path=...)", **kwargs):
    """`get_file` for a data set file: the mirror applied, and an offline error saying every way to provide it.

    Args:
        fname: Name of the file in the cache.
        url: Keras's URL of the file.
        file_hash: Keras's sha256 (or md5) of the file.
        load_hint: How the error message tells users to pass a local copy. Defaults to `"load_data(path=...)"`.
        **kwargs: More `get_file` arguments (`extract`, `cache_subdir`).

    Returns:
        The local path that `get_file` returns.

    Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "tiny.csv").write_text("1,2")
    3
    >>> path = fetch("tiny.csv", (folder / "tiny.csv").as_uri(), None, cache_dir=folder / "cache")
    ... # doctest: +ELLIPSIS
    Downloading data from file:///...
    ...
    >>> pathlib.Path(path).read_text()
    '1,2'
    """
    try:
        return get_file(fname, origin=origin(url), file_hash=file_hash, **kwargs)
    except ConnectionError as err:
        raise ConnectionError(
            f"{err} A copy in Keras's cache (~/.keras/datasets, or $KERAS_HOME/datasets) is used as well. Or pass a "
            f"local copy with {load_hint}, or set {ORIGIN_ENV} to the URL of a mirror folder holding the file."
        ) from None
