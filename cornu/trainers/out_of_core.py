"""Arrays that stay on disk: `numpy.memmap`, h5py datasets and other array-likes, read one batch at a time.

`fit(x=np.load("big.npy", mmap_mode="r"), ...)` must not read the file whole: an epoch over a 4 GB memmap then
needs one batch of RAM, not 4 GB. `OutOfCoreArray` wraps such an array; slicing it (as `validation_split` does)
gives another lazy view, and only `read`/`take` touch the file. `prefetched` reads the next batches in a
background thread, so the disk works while the model computes.
"""

import concurrent.futures
import mmap
import queue
import threading

import numpy as np
import torch

__all__ = ["OutOfCoreArray", "is_out_of_core", "prefetched"]


def is_out_of_core(value):
    """True for arrays whose data lives on disk: memmaps, h5py datasets, and array-likes that are not ndarrays.

    >>> is_out_of_core(np.zeros(3)), is_out_of_core(torch.zeros(3))
    (False, False)
    """
    if isinstance(value, OutOfCoreArray | np.memmap):
        return True
    if isinstance(value, np.ndarray | torch.Tensor | list | tuple | dict) or value is None:
        return False
    return all(hasattr(value, name) for name in ("shape", "dtype", "__getitem__", "__len__"))


class OutOfCoreArray:
    """A lazy view of rows `[start, stop)` of an on-disk array; `take(index)` reads just those rows.

    Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.arange(12.0).reshape(6, 2))
    >>> x = OutOfCoreArray(np.load(path, mmap_mode="r"))
    >>> x.shape, x[4:].shape
    ((6, 2), (2, 2))
    >>> x.take(torch.tensor([5, 0])).tolist()
    [[10.0, 11.0], [0.0, 1.0]]
    """

    def __init__(self, array, start=0, stop=None):
        if isinstance(array, OutOfCoreArray):
            array, start, stop = array.array, array.start + start, array.start + (stop or len(array))
        self.array = array
        self.start = start
        self.stop = len(array) if stop is None else stop
        self.dtype = array.dtype
        self.shape = (self.stop - self.start, *tuple(array.shape[1:]))
        self.ndim = len(self.shape)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("An on-disk array is sliced lazily by contiguous row ranges only, e.g. x[:1000].")
        start, stop, _ = key.indices(len(self))
        return OutOfCoreArray(self.array, self.start + start, self.start + max(start, stop))

    def read(self, start, stop):
        """Rows `[start, stop)` as a tensor (one contiguous read)."""
        return _to_tensor(self.array[self.start + start : self.start + stop])

    def take(self, index):
        """The rows at `index` (a 1-D integer tensor), in that order.

        The rows are read in increasing file order (h5py requires it, and the disk prefers it), then put back
        in the order asked for, so a shuffled batch is the same batch an in-memory array would give.
        """
        index = index.cpu().numpy() + self.start
        order = np.argsort(index, kind="stable")
        rows = _read_rows(self.array, index[order])
        restore = np.empty_like(order)
        restore[order] = np.arange(len(order))
        return _to_tensor(np.asarray(rows)[restore])

    def advise(self, random_access):
        """Tells the OS how a memmap is about to be read: at random (a shuffled epoch) or in order.

        The kernel reads ahead of every page fault by default, which is right in order but, at random, reads
        ~30x more than the rows asked for and evicts them again when memory is tight."""
        mapping = getattr(self.array, "_mmap", None)
        advice = getattr(mmap, "MADV_RANDOM" if random_access else "MADV_NORMAL", None)
        if mapping is not None and advice is not None:
            try:
                mapping.madvise(advice)
            except (OSError, ValueError):  # a closed or unusual mapping: reading still works, only slower
                pass

    def is_floating_point(self):
        return np.issubdtype(np.dtype(self.dtype), np.floating)

    def __repr__(self):
        return f"OutOfCoreArray({type(self.array).__name__}, rows {self.start}:{self.stop}, shape={self.shape})"


_READERS = 8  # rows read at once: a disk answers several random reads in about the time of one
_reader_pool = None


def _read_rows(array, index):
    """`array[index]` for sorted `index`; a memmap's rows are read by several threads, since each row missing from
    memory is a page fault that waits on the disk (NumPy releases the GIL while it copies)."""
    if not isinstance(array, np.memmap) or len(index) < 2 * _READERS:
        return array[index]
    global _reader_pool
    if _reader_pool is None:
        _reader_pool = concurrent.futures.ThreadPoolExecutor(_READERS, thread_name_prefix="cornu-read")
    parts = np.array_split(index, _READERS)
    return np.concatenate(list(_reader_pool.map(array.__getitem__, parts)))


def _to_tensor(rows):
    rows = np.ascontiguousarray(rows)
    if not rows.flags.writeable:  # torch refuses read-only buffers; the copy is one batch
        rows = rows.copy()
    return torch.from_numpy(rows)


_DONE = object()


def prefetched(batches, depth=2):
    """Iterates `batches`, producing up to `depth` items ahead in a background thread.

    Reading from disk (and NumPy's fancy indexing) releases the GIL, so the next batch is read while the model
    trains on this one. An exception in the reader is raised here, at the batch it belongs to; leaving the loop
    early stops the reader.

    >>> list(prefetched(iter(range(5))))
    [0, 1, 2, 3, 4]
    """
    slots = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        try:
            for item in batches:
                while not stop.is_set():
                    try:
                        slots.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((_DONE, None))
        except BaseException as error:  # handed to the consumer, raised in its thread
            slots.put((_DONE, error))

    reader = threading.Thread(target=produce, name="cornu-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item, error = slots.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        reader.join(timeout=5)
