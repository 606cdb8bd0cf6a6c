"""Rows read from disk straight into the process, past the page cache (`O_DIRECT` with Linux AIO), for files too
big for the memory that could cache them.

When a memmap is larger than the memory left to cache it (RAM, or a cgroup's limit), caching its rows only costs:
a shuffled epoch reads each row once, the page cache must evict a page for each page it takes in, and the kernel
spends CPU on both, on the cores the model trains on. `O_DIRECT` reads skip all of it: the disk writes each row's
pages into a buffer of the process, `io_submit` returns at once, and the rows are copied into their batch when they
are needed. Measured on 2 cores with the 4 GB memmap of `benchmarks/memmap_fit.py` capped at 1.5 GB: two thirds of
the CPU of a batch read through the page cache (~0.45 against ~0.68 ms a batch of 128 rows), +5% samples/s.

`O_DIRECT` needs aligned reads: each row is read as the whole 4 KB pages that hold it, into a page-aligned buffer;
rows whose pages touch (consecutive rows, as `shuffle="batch"` gives) are one read.

Example:
>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
>>> np.save(path, np.arange(20000, dtype="float32").reshape(5000, 4))
>>> x = np.load(path, mmap_mode="r")
>>> reader = DirectReader.open(path, first=x.offset, stride=16, row_bytes=16)
>>> if reader is not None:  # None where the file system has no O_DIRECT (tmpfs)
...     out = np.empty((2, 4), np.float32)
...     ticket = reader.submit(np.array([3, 4999]))
...     assert reader.read_into(ticket, np.array([1, 0]), out)
...     assert out.tolist() == [[19996.0, 19997.0, 19998.0, 19999.0], [12.0, 13.0, 14.0, 15.0]]
"""

import ctypes
import errno
import itertools
import math
import mmap
import os
import threading

import numpy as np

from cornu.trainers import linux_aio

__all__ = ["DirectReader", "cache_can_hold"]

ALIGNMENT = 4096  # O_DIRECT wants offsets, lengths and buffers aligned to the device's block size: 4 KB covers all
CAPACITY = 4096  # reads in flight at once (8 batches ahead of a 128-row batch is 1,152)
SPARE_BUFFERS = 16  # the batches in flight (9) and a few more
BUFFER_GRAIN = 256 * 1024


def cache_can_hold(nbytes):
    """Whether `nbytes` of file could stay in the page cache: no more than the memory the system has available
    (`MemAvailable`) and than this process's cgroup may use. True where neither can be read (not Linux).

    >>> cache_can_hold(1)
    True
    """
    limits = [limit for limit in (_available_memory(), _cgroup_limit()) if limit is not None]
    return not limits or nbytes <= min(limits)


class _Ticket:
    """The reads of one batch: their records and pages stay allocated until the kernel has answered every read.
    `positions[i]`: where the `i`-th row asked for starts in `pages`; `needed[j]`: the bytes read `j` must bring."""

    def __init__(self, number, requests, pages, positions, needed):
        self.number, self.requests, self.pages = number, requests, pages
        self.positions, self.needed = positions, needed
        self.remaining, self.ok, self.abandoned = 0, True, False  # remaining: reads submitted and not answered


class DirectReader:
    """Reads rows of a file (`first` byte of row 0, `stride` bytes apart, `row_bytes` long) with `O_DIRECT`.

    `submit(rows)` starts reading sorted row numbers and returns at once with a ticket; `read_into(ticket, slots,
    out)` waits for them and copies row `rows[i]` into row `slots[i]` of `out`. `open` returns None where the file
    system or the kernel does not allow it."""

    def __init__(self, fd, path, first, stride, row_bytes):
        self.fd, self.path, self.first, self.stride, self.row_bytes = fd, path, first, stride, row_bytes
        self.block = math.gcd(first, stride, row_bytes, ALIGNMENT)  # rows start and end on these
        self.aio = linux_aio.AioContext(CAPACITY)
        self.pid, self.lock = os.getpid(), threading.Lock()
        self.tickets, self.numbers = {}, itertools.count(1)
        self.events = np.empty(256, linux_aio.EVENT)
        self.spare = []  # buffers of finished batches, to be read into again

    def _pages(self, size):
        """A page-aligned buffer (as O_DIRECT needs) of at least `size` bytes: a spare one when one is big enough.
        Reusing them matters: the first read into a new buffer faults its pages in (0.5 of 0.8 ms a batch,
        measured). Sizes are rounded up to 256 KB, so batches of about the same size share buffers."""
        for index, spare in enumerate(self.spare):
            if len(spare) >= size:
                return self.spare.pop(index)
        return mmap.mmap(-1, -(-size // BUFFER_GRAIN) * BUFFER_GRAIN)

    def _release(self, ticket):
        if len(self.spare) < SPARE_BUFFERS:
            self.spare.append(ticket.pages)

    @classmethod
    def open(cls, path, first, stride, row_bytes):
        if not linux_aio.available() or not hasattr(os, "O_DIRECT"):
            return None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECT | getattr(os, "O_CLOEXEC", 0))
        except OSError:  # tmpfs and some network file systems refuse O_DIRECT
            return None
        try:
            return cls(fd, path, first, stride, row_bytes)
        except (OSError, AttributeError, TypeError):  # AIO disabled, or seccomp said no
            os.close(fd)
            return None

    def submit(self, rows):
        """Starts reading the rows numbered `rows` (sorted); returns their ticket.

        Rows whose pages touch or overlap are read together: a batch of consecutive rows (`shuffle="batch"`,
        or no shuffling) is one read, where a shuffled batch is a read per row."""
        starts = rows.astype(np.int64) * self.stride + self.first
        aligned = starts - starts % ALIGNMENT
        ends = -(-(starts + self.row_bytes) // ALIGNMENT) * ALIGNMENT
        opens_run = np.ones(len(rows), bool)
        opens_run[1:] = aligned[1:] > ends[:-1]
        firsts = np.flatnonzero(opens_run)
        lasts = np.append(firsts[1:], len(rows)) - 1
        lengths = ends[lasts] - aligned[firsts]  # rows are sorted: a run's last row ends it
        at = np.cumsum(lengths) - lengths  # where each run goes in the buffer: whole pages, so still aligned
        run_of_row = np.cumsum(opens_run) - 1
        positions = at[run_of_row] + starts - aligned[firsts][run_of_row]
        pages = self._pages(max(int(lengths.sum()), ALIGNMENT))
        address = ctypes.addressof(ctypes.c_char.from_buffer(pages))
        number = next(self.numbers)
        requests = self.aio.reads(self.fd, address + at, lengths, aligned[firsts], tags=number)
        needed = starts[lasts] + self.row_bytes - aligned[firsts]  # past the end of the file, a read may be short
        ticket = _Ticket(number, requests, pages, positions, needed)
        with self.lock:
            self.tickets[number] = ticket
            submitted = 0
            while submitted < len(requests):
                taken = self.aio.submit(requests[submitted:])
                submitted += taken
                ticket.remaining += taken
                if submitted == len(requests):
                    break
                if self.aio.stopped_by != errno.EAGAIN or not self._in_flight():
                    # refused (a device wanting larger alignment, say): the caller reads through the page cache;
                    # what was submitted is still waited for, since it writes into this ticket's pages
                    ticket.ok = False
                    break
                self._reap(minimum=1)  # the context is full of earlier batches' reads: room comes as they end
        return ticket

    def _in_flight(self):
        return any(ticket.remaining for ticket in self.tickets.values())

    def read_into(self, ticket, slots, out):
        """Waits for `ticket`'s reads and copies them into `out`'s rows `slots`; False where a read failed."""
        with self.lock:
            while ticket.remaining:
                self._reap(minimum=1)
            self.tickets.pop(ticket.number, None)
        if not ticket.ok:
            return False
        # One gather in blocks of `self.block` bytes (64 for float32 rows of 784), on which every row starts and
        # ends: 128 rows in ~30 µs, where a copy call per row took 150 µs
        block = np.dtype(f"V{self.block}")
        pages = np.frombuffer(ticket.pages, block)
        first = ticket.positions // self.block
        rows = pages[first[:, None] + np.arange(self.row_bytes // self.block)]
        out.reshape(len(out), -1).view(np.uint8).view(block)[slots] = rows
        with self.lock:
            self._release(ticket)
        return True

    def forget(self, ticket):
        """A ticket that will never be read: its pages are freed once the kernel is done with them."""
        ticket.abandoned = True

    def _reap(self, minimum):
        """Takes completed reads off the kernel's queue and counts them against their tickets; False if none."""
        count = self.aio.wait(self.events, minimum)
        done = self.events[:count]
        for number in np.unique(done["data"]).tolist():  # one or two batches: the loop is over tickets, not reads
            ticket = self.tickets.get(number)
            if ticket is None:
                continue
            mine = done[done["data"] == number]
            index = (mine["obj"] - np.uint64(ticket.requests.ctypes.data)) // np.uint64(linux_aio.IOCB.itemsize)
            if (mine["res"] < ticket.needed[index.astype(np.int64)]).any():  # an error (< 0), or short of the row
                ticket.ok = False
            ticket.remaining -= len(mine)
            if not ticket.remaining and ticket.abandoned:
                del self.tickets[number]
                self._release(ticket)
        return count > 0

    def close(self):
        """Waits for what is in flight, then releases the context and the file."""
        with self.lock:
            while any(ticket.remaining for ticket in self.tickets.values()):
                self._reap(minimum=1)
            self.tickets.clear()
            self.aio.close()
            os.close(self.fd)


def _available_memory():
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_limit(membership="/proc/self/cgroup", root="/sys/fs/cgroup"):
    """The memory limit of this process's cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`), or None."""
    try:
        with open(membership) as groups:
            lines = [line.rstrip("\n").split(":", 2) for line in groups]
    except OSError:
        return None
    for _, controllers, path in (line for line in lines if len(line) == 3):
        if controllers == "":
            candidate = f"{root}{path}/memory.max"
        elif "memory" in controllers.split(","):
            candidate = f"{root}/memory{path}/memory.limit_in_bytes"
        else:
            continue
        try:
            with open(candidate) as limit:
                text = limit.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:  # v1 writes "no limit" as a huge number, v2 as "max"
            return int(text)
    return None
