"""Reading the pickles inside dataset files without running code from them.

CIFAR's batches are Python pickles, and the IMDB and Reuters `.npz` files hold object arrays (lists of word
indices), which numpy can only store as pickles. `pickle.load` would call any function a file names, so a tampered
download could run code. Here the unpickler resolves only the names that numpy arrays and plain containers need,
and refuses every other one with `pickle.UnpicklingError` before anything is called.
"""

import io
import pickle
import zipfile

import numpy as np

__all__ = ["RestrictedUnpickler", "load_pickle", "load_npz"]

# What an ndarray's pickle names (numpy < 2 spells the module `numpy.core`; protocol 5 rebuilds contiguous arrays
# with `_frombuffer`), plus the builtin types a data file may rebuild (Python 2 spells their module `__builtin__`).
# `_codecs.encode` is how protocol-2 pickles written by Python 3 store bytes (e.g. array buffers); it only encodes
# a string.
_BUILTINS = ("bytes", "bytearray", "str", "int", "float", "bool", "list", "tuple", "dict", "set", "frozenset")
_ALLOWED = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        *((f"numpy.{core}.{module}", name) for core in ("core", "_core") for module, name in
          (("multiarray", "_reconstruct"), ("numeric", "_frombuffer"))),
        ("_codecs", "encode"),
        *((module, name) for module in ("builtins", "__builtin__") for name in _BUILTINS),
    }
)  # fmt: skip


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays, dtypes and builtin containers, and refuses any other global.

    Args:
        file: A binary file object holding the pickle.
        **kwargs: Passed to `pickle.Unpickler`, e.g. `encoding="bytes"` for Python 2 pickles.

    Example:
    >>> import io, pickle
    >>> RestrictedUnpickler(io.BytesIO(pickle.dumps({"x": np.arange(3)}))).load()["x"].tolist()
    [0, 1, 2]
    >>> try:
    ...     RestrictedUnpickler(io.BytesIO(pickle.dumps(print))).load()
    ... except pickle.UnpicklingError as err:
    ...     print(str(err)[:40])
    Refusing to load `builtins.print` from a
    """

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load `{module}.{name}` from a dataset file: only numpy arrays and plain containers are "
            f"allowed, so the file is corrupted or was tampered with. Delete it and download it again."
        )


def load_pickle(path, encoding="bytes"):
    """Unpickles a data file with `RestrictedUnpickler`.

    Args:
        path: Path of the pickle file.
        encoding: How Python 2 strings are decoded. Defaults to `"bytes"` (CIFAR's keys come back as bytes).

    Returns:
        The unpickled object.

    Example:
    >>> import pathlib, pickle, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "batch"
    >>> path.write_bytes(pickle.dumps({b"labels": [3, 1]}, protocol=2)) > 0
    True
    >>> load_pickle(path)
    {b'labels': [3, 1]}
    """
    with open(path, "rb") as handle:
        return RestrictedUnpickler(handle, encoding=encoding).load()


def load_npz(path):
    """Reads every array of an `.npz` file into a dict, object arrays through `RestrictedUnpickler`.

    Numeric arrays are read with pickling off, as `np.load(path, allow_pickle=False)` reads them; object arrays
    (ragged sequences) are unpickled with only numpy's and builtin names allowed.

    Args:
        path: Path of the `.npz` file.

    Returns:
        A dict from array name to array.

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "seqs.npz"
    >>> ragged = np.empty(2, dtype=object)
    >>> ragged[:] = [[1, 2, 3], [4]]
    >>> np.savez(path, x=ragged, y=np.array([0, 1]))
    >>> arrays = load_npz(path)
    >>> arrays["x"].tolist(), arrays["y"].tolist()
    ([[1, 2, 3], [4]], [0, 1])
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[: -len(".npy")]] = _read_npy(io.BytesIO(raw.read()), f"{path}:{member}")
    return arrays


def _read_npy(buffer, where):
    version = np.lib.format.read_magic(buffer)
    read_header = np.lib.format.read_array_header_1_0 if version[0] == 1 else np.lib.format.read_array_header_2_0
    _, _, dtype = read_header(buffer)  # format 3.0 differs from 2.0 only in the header's text encoding
    if not dtype.hasobject:
        buffer.seek(0)
        return np.lib.format.read_array(buffer, allow_pickle=False)
    array = RestrictedUnpickler(buffer).load()
    if not isinstance(array, np.ndarray):
        raise pickle.UnpicklingError(f"{where} should hold an array, but holds a {type(array).__name__}.")
    return array
