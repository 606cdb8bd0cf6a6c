"""Data in: arrays, tensors, dicts, lists and generators become batches of tensors on the compute device.

Arrays are converted and checked once, at the edge, then held on the device; an epoch shuffles them with one
gather and hands out slices (views), so the step function never touches NumPy or the host.
"""

import itertools
import math
import warnings

import numpy as np
import torch

from cornu import backend
from cornu.layers.base import is_text_array
from cornu.trainers.checks import check_fraction
from cornu.trainers.out_of_core import OutOfCoreArray, announce, is_out_of_core, prefetched
from cornu.utils import tree
from cornu.utils.py_dataset import batches_in_order

__all__ = [
    "ArrayData",
    "is_sequence",
    "EpochBatches",
    "IterableData",
    "make_data",
    "in_model_dtype",
    "split_validation",
    "to_device_tensors",
]


def to_device_tensors(structure, device, name="x"):
    """Converts every array in `structure` to a tensor on `device` (floats to `floatx`), checking it once.

    Arrays on disk (memmaps, h5py datasets) stay there, wrapped in an `OutOfCoreArray` read batch by batch.
    """

    def convert(value):
        if value is None:
            return None
        if is_out_of_core(value):
            return OutOfCoreArray(value)
        if isinstance(value, torch.Tensor):
            tensor = value.to(device)
        else:
            array = np.asarray(value)
            if is_text_array(array):
                return array  # texts stay on the host: the model's TextVectorization or StringLookup reads them
            if array.dtype == object:
                raise ValueError(
                    f"{name} holds Python objects (dtype=object), e.g. rows of different lengths. "
                    f"Pass a numeric array of one shape, e.g. np.asarray(rows, dtype='float32')."
                )
            tensor = torch.from_numpy(np.ascontiguousarray(array)).to(device)
        return in_model_dtype(tensor)

    return tree.map_structure(convert, structure)


def in_model_dtype(tensor):
    """`tensor` as the model computes on it: floats and booleans in `floatx`, integers (labels, ids) unchanged."""
    float_dtype = backend.torch_dtype()
    if (tensor.is_floating_point() or tensor.dtype == torch.bool) and tensor.dtype != float_dtype:
        return tensor.to(float_dtype)
    return tensor


def _num_samples(structure, name):
    sizes = {leaf.shape[0] if leaf.ndim else 1 for leaf in tree.flatten(structure) if leaf is not None}
    if len(sizes) > 1:
        raise ValueError(f"The arrays in {name} have different numbers of samples: {sorted(sizes)}.")
    return sizes.pop() if sizes else 0


def _check_finite(structure, name):
    for leaf in tree.flatten(structure):
        # On-disk arrays are not scanned: checking them would read the whole file, which is what they avoid.
        if leaf is None or isinstance(leaf, (OutOfCoreArray, np.ndarray)) or not leaf.is_floating_point():
            continue
        # The sum is finite unless some value is not (or it overflows): unlike isfinite(x) it needs no temporary as
        # large as the data. The full scan runs only when the sum says so, to report (or to clear an overflow).
        if bool(torch.isfinite(leaf.sum())):
            continue
        bad = ~torch.isfinite(leaf)
        if bool(bad.any()):
            first = tuple(int(i) for i in bad.nonzero()[0])
            raise ValueError(
                f"{name} contains {int(bad.sum())} NaN or infinite values (the first at index {first}); training on "
                f"them would turn every weight into NaN. Clean the data first, e.g. {name} = np.nan_to_num({name}), "
                f"or drop those samples."
            )


class ArrayData:
    """In-memory data (arrays, tensors, or lists/dicts of them), batched on the device.

    Example:
    >>> data = ArrayData(np.arange(10.0).reshape(5, 2), np.arange(5), batch_size=2)
    >>> data.steps, [tuple(x.shape) for x, _, _ in data.epoch(shuffle=False)]
    (3, [(2, 2), (2, 2), (1, 2)])
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, device=None, check=True, steps=None):
        device = self.device = torch.device(device or backend.get_device())
        self.x = to_device_tensors(x, device, "x")
        self.y = to_device_tensors(y, device, "y")
        self.sample_weight = to_device_tensors(sample_weight, device, "sample_weight")
        self.num_samples = _num_samples(self.x, "x")
        if self.num_samples == 0:
            raise ValueError("x is empty (0 samples). Pass at least one sample.")
        for other, name in ((self.y, "y"), (self.sample_weight, "sample_weight")):
            if other is not None and _num_samples(other, name) != self.num_samples:
                raise ValueError(
                    f"x has {self.num_samples} samples but {name} has {_num_samples(other, name)}. "
                    f"They must have one entry per sample."
                )
        if check:
            _check_finite(self.x, "x")
            _check_finite(self.y, "y")
            _check_finite(self.sample_weight, "sample_weight")
        leaves = tree.flatten((self.x, self.y, self.sample_weight))
        self.on_disk = any(isinstance(leaf, OutOfCoreArray) for leaf in leaves)
        self.batch_size = _check_batch_size(batch_size)
        self.steps = math.ceil(self.num_samples / self.batch_size)
        if steps is not None:  # evaluate/predict(steps=...): only the first batches
            self.steps = min(self.steps, int(steps))

    def epoch(self, shuffle=False, steps=None, generator=None):
        """Yields `(x, y, sample_weight)` batches for one pass; `shuffle` is True, False or `"batch"`."""
        order = None
        if shuffle == "batch":
            order = _batch_shuffle(self.num_samples, self.batch_size, generator).to(self._index_device())
        elif shuffle:
            order = torch.randperm(self.num_samples, generator=generator).to(self._index_device())
        count = self.steps if steps is None else min(steps, self.steps)
        batches = self._batches(order, count)
        if not self.on_disk:
            return batches
        leaves = tree.flatten((self.x, self.y, self.sample_weight))
        on_disk = [leaf for leaf in leaves if isinstance(leaf, OutOfCoreArray)]
        for leaf in on_disk:
            leaf.advise(random_access=order is not None)
        if all(leaf.reads_directly for leaf in on_disk):
            # Their reads are started batches ahead and never block: a reader thread would only take the cores
            # from the model's threads (measured on 2 cores: 37k against 35k samples/s, 1 read a batch)
            return batches
        return prefetched(batches, depth=8)

    def _batches(self, order, count):
        structure = (self.x, self.y, self.sample_weight)
        leaves = tree.flatten(structure)
        size = self.batch_size
        # Each batch is gathered from the permutation on its own: a shuffled copy of the whole data set would
        # double its memory at the start of every epoch, and a 100-row gather costs next to nothing.
        for step in range(count):
            if self.on_disk:  # the disk starts on later batches' rows while this one is read
                announce(leaves, order, size, step, count)
            start = step * size
            index = None if order is None else order[start : start + size]
            batch = [_gather(leaf, start, start + size, index, self.device) for leaf in leaves]
            yield tree.pack_like(structure, batch)

    def peek(self):
        """The first batch, to build and check the model with (arrays are not consumed by reading)."""
        return next(self.epoch(shuffle=False, steps=1))

    def _index_device(self):
        return torch.device("cpu") if self.on_disk else self.device


def _gather(leaf, start, stop, index, device):
    """Rows `start:stop` of `leaf`, or the rows at `index` when shuffled, as a tensor on `device`."""
    if leaf is None:
        return None
    if isinstance(leaf, OutOfCoreArray):
        rows = leaf.read(start, stop) if index is None else leaf.take(index)
        if device.type == "cuda":  # pinned memory lets the copy overlap the previous step
            return in_model_dtype(rows.pin_memory().to(device, non_blocking=True))
        return in_model_dtype(rows.to(device))
    if isinstance(leaf, np.ndarray):  # texts, kept on the host
        return leaf[start:stop] if index is None else leaf[index.cpu().numpy()]
    return leaf[start:stop] if index is None else leaf.index_select(0, index)


class EpochBatches:
    """The batches of each epoch of `fit`, with Keras's `steps_per_epoch` rule for data of known length.

    Without `steps_per_epoch` an epoch is one pass. With it, a pass is spread over epochs: an epoch takes the
    next `steps_per_epoch` batches of the current pass, ends early (with a warning) when the pass runs out, and
    the epoch after starts a new, reshuffled pass (keras/src/trainers/epoch_iterator.py does the same).

    >>> data = ArrayData(np.arange(4.0).reshape(4, 1), batch_size=1)
    >>> batches = EpochBatches(data, shuffle=False, steps=2)
    >>> [[x.item() for x, _, _ in batches.epoch()] for _ in range(3)]
    [[0.0, 1.0], [2.0, 3.0], [0.0, 1.0]]
    """

    def __init__(self, data, shuffle, steps=None):
        self.data, self.shuffle, self.steps = data, shuffle, steps
        self._pass, self._seen = None, 0

    def epoch(self):
        if self.steps is None or self.data.steps is None:
            yield from self.data.epoch(shuffle=self.shuffle, steps=self.steps)
            return
        if self._pass is None:
            self._pass, self._seen = iter(self.data.epoch(shuffle=self.shuffle)), 0
        for _ in range(self.steps):
            if self._seen >= self.data.steps:
                warnings.warn(
                    f"Your input ran out of data: steps_per_epoch={self.steps} asks for more batches than remain "
                    f"in the pass ({self.data.steps} batches in all), so this epoch ends early. Lower "
                    f"steps_per_epoch, or leave it out to make each epoch one pass over the data.",
                    stacklevel=4,
                )
                break
            self._seen += 1
            yield next(self._pass)
        if self._seen >= self.data.steps:
            self._pass = None


def _batch_shuffle(num_samples, batch_size, generator):
    """Keras 2's `shuffle="batch"`: the order of the full batch-sized chunks is shuffled, samples within stay together,
    and a last, partial chunk stays last, so that every batch is one chunk: consecutive rows, one read on disk.

    Keras 3 keeps the batches in order and shuffles the samples within each; shuffling the order of the batches, as
    Keras 2 did, mixes more and reads the same rows.

    >>> _batch_shuffle(10, 4, torch.Generator().manual_seed(1)).tolist()
    [4, 5, 6, 7, 0, 1, 2, 3, 8, 9]
    """
    full = num_samples // batch_size
    order = torch.randperm(full, generator=generator)
    chunks = (order[:, None] * batch_size + torch.arange(batch_size)).reshape(-1)
    return torch.cat([chunks, torch.arange(full * batch_size, num_samples)])


class IterableData:
    """Batches from a generator, an iterable (e.g. a DataLoader), or a `Sequence` (`__len__` + `__getitem__`)."""

    def __init__(self, source, steps=None, device=None, with_targets=True):
        self.source, self.device = source, device or backend.get_device()
        self.with_targets = with_targets
        self.is_sequence = is_sequence(source)
        self.steps = steps if steps is not None else (len(source) if hasattr(source, "__len__") else None)
        self._iterator = None
        self._pending = None  # a batch taken by peek() from a one-shot source, handed out again first
        self.num_samples = None

    def peek(self):
        """The first batch, to build and check the model with; a generator's batch is not lost to training."""
        item = next(self._items(1, False, None), _NOTHING)
        if item is _NOTHING:
            raise ValueError(
                f"The data ({type(self.source).__name__}) yielded no batches. Make sure the generator yields "
                f"(x, y) tuples and is not already exhausted (create a fresh one for each fit/evaluate call)."
            )
        if not self.is_sequence and _is_one_shot(self.source):
            self._pending = item
        return self._unpack(item, 0)

    def epoch(self, shuffle=False, steps=None, generator=None):
        limit = steps if steps is not None else self.steps
        if hasattr(self.source, "on_epoch_begin"):
            self.source.on_epoch_begin()
        items = self._items(limit, shuffle, generator)
        count = 0
        for count, item in enumerate(items, start=1):
            yield self._unpack(item, count - 1)
        if limit is not None and count < limit:
            warnings.warn(
                f"Your input ran out of data after {count} of {limit} steps; training stopped early. Make sure the "
                f"generator can yield steps_per_epoch * epochs batches (use itertools.cycle or a Sequence).",
                stacklevel=4,
            )
        if hasattr(self.source, "on_epoch_end"):
            self.source.on_epoch_end()

    def _items(self, limit, shuffle, generator):
        if self.is_sequence:
            order = list(range(len(self.source)))
            if shuffle:
                order = torch.randperm(len(order), generator=generator).tolist()
            order = order[:limit] if limit is not None else order
            return batches_in_order(self.source, order)
        if self._iterator is None or not _is_one_shot(self.source):
            self._iterator = iter(self.source)
        iterator = self._iterator
        if self._pending is not None:
            iterator, self._pending = itertools.chain([self._pending], iterator), None
        return _take(iterator, limit)

    def _unpack(self, item, index):
        if isinstance(item, tuple) or (self.with_targets and isinstance(item, list)):
            if self.with_targets and not 2 <= len(item) <= 3 or not 1 <= len(item) <= 3:
                raise ValueError(
                    f"The data generator must yield (x, y) or (x, y, sample_weight) tuples; batch {index} was a "
                    f"{len(item)}-tuple. Yield e.g. `yield x_batch, y_batch`."
                )
            x, y, sw = (tuple(item) + (None, None))[:3]
        elif self.with_targets:
            raise ValueError(
                f"The data generator must yield (x, y) or (x, y, sample_weight) tuples; batch {index} was a "
                f"{type(item).__name__}. Yield e.g. `yield x_batch, y_batch`."
            )
        else:
            x, y, sw = item, None, None
        return to_device_tensors((x, y, sw), self.device, "the generator's batch")


_NOTHING = object()


def _take(iterator, limit):
    produced = 0
    while limit is None or produced < limit:
        try:
            item = next(iterator)
        except StopIteration:
            return
        produced += 1
        yield item


def _is_torch_dataset(x):
    return isinstance(x, torch.utils.data.Dataset)  # a DataLoader is not one: it is used as it is


def _is_map_style(x):
    return not isinstance(x, torch.utils.data.IterableDataset)


def is_sequence(source):
    """True for a `Sequence`-like source: batches by index (`__len__`, `__getitem__`), not an array of samples."""
    return hasattr(source, "__getitem__") and hasattr(source, "__len__") and not _is_array(source)


def _is_one_shot(source):
    return iter(source) is source  # generators and iterators are consumed once; lists and DataLoaders are not


def _is_array(value):
    return isinstance(value, (np.ndarray, torch.Tensor, list, tuple, dict))


def _check_batch_size(batch_size):
    if batch_size is None:
        return 32
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    return int(batch_size)


def is_in_memory(x):
    leaves = tree.flatten(x) if isinstance(x, (list, tuple, dict)) else [x]
    return all(
        isinstance(leaf, (np.ndarray, torch.Tensor, OutOfCoreArray)) or hasattr(leaf, "__array__") for leaf in leaves
    )


def make_data(x, y=None, sample_weight=None, batch_size=None, steps=None, with_targets=True, check=True, shuffle=False):
    """The right data object for `x`: `ArrayData` for arrays, `IterableData` for everything that yields batches."""
    if x is None:
        raise ValueError("No data was given: pass x (and y), e.g. model.fit(x_train, y_train).")
    if _is_torch_dataset(x):
        # A torch Dataset yields samples, not batches: batch it the way the caller asked, with torch's own loader.
        x = torch.utils.data.DataLoader(
            x, batch_size=_check_batch_size(batch_size), shuffle=bool(shuffle) and _is_map_style(x)
        )
        batch_size = None
    if is_in_memory(x):
        return ArrayData(x, y, sample_weight, batch_size=batch_size, check=check, steps=steps)
    if y is not None:
        raise ValueError(
            f"When x is a generator or dataset ({type(x).__name__}), it must yield the targets too; do not pass y. "
            f"Yield (x_batch, y_batch) tuples instead."
        )
    if batch_size is not None:
        warnings.warn("batch_size is ignored when x yields batches itself (a generator or dataset).", stacklevel=3)
    return IterableData(x, steps=steps, with_targets=with_targets)


def _lazy(value):
    return OutOfCoreArray(value) if is_out_of_core(value) else value  # slicing an h5py dataset would read it


def split_validation(x, y, sample_weight, validation_split):
    """Keras's `validation_split`: the LAST fraction of the samples, taken before any shuffling."""
    check_fraction(validation_split)
    if not is_in_memory(x):
        raise ValueError(
            "validation_split only works with arrays or tensors; for a generator or dataset pass "
            "validation_data=... instead."
        )
    total = len(tree.flatten(x)[0])
    split_at = int(math.floor(total * (1.0 - validation_split)))
    if split_at in (0, total):
        raise ValueError(
            f"validation_split={validation_split} leaves {'no training' if split_at == 0 else 'no validation'} "
            f"samples out of {total}. Use a split between {1 / total:.3g} and {1 - 1 / total:.3g}."
        )

    def head(v):
        return None if v is None else _lazy(v)[:split_at]

    def tail(v):
        return None if v is None else _lazy(v)[split_at:]

    train = tree.map_structure(head, (x, y, sample_weight))
    valid = tree.map_structure(tail, (x, y, sample_weight))
    return train, valid
