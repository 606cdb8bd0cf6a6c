"""The `weights=` argument of every application: `None`, `"imagenet"` or the path of a weights file.

`"imagenet"` fetches the file Keras publishes for that model (Keras 2 layout `.h5`, matched to the layers by their
order, as Keras loads it) through `cornu.utils.file_utils.get_file`, which keeps it in the cache and reuses a copy
already downloaded by Keras. A path is loaded with `model.load_weights(path)`: `.h5` files in the Keras 2 layout
(Keras's published files, `save_weights("w.h5")`), Keras 3 `.weights.h5` files and `.keras` files all work.
"""

import os
from collections import namedtuple

__all__ = ["WeightsFile", "check_weights", "load_weights", "fetch"]

WeightsFile = namedtuple("WeightsFile", ["name", "url", "file_hash"])
WeightsFile.__doc__ = """A published file: its name in the cache, where it is downloaded from, and its hash (or None).

>>> WeightsFile("w.h5", "https://example.com/w.h5", None).name
'w.h5'
"""


def check_weights(weights, include_top, classes):
    """Refuses a `weights` that is not None, "imagenet" or an existing file, and ImageNet tops with other classes.

    Example:
    >>> check_weights(None, include_top=True, classes=10)
    >>> check_weights("imagenet", include_top=False, classes=10)
    """
    if not (weights is None or weights == "imagenet" or _exists(weights)):
        raise ValueError(
            f"weights must be None (random initialization), 'imagenet' (the published ImageNet weights) or the path "
            f"of a weights file. Received: weights={weights!r}"
            + (" (no such file)." if isinstance(weights, (str, os.PathLike)) else ".")
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            f"The ImageNet classifier has 1000 classes. Received: classes={classes}. For another number of classes "
            f"pass include_top=False and add your own head, or pass weights=None."
        )


def load_weights(model, weights, imagenet_file):
    """Loads `weights` into `model`: nothing for None, the published `imagenet_file` for "imagenet", or a path.

    Example:
    >>> from cornu.layers import Dense, Input
    >>> x = Input(shape=(2,))
    >>> model = cornu.models.Model(x, Dense(1)(x))
    >>> load_weights(model, None, None) is model
    True
    """
    if weights is None:
        return model
    if weights == "imagenet":
        if imagenet_file is None:
            raise ValueError(f"There are no published ImageNet weights for model '{model.name}'. Pass weights=None.")
        weights = fetch(imagenet_file, what=f"the ImageNet weights of '{model.name}'")
    model.load_weights(os.fspath(weights))
    return model


def fetch(spec, what, instead=None):
    """The local path of the published file `spec` (a `WeightsFile`), downloaded once into the `models` cache.

    Offline, the error names the file and the URL, where to copy it, and `instead`: how to use a copy kept
    elsewhere (by default: pass its path as `weights=`).
    """
    from cornu.utils.file_utils import get_file  # the downloader is needed only when a file is fetched

    try:
        return get_file(spec.name, spec.url, cache_subdir="models", file_hash=spec.file_hash)
    except ConnectionError as error:
        raise ConnectionError(
            f"Could not fetch {what}: {error} Or download {spec.url} yourself and "
            + (instead or f"pass its path, e.g. weights='/path/to/{spec.name}'.")
        ) from None


def _exists(weights):  # a file, or a folder (an unzipped `.keras`), as Keras accepts
    return isinstance(weights, (str, os.PathLike)) and os.path.exists(weights)
