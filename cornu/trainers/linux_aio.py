"""Linux's asynchronous I/O (`io_setup`/`io_submit`/`io_getevents`), called through ctypes.

A batch of reads goes to the kernel in one system call instead of one call per row. Python has no binding for these
calls and libaio is not always installed, so the requests are laid out as NumPy records in the kernel's `iocb`
format and the calls are made through libc's `syscall`.

Example:
>>> import tempfile
>>> with tempfile.TemporaryFile() as file:
...     _ = file.write(b"abcdefgh"); file.flush()
...     aio = AioContext(4)
...     out = np.zeros(3, np.uint8)
...     requests = aio.reads(file.fileno(), [out.ctypes.data], [3], [2])
...     events = np.empty(1, EVENT)
...     aio.submit(requests), aio.wait(events, 1), bytes(out), int(events["res"][0])
(1, 1, b'cde', 3)
"""

import ctypes
import errno
import platform

import numpy as np

__all__ = ["AioContext", "EVENT", "IOCB", "available", "syscall"]

# io_setup, io_destroy, io_submit, io_getevents
_NUMBERS = {"x86_64": (206, 207, 209, 208), "aarch64": (0, 1, 2, 4)}
_PREAD = 0  # IOCB_CMD_PREAD

IOCB = np.dtype(
    [("data", "<u8"), ("key", "<u4"), ("rw_flags", "<i4"), ("opcode", "<u2"), ("reqprio", "<i2")]
    + [("fildes", "<u4"), ("buf", "<u8"), ("nbytes", "<u8"), ("offset", "<i8"), ("reserved2", "<u8")]
    + [("flags", "<u4"), ("resfd", "<u4")]
)
EVENT = np.dtype([("data", "<u8"), ("obj", "<u8"), ("res", "<i8"), ("res2", "<i8")])

_libc_syscall = None


def available():
    """Whether this machine's architecture has the calls wired here (Linux on x86-64 or ARM64)."""
    return platform.system() == "Linux" and platform.machine() in _NUMBERS


def syscall(number, *args):
    """`syscall(number, *args)`, each argument a full 64-bit word (NumPy arrays by their address); -1 sets errno."""
    global _libc_syscall
    if _libc_syscall is None:
        function = ctypes.CDLL(None, use_errno=True).syscall  # CDLL releases the GIL for the call's length
        function.restype = ctypes.c_long
        _libc_syscall = function
    words = [ctypes.c_void_p(a.ctypes.data) if isinstance(a, np.ndarray) else a for a in args]
    words = [ctypes.c_long(w) if isinstance(w, int) else w for w in words]
    return _libc_syscall(ctypes.c_long(number), *words)


class AioContext:
    """One kernel AIO context able to hold `capacity` reads in flight. Raises OSError where the kernel refuses one."""

    def __init__(self, capacity):
        self.setup, self.destroy_call, self.submit_call, self.getevents = _NUMBERS[platform.machine()]
        handle = ctypes.c_ulong(0)
        if syscall(self.setup, int(capacity), ctypes.byref(handle)) != 0:
            raise OSError(ctypes.get_errno(), "io_setup failed")
        self.handle, self.capacity = handle, int(capacity)
        self.stopped_by = None  # errno of the last `submit` that took fewer than all (EAGAIN: the context is full)

    @staticmethod
    def reads(fd, buffers, sizes, offsets, tags=0):
        """`iocb` records reading `sizes[i]` bytes at `offsets[i]` of `fd` into address `buffers[i]`."""
        requests = np.zeros(len(buffers), IOCB)
        requests["fildes"], requests["opcode"], requests["data"] = fd, _PREAD, tags
        requests["buf"], requests["nbytes"], requests["offset"] = buffers, sizes, offsets
        return requests

    def submit(self, requests):
        """Hands `requests` (an `IOCB` array) to the kernel; returns how many it took, from the first, in order.
        Fewer than all when the context is full or a request is refused: `stopped_by` then holds the errno."""
        pointers = requests.ctypes.data + np.arange(len(requests), dtype=np.uint64) * np.uint64(IOCB.itemsize)
        submitted, self.stopped_by = 0, None
        while submitted < len(requests):
            count = syscall(self.submit_call, self.handle, len(requests) - submitted, pointers[submitted:])
            if count <= 0:
                self.stopped_by = ctypes.get_errno() if count < 0 else errno.EAGAIN
                break
            submitted += count
        return submitted

    def wait(self, events, minimum):
        """Waits for at least `minimum` completions and writes up to `len(events)` into `events`; returns their count.

        Raises OSError if the kernel fails the wait: reads in flight then still point at their buffers, which the
        caller must keep allocated."""
        while True:
            count = syscall(self.getevents, self.handle, int(minimum), len(events), events, None)
            if count >= 0:
                return count
            if ctypes.get_errno() != errno.EINTR:
                raise OSError(ctypes.get_errno(), "io_getevents failed with reads in flight")

    def close(self):
        """Releases the context (the kernel cancels or waits for what is still in flight)."""
        if self.handle is not None:
            syscall(self.destroy_call, self.handle)
            self.handle = None
