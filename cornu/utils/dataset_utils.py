"""Datasets without TensorFlow: `Dataset`, `split_dataset` and `timeseries_dataset_from_array`.

Keras's dataset utilities return `tf.data.Dataset`s. cornu has no TensorFlow, so they return a `Dataset`: a
`Sequence`-like object (`len()` is the number of batches, `ds[i]` is batch `i` as numpy arrays) that `fit`,
`evaluate` and `predict` accept directly. Samples are produced on demand by a loader function (files are read
per batch, so a directory of images need not fit in memory), and a shuffled dataset draws a new order at each
`on_epoch_end()`, which `fit` calls after every epoch.
"""

import math
import os

import numpy as np
import torch

from cornu.utils import tree
from cornu.utils.py_dataset import PyDataset

__all__ = ["Dataset", "split_dataset", "timeseries_dataset_from_array"]


class Dataset(PyDataset):
    """Batches (or single samples) of numpy arrays, produced on demand; what cornu's dataset utilities return.

    `len(ds)` is the number of batches and `ds[i]` is batch `i`: `(x, y)` for labelled data, `x` alone otherwise.
    With `batch_size=None` the elements are single samples instead. `fit`, `evaluate` and `predict` take a
    `Dataset` as `x` (like a `keras.utils.PyDataset`); iterate it to get numpy batches. The chainable methods
    tutorials call on a `tf.data.Dataset` (`batch`, `unbatch`, `take`, `skip`, `shuffle`, `map`, `cache`,
    `prefetch`) return new datasets; `cache` and `prefetch` change nothing here.

    Args:
        num_samples: Number of samples.
        load: Function from an integer index array to a structure of numpy arrays whose leading axis is the
            batch (e.g. `lambda idx: (x[idx], y[idx])`).
        batch_size: Samples per batch, or `None` for single samples. Defaults to `None`.
        shuffle: Whether to draw a new sample order at creation and at each `on_epoch_end()`. Defaults to `False`.
        seed: Seed of that order. Defaults to `None`.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size`, as for `PyDataset` (`fit` then loads several
            batches at once).

    Attributes:
        class_names: The class names, for datasets read from class subdirectories (else `None`).
        file_paths: The files in dataset order, for datasets read from files (else `None`).

    Example:
    >>> x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> ds = Dataset(5, lambda idx: (x[idx], y[idx]), batch_size=2)
    >>> len(ds), ds[2][0].tolist(), ds[2][1].tolist()
    (3, [[8.0, 9.0]], [4])
    >>> [b.tolist() for _, b in ds.unbatch().take(2)]
    [0, 1]
    """

    def __init__(self, num_samples, load, batch_size=None, shuffle=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size <= 0):
            raise ValueError(f"batch_size must be a positive integer or None. Received: batch_size={batch_size!r}")
        self.num_samples, self.batch_size = int(num_samples), batch_size
        self._load, self._maps = load, ()
        self._shuffle, self._seed = bool(shuffle), seed
        self._indices = np.arange(self.num_samples)  # which samples of `load` this dataset covers, in order
        self._rng = np.random.RandomState(seed) if shuffle else None
        self._order = self._rng.permutation(self._indices) if shuffle else self._indices
        self.class_names, self.file_paths = None, None

    def __len__(self):
        if self.batch_size is None:
            return len(self._indices)
        return math.ceil(len(self._indices) / self.batch_size)

    def __getitem__(self, index):
        if isinstance(index, slice) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"Dataset indices are integers (batch numbers). Received: {index!r}")
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"Batch {index} is out of range: this dataset has {count} elements.")
        index %= count
        if self.batch_size is None:
            element = tree.map_structure(lambda a: a[0], self._load(self._order[index : index + 1]))
        else:
            element = self._load(self._order[index * self.batch_size : (index + 1) * self.batch_size])
        for fn in self._maps:
            element = fn(*element) if isinstance(element, tuple) else fn(element)
        return element

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        unit = "samples" if self.batch_size is None else f"batches of {self.batch_size}"
        return f"<cornu Dataset: {len(self)} {unit}, {len(self._indices)} samples, shuffle={self._shuffle}>"

    def on_epoch_end(self):
        """Draws the next epoch's sample order (for a shuffled dataset); `fit` calls it after each epoch."""
        if self._shuffle:
            self._order = self._rng.permutation(self._indices)

    def cardinality(self):
        """The number of elements (batches, or samples when unbatched), as `tf.data.Dataset.cardinality()`."""
        return len(self)

    def as_numpy_iterator(self):
        """An iterator over the elements (already numpy arrays)."""
        return iter(self)

    def batch(self, batch_size, drop_remainder=False):
        """The same samples in batches of `batch_size` (the last one smaller unless `drop_remainder`)."""
        if self.batch_size is not None:
            raise ValueError(
                f"This dataset is already batched (batch_size={self.batch_size}). Call .unbatch().batch({batch_size}) "
                f"to re-batch it."
            )
        new = self._copy(batch_size=batch_size)
        if drop_remainder:
            keep = len(new._indices) // batch_size * batch_size
            new._indices, new._order = new._indices[:keep], new._order[:keep]
        return new

    def unbatch(self):
        """The same samples one at a time."""
        return self._copy(batch_size=None)

    def take(self, count):
        """The first `count` elements (in the current order), without further shuffling."""
        return self._slice(0, count)

    def skip(self, count):
        """All but the first `count` elements (in the current order), without further shuffling."""
        return self._slice(count, None)

    def shuffle(self, buffer_size=None, seed=None, reshuffle_each_iteration=True):
        """The same elements in a random order, redrawn at each epoch (a full shuffle: `buffer_size` is ignored)."""
        new = self._copy(shuffle=True, seed=seed)
        new._shuffle = bool(reshuffle_each_iteration)
        return new

    def map(self, map_func):
        """Applies `map_func` to each element (called as `map_func(x, y)` for an `(x, y)` element)."""
        new = self._copy()
        new._maps = self._maps + (map_func,)
        return new

    def cache(self, filename=""):
        """Returns the dataset unchanged (files are read again each epoch; there is no TensorFlow cache)."""
        return self

    def prefetch(self, buffer_size=None):
        """Returns the dataset unchanged (batches are loaded when asked for)."""
        return self

    def _copy(self, batch_size="same", shuffle=None, seed=None):
        shuffle = self._shuffle if shuffle is None else shuffle
        new = Dataset.__new__(Dataset)
        new.__dict__.update(self.__dict__)
        new.batch_size = self.batch_size if batch_size == "same" else batch_size
        new._indices = self._order.copy()
        new._shuffle, new._seed = shuffle, seed if shuffle and seed is not None else self._seed
        new._rng = np.random.RandomState(new._seed) if shuffle else None
        new._order = new._rng.permutation(new._indices) if shuffle else new._indices
        return new

    def _slice(self, start, count):
        unit = 1 if self.batch_size is None else self.batch_size
        stop = None if count is None or count < 0 else (start + count) * unit
        new = self._copy(shuffle=False)
        new._indices = new._order = self._order[start * unit : stop].copy()
        return new


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None):
    """Splits a dataset into a left and a right part (e.g. train and test).

    Args:
        dataset: An array, a list or tuple of arrays of the same length, a dict of such arrays, an unbatched
            cornu `Dataset`, or a `torch.utils.data.Dataset`.
        left_size: Float in `(0, 1)`: the fraction of samples in the left part; integer: their number.
            Defaults to `None` (the complement of `right_size`).
        right_size: The same for the right part. Defaults to `None` (the complement of `left_size`).
        shuffle: Whether to shuffle the samples before splitting. Defaults to `False`.
        seed: Seed of the shuffle. Defaults to `None`.
        preferred_backend: Accepted for Keras compatibility and ignored.

    Returns:
        A tuple of two unbatched `Dataset`s (two `torch.utils.data.Subset`s for a torch dataset); call
        `.batch(32)` on them before `fit`.

    With `shuffle=True` the order is `torch.randperm(n)` from a generator seeded with `seed`, which is what Keras's
    torch backend draws, so the same seed puts the same samples on each side.

    Example:
    >>> left, right = split_dataset(np.arange(10), left_size=0.8)
    >>> len(left), len(right), right[0].tolist()
    (8, 2, 8)
    """
    if left_size is None and right_size is None:
        raise ValueError(
            "split_dataset needs left_size or right_size. Received: left_size=None and right_size=None. "
            "Pass e.g. left_size=0.8."
        )
    total = _dataset_length(dataset)
    left, right = _split_sizes(left_size, right_size, total)
    if shuffle:
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(seed)
        order = torch.randperm(total, generator=generator).numpy()
    else:
        order = np.arange(total)
    if isinstance(dataset, torch.utils.data.Dataset):
        return (torch.utils.data.Subset(dataset, order[:left].tolist()),
                torch.utils.data.Subset(dataset, order[left : left + right].tolist()))  # fmt: skip
    source = _as_unbatched(dataset)
    return _restrict(source, order[:left]), _restrict(source, order[left : left + right])


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
    format="tf",
):
    """Sliding windows over a timeseries, batched.

    Window `k` holds the timesteps `data[s], data[s + r], ..., data[s + (sequence_length - 1) * r]` with
    `s = start_index + k * sequence_stride` and `r = sampling_rate`; its target is `targets[s]`. Windows that would
    run past `end_index` are dropped.

    Args:
        data: Array whose axis 0 is time.
        targets: Array with `targets[i]` the target of the window starting at `data[i]`, or `None`.
        sequence_length: Timesteps per window.
        sequence_stride: Steps between the starts of successive windows. Defaults to `1`.
        sampling_rate: Steps between the timesteps inside a window. Defaults to `1`.
        batch_size: Windows per batch, or `None` for single windows. Defaults to `128`.
        shuffle: Whether to shuffle the windows (redrawn each epoch). Defaults to `False`.
        seed: Seed of the shuffle. Defaults to `None`.
        start_index: First timestep used (inclusive). Defaults to `None` (0).
        end_index: Last timestep used (exclusive). Defaults to `None` (`len(data)`).
        format: Accepted for Keras compatibility (`"tf"` or `"grain"`); a cornu `Dataset` is returned either way.

    Returns:
        A `Dataset` yielding `(windows, targets)` batches, or `windows` when `targets` is `None`.

    Example:
    >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10, sequence_length=3, batch_size=4)
    >>> x, y = ds[0]
    >>> x.tolist(), y.tolist()
    ([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 10, 20, 30])
    """
    data = np.asarray(data)
    targets = None if targets is None else np.asarray(targets)
    _check_timeseries_args(len(data), sequence_length, sequence_stride, sampling_rate, start_index, end_index)
    if format not in ("tf", "grain"):
        raise ValueError(f'format must be "tf" or "grain". Received: format={format!r}')
    start = start_index or 0
    stop = end_index or len(data)
    num_windows = stop - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_windows = min(num_windows, len(targets))
    starts = np.arange(0, max(num_windows, 0), sequence_stride)
    if shuffle:
        # Keras draws this permutation first (then shuffles again in tf.data); same seed, same first order.
        np.random.RandomState(np.random.randint(1e6) if seed is None else seed).shuffle(starts)
    steps = np.arange(sequence_length) * sampling_rate
    window_data = data[start:stop]
    target_data = None if targets is None else targets[start:]

    def load(idx):
        positions = starts[idx]
        windows = np.asarray(window_data[positions[:, None] + steps[None, :]])
        return windows if target_data is None else (windows, np.asarray(target_data[positions]))

    return Dataset(len(starts), load, batch_size=batch_size, shuffle=shuffle, seed=seed)


def _check_timeseries_args(length, sequence_length, sequence_stride, sampling_rate, start_index, end_index):
    if start_index and not 0 <= start_index < length:
        raise ValueError(
            f"start_index must be in [0, {length}) for data of length {length}. Received: start_index={start_index}"
        )
    if end_index is not None and end_index != 0:
        if start_index and end_index <= start_index:
            raise ValueError(
                f"end_index must be greater than start_index. Received: start_index={start_index}, "
                f"end_index={end_index}"
            )
        if not 0 < end_index < length:
            raise ValueError(
                f"end_index must be in (0, {length}) for data of length {length} (omit it to use all the data). "
                f"Received: end_index={end_index}"
            )
    for name, value in (("sequence_length", sequence_length), ("sampling_rate", sampling_rate),
                        ("sequence_stride", sequence_stride)):  # fmt: skip
        if not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value >= length:
            raise ValueError(f"{name} must be smaller than the length of the data ({length}). Received: {name}={value}")


def _dataset_length(dataset):
    if isinstance(dataset, Dataset):
        if dataset.batch_size is not None:
            raise ValueError(
                f"split_dataset splits samples, but this dataset is batched (batch_size={dataset.batch_size}). "
                f"Split the unbatched data: split_dataset(ds.unbatch(), ...)."
            )
        return len(dataset)
    if isinstance(dataset, torch.utils.data.Dataset):
        return len(dataset)
    leaves = tree.flatten(dataset) if isinstance(dataset, (list, tuple, dict)) else [dataset]
    if not leaves or not all(hasattr(leaf, "__len__") for leaf in leaves):
        raise TypeError(
            f"split_dataset expects an array, a list/tuple/dict of arrays, a cornu Dataset or a torch Dataset. "
            f"Received: dataset of type {type(dataset).__name__}"
        )
    lengths = {len(leaf) for leaf in leaves}
    if len(lengths) != 1:
        raise ValueError(f"All arrays given to split_dataset must have the same length. Received lengths {lengths}")
    return lengths.pop()


def _as_unbatched(dataset):
    if isinstance(dataset, Dataset):
        return dataset
    arrays = tree.map_structure(np.asarray, dataset)
    if isinstance(arrays, list):
        arrays = tuple(arrays)  # a list of arrays is a tuple of features, as for Keras
    return Dataset(_dataset_length(arrays), lambda idx: tree.map_structure(lambda a: a[idx], arrays))


def _restrict(source, positions):
    new = source._copy(batch_size=None, shuffle=False)
    new._indices = new._order = source._order[positions].copy()
    return new


def _split_sizes(left_size, right_size, total):
    """Keras's rule: a float is a fraction (rounded), an integer a count; the missing side is the complement."""
    sizes = []
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is None:
            sizes.append(None)
            continue
        if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be an int, a float or None. Received: {name}={size!r}")
        is_float = isinstance(size, (float, np.floating))
        if (is_float and not 0 < size < 1) or (not is_float and not 0 < size < total):
            raise ValueError(
                f"{name} must be a float in (0, 1) or an integer in [1, {total - 1}] (the dataset has {total} "
                f"samples). Received: {name}={size}"
            )
        sizes.append(round(size * total) if is_float else int(size))
    left, right = sizes
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(
            f"left_size + right_size = {left + right} samples, more than the dataset's {total}. "
            f"Received: left_size={left_size}, right_size={right_size}"
        )
    if left == 0 or right == 0:
        raise ValueError(
            f"With {total} samples, left_size={left_size} and right_size={right_size} leave the "
            f"{'left' if left == 0 else 'right'} side empty. Choose sizes that keep a sample on each side."
        )
    return left, right


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False,
                    verbose=True, kind="files"):  # fmt: skip
    """Lists the files of `directory` with their labels, in Keras's order; returns `(paths, labels, class_names)`.

    Keras's rules: with `labels="inferred"` the classes are the sorted subdirectories (hidden ones skipped) and
    each is walked recursively, roots and file names sorted; otherwise the whole tree is walked. With `shuffle`,
    paths and labels are permuted by `np.random.RandomState(seed).shuffle`, so a seed picks the same files as Keras.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Directory not found: '{directory}'. Check the path (it is relative to {os.getcwd()})."
        )
    subdirs = _class_subdirs(directory, class_names) if labels == "inferred" else [""]
    if labels != "inferred" and class_names is not None:
        raise ValueError(
            f"class_names can only be given with labels='inferred' (class names come from the subdirectories). "
            f"Received: labels={'None' if labels is None else 'a list'}, class_names={class_names}"
        )
    paths, label_list = [], []
    for index, subdir in enumerate(subdirs):
        for path in _walk_files(os.path.join(directory, subdir), formats, follow_links):
            paths.append(path)
            label_list.append(index)
    labels, class_names = _file_labels(labels, label_list, subdirs, len(paths), directory, kind)
    if verbose:
        found = "" if labels is None else f" belonging to {len(class_names)} classes"
        print(f"Found {len(paths)} files{found}.")
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, class_names


def check_label_args(labels, label_mode, class_names, kind="image"):
    """Keras's checks of `labels` / `label_mode` / `class_names`; returns them with `None` meaning no labels."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple, np.ndarray)):
            raise ValueError(
                f"labels must be 'inferred' (from the subdirectory names), None (no labels) or a list of integer "
                f"labels, one per {kind} file. Received: labels={labels!r}"
            )
        if class_names:
            raise ValueError(
                f"class_names can only be given with labels='inferred'. Received: labels=[...], "
                f"class_names={class_names}"
            )
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            f'label_mode must be "int", "categorical", "binary" or None. Received: label_mode={label_mode!r}'
        )
    if labels is None or label_mode is None:
        return None, None
    return labels, label_mode


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Keras's checks of `validation_split` / `subset` / `seed`, with the fix in each message."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be between 0 and 1. Received: validation_split={validation_split}")
    if bool(validation_split) != bool(subset):
        raise ValueError(
            f"validation_split and subset go together: pass both (e.g. validation_split=0.2, subset='training') "
            f"or neither. Received: validation_split={validation_split}, subset={subset!r}"
        )
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'subset must be "training", "validation" or "both". Received: subset={subset!r}')
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "With validation_split and shuffle=True, pass a seed (e.g. seed=123), and the same seed for the "
            "training and the validation subset, so that the two do not overlap."
        )


def training_or_validation_split(samples, labels, validation_split, subset, verbose=True):
    """Keras's split: the last `int(validation_split * n)` samples are the validation subset."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if num_val == 0 or num_val == len(samples):
        raise ValueError(
            f"validation_split={validation_split} of {len(samples)} files leaves "
            f"{'no validation' if num_val == 0 else 'no training'} files. Use a larger directory or another split."
        )
    cut = slice(None, -num_val) if subset == "training" else slice(-num_val, None)
    if verbose:
        print(f"Using {len(samples) - num_val if subset == 'training' else num_val} files for {subset}.")
    return samples[cut], None if labels is None else labels[cut]


def encode_labels(labels, label_mode, num_classes):
    """Integer labels as Keras's `label_mode` gives them: int32, one-hot float32, or float32 of shape (n, 1)."""
    if label_mode == "int":
        return labels.astype("int32")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f'label_mode="{label_mode}" needs labels in [0, {num_classes - 1}] ({num_classes} classes), but they span '
            f"[{labels.min()}, {labels.max()}]. Number the classes 0, 1, ..., or use label_mode='int'."
        )
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels]
    return labels.astype("float32")[:, None]


def _file_labels(labels, inferred, subdirs, num_files, directory, kind):
    """`(labels, class_names)`: inferred from the subdirectories, checked user labels, or `(None, None)`."""
    if labels == "inferred":
        return np.asarray(inferred, dtype="int32"), list(subdirs)
    if labels is None:
        return None, None
    if len(labels) != num_files:
        raise ValueError(
            f"labels has {len(labels)} entries but '{directory}' holds {num_files} {kind}. Pass one label per "
            f"file, in sorted path order (sorted(os.walk(directory))), or labels='inferred' to take the labels "
            f"from the subdirectory names."
        )
    return np.asarray(labels), [str(label) for label in sorted(set(labels))]


def _class_subdirs(directory, class_names):
    subdirs = [d for d in sorted(os.listdir(directory))
               if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]  # fmt: skip
    if class_names is None:
        return subdirs
    unknown = [name for name in class_names if name not in subdirs]
    if unknown:
        raise ValueError(
            f"class_names {list(class_names)} do not match the subdirectories of '{directory}': no "
            f"subdirectory named {unknown}. The subdirectories are {subdirs}; pass class_names from them "
            f"(or leave class_names=None to use them all)."
        )
    return list(class_names)


def _walk_files(directory, formats, follow_links):
    found = []
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        found.extend(os.path.join(root, name) for name in sorted(files) if name.lower().endswith(formats))
    return found
