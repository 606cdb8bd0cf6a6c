"""Arrays that stay on disk: `numpy.memmap`, h5py datasets and other array-likes, read one batch at a time.

`fit(x=np.load("big.npy", mmap_mode="r"), ...)` must not read the file whole: an epoch over a 4 GB memmap then
needs one batch of RAM, not 4 GB. `OutOfCoreArray` wraps such an array; slicing it (as `validation_split` does)
gives another lazy view, and only `read`/`take` touch the file. `prefetched` reads the next batches in a
background thread, so the disk works while the model computes.

A memmap's rows are not read through the mapping but from the file it maps (`RowFile`): a page fault per row costs
page-table work and, when memory is capped, reclaiming mapped pages, both on the CPU the model needs. `announce`
asks the kernel for the rows of the batches 8 steps ahead (`MADV_WILLNEED`), so the disk reads them while the model
computes; a batch is then copied out of the page cache by one `io_submit` (Linux AIO), or one `preadv` per row where
AIO is missing, straight into each row's place in the batch. A batch of consecutive rows (`shuffle="batch"`, Keras's
mode for data on disk) is one read-ahead hint and one read. A read-only memmap bigger than the memory that could
cache it is read past the page cache instead (`direct_io`: O_DIRECT, the batches 8 steps ahead in flight), which
takes a third off the CPU a batch costs; its runs of consecutive rows (and `shuffle=False`'s batches) still go
through the cache, dropped from it once read. All these reads are started 8 batches ahead, so they are made in the
training thread: a reader thread would only take the cores from the model's threads. h5py datasets and other
array-likes are indexed as they are.

Measured on 2 cores with the 4 GB memmap of `benchmarks/memmap_fit.py` under a 1.5 GB cap: `shuffle="batch"` trains
at 0.88x the in-memory speed; `shuffle=True` at 0.68-0.75x (page faults: ~0.45x; reads through the page cache:
~0.65x), where what is left is the kernel's own cost of ~128 random reads a batch, paid on the cores that run the
matmuls.
"""

import concurrent.futures
import mmap
import os
import queue
import threading
import weakref

import numpy as np
import torch

from cornu.trainers import direct_io, linux_aio

__all__ = ["OutOfCoreArray", "announce", "is_out_of_core", "prefetched"]


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

    def __init__(self, array, start=0, stop=None, _file=None):
        if isinstance(array, OutOfCoreArray):
            _file = array._file
            array, start, stop = array.array, array.start + start, array.start + (stop or len(array))
        self.array = array
        self._file = _file if _file is not None else RowFile.open(array)
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
        return OutOfCoreArray(self.array, self.start + start, self.start + max(start, stop), self._file)

    def read(self, start, stop):
        """Rows `[start, stop)` as a tensor (one contiguous read)."""
        start, stop = self.start + start, self.start + min(stop, len(self))
        if self._file is not None:
            return _to_tensor(self._file.read(start, stop))
        return _to_tensor(self.array[start:stop])

    def take(self, index):
        """The rows at `index` (a 1-D integer tensor), in that order.

        The rows are read in increasing file order (h5py requires it, and the disk prefers it), then put back
        in the order asked for, so a shuffled batch is the same batch an in-memory array would give.
        """
        index = index.cpu().numpy() + self.start
        order = np.argsort(index, kind="stable")
        if self._file is not None:
            return _to_tensor(self._file.take(index[order], order))
        rows = _read_rows(self.array, index[order])
        restore = np.empty_like(order)
        restore[order] = np.arange(len(order))
        return _to_tensor(np.asarray(rows)[restore])

    def advise(self, random_access):
        """Tells the OS how a memmap is about to be read: at random (a shuffled epoch) or in order.

        The kernel reads ahead of every page fault by default, which is right in order but, at random, reads
        ~30x more than the rows asked for and evicts them again when memory is tight."""
        if self._file is not None:  # read with preadv: the mapping is not touched, readahead is asked for explicitly
            return
        mapping = getattr(self.array, "_mmap", None)
        advice = getattr(mmap, "MADV_RANDOM" if random_access else "MADV_NORMAL", None)
        if mapping is not None and advice is not None:
            try:
                mapping.madvise(advice)
            except (OSError, ValueError):  # a closed or unusual mapping: reading still works, only slower
                pass

    def will_need(self, start, stop, index=None):
        """Asks the kernel to start reading rows `[start, stop)`, or those at `index` (a tensor), from disk now.

        Only a memmap read with `preadv` can use the hint; for other arrays it does nothing."""
        if self._file is None:
            return
        if index is None:
            self._file.will_need_range(self.start + start, self.start + min(stop, len(self)))
        elif len(index):
            self._file.will_need(np.sort(index.cpu().numpy()) + self.start, batch=True)

    @property
    def reads_directly(self):
        """Whether rows are read past the page cache (`direct_io`): asynchronously, started batches ahead."""
        return self._file is not None and self._file._direct_reader() is not None

    def is_floating_point(self):
        return np.issubdtype(np.dtype(self.dtype), np.floating)

    def __repr__(self):
        return f"OutOfCoreArray({type(self.array).__name__}, rows {self.start}:{self.stop}, shape={self.shape})"


class RowFile:
    """The file a memmap maps, open for `os.preadv`: the rows of an array are read into a new buffer, no fault taken.

    `open(memmap)` finds the file and the byte offset of row 0 in `/proc/self/maps` (the mapping itself, so a file
    renamed or replaced since is noticed by its inode) and returns None where rows cannot be read this way: not Linux,
    a copy-on-write memmap (`mode="c"`: its pages may differ from the file), rows not contiguous in memory.

    Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.arange(12, dtype="int16").reshape(6, 2))
    >>> rows = RowFile.open(np.load(path, mmap_mode="r"))
    >>> rows.read(1, 3).tolist(), rows.take(np.array([0, 5]), np.array([1, 0])).tolist()
    ([[2, 3], [4, 5]], [[10, 11], [0, 1]])
    """

    def __init__(self, fd, path, first, stride, dtype, row_shape, array=None):
        self.fd, self.path, self.first, self.stride = fd, path, first, stride
        self.dtype, self.row_shape = dtype, row_shape
        self.array = array  # the memmap: its mapping's addresses carry the read-ahead hints (process_madvise)
        self.row_bytes = dtype.itemsize * int(np.prod(row_shape, dtype=np.int64))
        self.dense = stride == self.row_bytes  # consecutive rows are one byte range of the file
        self.announced = {}  # batches (their sorted rows, as bytes) asked for ahead and not read yet
        self.direct = None  # a DirectReader, for a file too big to cache (see direct_io)
        weakref.finalize(self, os.close, fd)

    @classmethod
    def open(cls, array):
        """A `RowFile` for `array`'s file, or None where its rows must be read through the mapping."""
        if not _can_pread(array):
            return None
        found = _mapping_of(array.ctypes.data)
        if found is None:
            return None
        path, inode, shared, first = found
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:  # deleted or unreadable since it was mapped: the mapping still reads
            return None
        if not shared or os.fstat(fd).st_ino != inode:
            os.close(fd)
            return None
        # Rows are asked for explicitly (will_need); the kernel's own readahead would read ~8 MB around each one.
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        file = cls(fd, path, first, array.strides[0], array.dtype, array.shape[1:], array)
        # Past the page cache only for a read-only memmap (nothing of its own can be waiting in the cache) that
        # could not stay cached anyway
        if array.mode == "r" and not direct_io.cache_can_hold(os.fstat(fd).st_size):
            file.direct = direct_io.DirectReader.open(path, first, file.stride, file.row_bytes)
            if file.direct is not None:
                weakref.finalize(file, file.direct.close)
        return file

    def read(self, start, stop):
        """Rows `[start, stop)` as a new array (one read when the rows are consecutive in the file)."""
        if not self.dense:
            return self.take(np.arange(start, stop), np.arange(stop - start))
        out = self._empty(stop - start)
        if self.row_bytes:
            self.will_need_range(start, stop)
            self._pread([_bytes_of(out)], self.first + start * self.stride)
            self._drop_behind(start, stop)
        return out

    def take(self, rows, slots):
        """The rows numbered `rows` (sorted), each written straight into row `slots[i]` of a new array."""
        out = self._empty(len(rows))
        if not self.row_bytes or not len(rows):
            return out
        announced = self.announced.pop(rows.tobytes(), None)
        if self._is_one_run(rows):
            return self._read_run(rows, slots, out)
        direct = self._direct_reader()
        if direct is not None:
            if direct.read_into(announced if announced is not None else direct.submit(rows), slots, out):
                return out
            self.direct = None  # a read failed (an unaligned device?): through the page cache from now on
            announced = None
        if announced is None:
            self.will_need(rows)  # the whole batch is asked of the disk at once, then read in file order
        vector = _vector_io()
        if vector is not None and vector.read(self, rows, slots, out):
            return out
        offsets = (rows * self.stride + self.first).tolist()
        size, fd = self.row_bytes, self.fd
        flat = _bytes_of(out)
        buffers = [flat[at : at + size] for at in (slots * size).tolist()]
        if self.dense and len(rows) > 1 and bool((np.diff(rows) == 1).any()):
            for begin, end in _runs(rows):  # consecutive rows: one call fills all their slots
                for at in range(begin, end, _IOV_MAX):
                    self._pread(buffers[at : min(end, at + _IOV_MAX)], offsets[at])
            return out
        for buffer, offset in zip(buffers, offsets):  # ~1 µs a row: this loop is kept bare
            if os.preadv(fd, [buffer], offset) != size:
                self._pread([buffer], offset)
        return out

    def will_need(self, rows, batch=False):
        """Starts the disk reading the rows numbered `rows` (sorted) into the page cache; returns at once.

        `batch=True`: these are the rows of a batch that `take` will ask for, which then need not be asked again."""
        direct = self._direct_reader() if batch else None
        if batch and len(self.announced) > 4 * _AHEAD:  # batches announced but never read (a loop left early)
            for ticket in self.announced.values():
                if direct is not None and ticket is not True:
                    direct.forget(ticket)
            self.announced.clear()
        if batch and self._is_one_run(rows):  # consecutive rows: one read-ahead of their byte range
            self.announced[rows.tobytes()] = True
            self.will_need_range(int(rows[0]), int(rows[-1]) + 1)
            return
        if batch:
            self.announced[rows.tobytes()] = direct.submit(rows) if direct is not None else True
            if direct is not None:
                return
        vector = _vector_io()
        if vector is not None and self.array is not None and vector.will_need(self, rows):
            return
        size, fd = self.row_bytes, self.fd
        for offset in (rows * self.stride + self.first).tolist():
            os.posix_fadvise(fd, offset, size, os.POSIX_FADV_WILLNEED)

    def _is_one_run(self, rows):
        """Whether `rows` (sorted) are consecutive rows of a dense file: one byte range, read in one call."""
        return self.dense and _consecutive(rows)

    def _read_run(self, rows, slots, out):
        """Consecutive rows (a batch of `shuffle="batch"`) through the page cache, in one read: ~0.1 ms for 128 rows
        of 3 KB, where O_DIRECT pins every page of the range and then copies the rows out of its buffer (~0.26 ms).
        For a file too big to cache, the range is dropped from the cache once read, so it never fills a memory cap
        and needs no reclaim."""
        in_order = out if bool((slots == np.arange(len(slots))).all()) else self._empty(len(rows))
        self._pread([_bytes_of(in_order)], self.first + int(rows[0]) * self.stride)
        self._drop_behind(int(rows[0]), int(rows[-1]) + 1)
        if in_order is not out:
            out[slots] = in_order
        return out

    def _drop_behind(self, start, stop):
        """Drops rows `[start, stop)`, just read, from the page cache when the file is too big to stay cached."""
        if self.direct is not None:
            length = (stop - start - 1) * self.stride + self.row_bytes
            os.posix_fadvise(self.fd, self.first + start * self.stride, length, os.POSIX_FADV_DONTNEED)

    def _direct_reader(self):
        # In a forked child the AIO context is the parent's: the child reads through the page cache
        if self.direct is not None and self.direct.pid != os.getpid():
            self.direct = None
        return self.direct

    def will_need_range(self, start, stop):
        if stop > start:
            length = (stop - start - 1) * self.stride + self.row_bytes
            os.posix_fadvise(self.fd, self.first + start * self.stride, length, os.POSIX_FADV_WILLNEED)

    def _empty(self, count):
        return np.empty((count, *self.row_shape), dtype=self.dtype)

    def _pread(self, buffers, offset):
        """Fills `buffers` (byte memoryviews) from the file at `offset`, however many calls it takes."""
        first = 0
        while first < len(buffers):  # a short read: the kernel may stop early (a signal, a huge read) or the file ended
            count = os.preadv(self.fd, buffers[first:], offset)
            if count == 0:
                raise OSError(
                    f"{self.path} ends at byte {os.fstat(self.fd).st_size}, but the array's rows need bytes up to "
                    f"{offset + sum(len(b) for b in buffers[first:])}: the file was truncated after it was opened. "
                    f"Reopen it (np.load(path, mmap_mode='r')) once it is complete."
                )
            offset += count
            while first < len(buffers) and count >= len(buffers[first]):
                count -= len(buffers[first])
                first += 1
            if count:
                buffers[first] = buffers[first][count:]


class _VectorIO:
    """A batch's reads, and its read-ahead hints, each in one system call that releases the GIL once, not one call
    (and one GIL hand-over) per row: Linux AIO (`linux_aio`) for the reads, `process_madvise` for the hints.

    Reads of a file opened without O_DIRECT run synchronously inside `io_submit`, from the page cache the hints
    filled, which is all that is wanted. Any failure answers False, and the caller reads row by row instead."""

    PROCESS_MADVISE = 440  # the same on every architecture
    EVENTS = 256  # reads submitted at once

    def __init__(self):
        self.aio = linux_aio.AioContext(self.EVENTS)
        self.pid, self.lock = os.getpid(), threading.Lock()
        self.pidfd = os.pidfd_open(self.pid)
        self.madvise_works = True

    def read(self, file, rows, slots, out):
        """Reads row `rows[i]` of `file` into row `slots[i]` of `out`; False where a read failed or came short."""
        size = file.row_bytes
        requests = self.aio.reads(file.fd, out.ctypes.data + slots * size, size, rows * file.stride + file.first)
        events = np.empty(min(len(rows), self.EVENTS), linux_aio.EVENT)
        with self.lock:
            for begin in range(0, len(rows), self.EVENTS):
                chunk = requests[begin : begin + self.EVENTS]
                submitted = self.aio.submit(chunk)
                try:
                    whole = self._collect(events[:submitted], size)
                except OSError:
                    _NEVER_FREED.append((requests, out))  # reads may still land in them: they must stay allocated
                    raise
                if not whole or submitted < len(chunk):
                    return False
        return True

    def _collect(self, events, size):
        """Waits for `len(events)` completions; True if each read all its `size` bytes."""
        done = 0
        while done < len(events):
            done += self.aio.wait(events[done:], 1)
        return bool((events["res"] == size).all())

    def will_need(self, file, rows):
        """`MADV_WILLNEED` on the mapped pages of `rows`, in one call; False where the kernel refuses it."""
        if not self.madvise_works:
            return False
        starts = file.array.ctypes.data + rows.astype(np.uint64) * np.uint64(file.stride)
        ranges = np.empty((len(rows), 2), np.uint64)
        ranges[:, 0] = starts - starts % np.uint64(mmap.PAGESIZE)  # madvise takes whole pages
        ranges[:, 1] = starts + np.uint64(file.row_bytes) - ranges[:, 0]
        for begin in range(0, len(rows), _IOV_MAX):
            part = ranges[begin : begin + _IOV_MAX]
            if linux_aio.syscall(self.PROCESS_MADVISE, self.pidfd, part, len(part), mmap.MADV_WILLNEED, 0) < 0:
                self.madvise_works = False  # kernels before 5.19 take only MADV_COLD and MADV_PAGEOUT here
                return False
        return True


_vector = None
_vector_failed = False
_NEVER_FREED = []


def _vector_io():
    """The process's `_VectorIO`, made at first use (again after a fork); None where the system has none."""
    global _vector, _vector_failed
    if _vector_failed or not hasattr(os, "pidfd_open") or not linux_aio.available():
        return None
    if _vector is None or _vector.pid != os.getpid():
        try:
            _vector = _VectorIO()
        except (OSError, AttributeError, TypeError):  # no libc syscall, AIO disabled, or seccomp said no
            _vector_failed = True
            return None
    return _vector


def _can_pread(array):
    return (
        isinstance(array, np.memmap)
        and hasattr(os, "preadv")
        and hasattr(os, "posix_fadvise")
        and getattr(array, "mode", None) in ("r", "r+", "w+")  # not "c": copy-on-write pages may differ from the file
        and array.ndim >= 1
        and len(array) > 0
        and not array.dtype.hasobject
        and array[:1].flags.c_contiguous  # each row one block of bytes...
        and array.strides[0] >= array[:1].nbytes  # ...in increasing, non-overlapping file order
    )


def _mapping_of(address):
    """`(path, inode, shared, file offset of address)` for the file mapping holding `address`, or None."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                low, high = (int(bound, 16) for bound in fields[0].split("-"))
                if low <= address < high:
                    if len(fields) < 6 or not fields[5].startswith("/"):
                        return None
                    return (
                        fields[5].rstrip("\n"),
                        int(fields[4]),
                        fields[1][3] == "s",
                        int(fields[2], 16) + address - low,
                    )
    except (OSError, ValueError, IndexError):  # no /proc (not Linux) or an unexpected format: read by mapping
        pass
    return None


def _consecutive(rows):
    """Whether sorted row numbers `rows` (more than one) follow each other, as `shuffle="batch"`'s batches do (a
    repeated row leaves a gap elsewhere, so it never passes)."""
    return len(rows) > 1 and int(rows[-1]) - int(rows[0]) == len(rows) - 1


def _runs(rows):
    """`(begin, end)` positions of the runs of consecutive row numbers in sorted `rows`."""
    breaks = (np.flatnonzero(np.diff(rows) != 1) + 1).tolist()
    return zip([0, *breaks], [*breaks, len(rows)])


def _bytes_of(array):
    return memoryview(array.reshape(-1).view(np.uint8))


_IOV_MAX = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") and "SC_IOV_MAX" in os.sysconf_names else 1024
_AHEAD = 8  # batches whose rows the kernel is asked for ahead of the one being read


def announce(leaves, order, batch_size, step, count):
    """Asks for the rows of batch `step + 8` (of batches `0..8` at step 0) of every on-disk leaf, before they are read.

    `order` is the epoch's permutation (None in order); batches past `count` are not asked for.

    >>> announce([np.zeros(3)], None, 2, 0, 2)  # arrays in memory are left alone
    """
    disk = [leaf for leaf in leaves if isinstance(leaf, OutOfCoreArray) and leaf._file is not None]
    first = step + _AHEAD if step else 0
    for later in range(first, min(step + _AHEAD + 1, count)) if disk else ():
        start = later * batch_size
        index = None if order is None else order[start : start + batch_size]
        for leaf in disk:
            leaf.will_need(start, start + batch_size, index)


_READERS = 8  # rows read at once: a disk answers several random reads in about the time of one
_reader_pool = None


def _read_rows(array, index):
    """`array[index]` for sorted `index`; a memmap's rows are read by several threads, since each row missing from
    memory is a page fault that waits on the disk (NumPy releases the GIL while it copies).

    Consecutive rows (a batch of `shuffle="batch"`, Keras's mode for HDF5 data) are one slice: h5py reads 128 rows of
    784 floats in 0.04 ms as a slice, 0.27 ms as a list of indices."""
    if _consecutive(index):
        return array[int(index[0]) : int(index[-1]) + 1]
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

    Once `depth` items wait, the reader sleeps until half of them are taken, then reads the rest in one burst:
    on a machine whose cores all compute, each wake-up of the reader preempts a thread of the model's matmuls, and
    bursts halve the wake-ups (2,300 instead of 4,500 involuntary context switches in 1,000 steps on 2 cores).

    >>> list(prefetched(iter(range(5))))
    [0, 1, 2, 3, 4]
    """
    slots = queue.Queue(maxsize=depth)
    stop, hungry = threading.Event(), threading.Event()
    refill_at = max(depth // 2 - 1, 0)

    def offer(entry):
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in batches:
                if not offer((item, None)):
                    return
                if slots.full():
                    while slots.qsize() > refill_at and not stop.is_set():
                        hungry.wait(0.1)  # the consumer wakes us when it has taken half
                        hungry.clear()
            offer((_DONE, None))
        except BaseException as error:  # handed to the consumer, raised in its thread
            offer((_DONE, error))

    reader = threading.Thread(target=produce, name="cornu-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item, error = slots.get()
            if slots.qsize() <= refill_at:
                hungry.set()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        reader.join(timeout=5)
