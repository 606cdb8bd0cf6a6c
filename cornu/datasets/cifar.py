"""What CIFAR-10 and CIFAR-100 share: finding the extracted batches and reading one batch safely.

The CIFAR site publishes each data set as a `.tar.gz` of Python pickles. Keras 3 caches it as
`<name>-target_archive` and extracts it into `<name>-target/`; Keras 2 left `<name>/` beside the archive. Both of
Keras's layouts are found, so a CIFAR that Keras has downloaded is not downloaded again.
"""

import io
import os
import tarfile
from pathlib import Path

from cornu.backend import image_data_format
from cornu.datasets.cache import cache_dir, fetch, local_copy
from cornu.datasets.safe_pickle import RestrictedUnpickler, load_pickle
from cornu.utils.file_utils import keras_home

__all__ = ["load_batch", "batch_reader", "to_image_layout"]


def load_batch(fpath, label_key="labels"):
    """Reads one CIFAR batch file as `(data, labels)`, without running code from the pickle.

    Args:
        fpath: Path of a batch file (`data_batch_1`, `test_batch`, `train`, `test`), or a binary file object.
        label_key: The labels' key: `"labels"` (CIFAR-10), `"fine_labels"` or `"coarse_labels"` (CIFAR-100).
            Defaults to `"labels"`.

    Returns:
        `(data, labels)`: uint8 images of shape `(n, 3, 32, 32)` (channels first, as stored) and a list of ints.

    Example:
    >>> import pathlib, pickle, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "data_batch_1"
    >>> batch = {b"data": np.zeros((2, 3072), "uint8"), b"labels": [6, 9]}
    >>> path.write_bytes(pickle.dumps(batch)) > 0
    True
    >>> data, labels = load_batch(path)
    >>> data.shape, labels
    ((2, 3, 32, 32), [6, 9])
    """
    if hasattr(fpath, "read"):
        loaded = RestrictedUnpickler(fpath, encoding="bytes").load()
    else:
        loaded = load_pickle(fpath)
    batch = {key.decode("utf8") if isinstance(key, bytes) else key: value for key, value in loaded.items()}
    if "data" not in batch or label_key not in batch:
        raise ValueError(f"{fpath} is not a CIFAR batch with 'data' and {label_key!r}; it has {sorted(batch)}.")
    data = batch["data"]
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def batch_reader(path, name, url, file_hash, first_file):
    """A function `read(file_name, label_key) -> (data, labels)` over a local copy, a cache or a fresh download.

    Args:
        path: `None`, or a local copy: the `.tar.gz` archive (read without extracting it), the `<name>` folder,
            or a folder holding that folder.
        name: The folder inside the archive, `"cifar-10-batches-py"` or `"cifar-100-python"`.
        url: The archive's URL.
        file_hash: The archive's sha256.
        first_file: A batch file's name, to recognise the folder.

    Returns:
        The reading function.

    Example:
    >>> import pathlib, pickle, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "cifar-10-batches-py"
    >>> folder.mkdir()
    >>> batch = {b"data": np.zeros((2, 3072), "uint8"), b"labels": [1, 2]}
    >>> _ = (folder / "test_batch").write_bytes(pickle.dumps(batch))
    >>> read = batch_reader(folder.parent, "cifar-10-batches-py", "https://unused", None, "test_batch")
    >>> read("test_batch", "labels")[1]
    [1, 2]
    """
    local = local_copy(path)
    if local is not None and local.is_file():
        return _archive_reader(local, name, first_file)
    if local is not None:
        folder = _batches_in(local, name, first_file)
        if folder is None:
            raise FileNotFoundError(
                f"No {name}/{first_file} under path={os.fspath(path)!r}. Pass the folder or archive."
            )
    else:
        folder = _cached_batches(name, url, file_hash, first_file)
    return lambda file_name, label_key: load_batch(folder / file_name, label_key)


def to_image_layout(x):
    """Channels-first batches `(n, 3, 32, 32)` in the configured image layout (channels_last by default).

    Example:
    >>> to_image_layout(np.zeros((2, 3, 32, 32), "uint8")).shape
    (2, 32, 32, 3)
    """
    return x.transpose(0, 2, 3, 1) if image_data_format() == "channels_last" else x


def _cached_batches(name, url, file_hash, first_file):
    """cornu's extracted copy; else Keras 2's `~/.keras/datasets/<name>/`; else `get_file` (Keras 3's cache)."""
    cached = _batches_in(cache_dir() / f"{name}-target", name, first_file)
    keras_2 = _batches_in(Path(keras_home()) / "datasets", name, first_file)
    if cached is None and keras_2 is not None:
        return keras_2
    hint = f"{'cifar10' if '-10-' in name else 'cifar100'}.load_data(path=...)"
    return Path(fetch(f"{name}-target", url, file_hash, load_hint=hint, extract=True)) / name


def _batches_in(folder, name, first_file):
    for candidate in (folder, folder / name):
        if (candidate / first_file).is_file():
            return candidate
    return None


def _archive_reader(archive, name, first_file):
    """Reads a local archive's batch files in one pass (a .tar.gz cannot seek) without extracting them."""
    with tarfile.open(archive) as tar:
        files = {
            member.name.rpartition("/")[2]: tar.extractfile(member).read()
            for member in tar
            if member.isfile() and member.name.startswith(f"{name}/")
        }
    if first_file not in files:
        raise FileNotFoundError(f"{archive} has no {name}/{first_file}: it is not the CIFAR archive.")
    return lambda file_name, label_key: load_batch(io.BytesIO(files[file_name]), label_key)
