"""`save_model`, `load_model`, `save_weights`, `load_weights`: one entry point each, the format chosen by suffix.

`.keras` is Keras 3's zip (the default), `.h5`/`.hdf5` the Keras 2 layout, `.weights.h5` Keras 3's weights-only
file. Every write is atomic; every read refuses code (`safe_mode`) and names the file in its errors.
"""

import os

from cornu.saving import keras_zip, legacy_h5, weights_h5
from cornu.saving.atomic import atomic_path, check_overwrite

__all__ = ["save_model", "load_model", "save_weights", "load_weights"]

_H5 = (".h5", ".hdf5")


def _suffix(filepath):
    return os.fspath(filepath).lower()


def save_model(model, filepath, overwrite=True, zipped=None, include_optimizer=True):
    """Saves the architecture, weights, compile config and optimizer state of `model`.

    Args:
        model: The model to save.
        filepath: Path ending in `.keras` (Keras 3's zip) or `.h5` (the Keras 2 layout).
        overwrite: Whether to replace an existing file. Defaults to `True` (`False` raises FileExistsError).
        zipped: For `.keras`: `False` writes a folder instead of a zip. Defaults to `None` (a zip).
        include_optimizer: For `.h5`: whether to save the optimizer state. Defaults to `True`.

    Example:
    >>> import os, tempfile
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(2, input_shape=(3,))])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> save_model(model, path)
    >>> load_model(path).count_params()
    8
    """
    name = _suffix(filepath)
    check_overwrite(filepath, overwrite)
    if name.endswith(".keras"):
        keras_zip.save_keras(model, filepath, zipped=zipped)
    elif name.endswith(_H5):
        legacy_h5.save_legacy_h5(model, filepath, include_optimizer=include_optimizer)
    else:
        raise ValueError(
            f"save_model: cannot tell the format of {os.fspath(filepath)!r}. End the path in '.keras' (Keras 3's "
            f"format, recommended) or '.h5' (the Keras 2 layout)."
        )


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model saved at `filepath` (`.keras` zip or folder, or `.h5`), by cornu or by Keras.

    Args:
        filepath: The file to read.
        custom_objects: Dict of your own classes and functions the file names, e.g. `{"MyLayer": MyLayer}`.
            Defaults to `None`.
        compile: Whether to compile the model as it was saved (and restore the optimizer state). Defaults to `True`.
        safe_mode: Whether to refuse files holding Python code (a `Lambda`'s lambda). Defaults to `True`.

    Example:
    >>> import os, tempfile
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(1, input_shape=(2,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "m.h5")
    >>> save_model(model, path)
    >>> type(load_model(path).optimizer).__name__
    'SGD'
    """
    name = _suffix(filepath)
    if name.endswith(".keras") or os.path.isdir(filepath):
        return keras_zip.load_keras(filepath, custom_objects, compile, safe_mode)
    if name.endswith(_H5):
        return legacy_h5.load_legacy_h5(filepath, custom_objects, compile, safe_mode)
    raise ValueError(
        f"load_model: cannot tell the format of {os.fspath(filepath)!r}. Expected a path ending in '.keras' or '.h5'."
    )


def save_weights(model, filepath, overwrite=True):
    """Saves the weights only: `*.weights.h5` in Keras 3's layout, other `*.h5` in the Keras 2 layout.

    Keras 3 refuses names that do not end in `.weights.h5`; cornu also writes `model.save_weights('w.h5')` as
    Keras 2 did, because old tutorials do.

    Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(1, input_shape=(2,), kernel_initializer="ones")])
    >>> path = os.path.join(tempfile.mkdtemp(), "w.weights.h5")
    >>> save_weights(model, path)
    >>> model.set_weights([np.zeros((2, 1)), np.zeros(1)])
    >>> load_weights(model, path)
    >>> model.get_weights()[0].ravel().tolist()
    [1.0, 1.0]
    """
    name = _suffix(filepath)
    check_overwrite(filepath, overwrite)
    if name.endswith(".weights.h5"):
        h5py = weights_h5.require_h5py()
        with atomic_path(filepath) as tmp, h5py.File(tmp, "w") as f:
            weights_h5.write_weights(f, model)
    elif name.endswith(_H5):
        legacy_h5.save_legacy_weights(model, filepath)
    else:
        raise ValueError(
            f"save_weights: the path must end in '.weights.h5' (Keras 3) or '.h5' (Keras 2 layout). "
            f"Received: filepath={os.fspath(filepath)!r}"
        )


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Loads weights from a `.weights.h5`, `.h5` or `.keras` file into `model` (matched by order, or by name).

    Args:
        skip_mismatch: Skip (with a warning) layers whose weights do not fit instead of raising. Defaults to `False`.
        by_name: For Keras 2 layout `.h5` files: match layers by name instead of order. Defaults to `False`.

    Example:
    >>> import os, tempfile
    >>> from cornu.layers import Dense
    >>> source = cornu.models.Sequential([Dense(1, input_shape=(2,), name="out")])
    >>> target = cornu.models.Sequential([Dense(1, input_shape=(2,), name="out")])
    >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
    >>> save_weights(source, path)
    >>> load_weights(target, path, by_name=True)
    >>> bool((target.get_weights()[0] == source.get_weights()[0]).all())
    True
    """
    name = _suffix(filepath)
    if by_name and not (name.endswith(_H5) and not name.endswith(".weights.h5")):
        raise ValueError(
            f"load_weights: by_name=True works with Keras 2 layout '.h5' files; {os.fspath(filepath)!r} matches "
            f"layers by their place in the model. Drop by_name, or save the weights with save_weights('w.h5')."
        )
    if name.endswith(".keras"):
        return keras_zip.load_keras_weights(filepath, model, skip_mismatch)
    if name.endswith(".weights.h5"):
        return _load_keras3_weights(model, filepath, skip_mismatch)
    if name.endswith(_H5):
        return legacy_h5.load_legacy_weights(filepath, model, skip_mismatch, by_name)
    raise ValueError(
        f"load_weights: cannot tell the format of {os.fspath(filepath)!r}; expected '.weights.h5', '.h5' or '.keras'."
    )


def _load_keras3_weights(model, filepath, skip_mismatch):
    h5py = weights_h5.require_h5py()
    where = f"{os.fspath(filepath)!r}"
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: {where}. Check the path.")
    try:
        f = h5py.File(filepath, "r")
    except OSError as error:
        raise ValueError(
            f"{where} is not a readable HDF5 file ({error}). It is damaged, truncated or not HDF5."
        ) from None
    with f:
        if "layer_names" in f.attrs or "model_weights" in f:  # a Keras 2 layout file given a Keras 3 name
            return legacy_h5.load_legacy_weights(filepath, model, skip_mismatch)
        weights_h5.read_weights(f, model, where, skip_mismatch=skip_mismatch)
