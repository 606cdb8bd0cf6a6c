"""Runs a setting on every thread of torch's OpenMP team, where torch's CPU kernels (and MKL's) do their work.

Some CPU state belongs to each thread: above all the x86 MXCSR flags that flush subnormal floats to zero, which
`torch.set_flush_denormal` sets for the calling thread only. The worker threads of the OpenMP team keep their own
flags, so a matrix product whose inputs hold subnormals still runs its workers' share ~100x slower (measured on
2 threads: 270 ms against 2 ms for a 600 × 600 product). POSIX threads inherit the flags when they are created, but
torch creates its team at the first parallel kernel, long before `fit` starts.

The team is reached through the OpenMP runtime's `GOMP_parallel` entry point (GNU's libgomp, which torch's Linux
wheels ship; Intel's and LLVM's runtimes export it too): it runs a callback once on each thread of the calling
thread's team, the same team `#pragma omp parallel` in torch's kernels uses. Where no runtime is found, the setting
is applied to the calling thread alone, as torch does.
"""

import ctypes
import functools
import os
import threading

import torch

__all__ = ["on_every_thread"]

_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_RUNTIMES = ("libgomp", "libiomp5", "libomp")


def on_every_thread(function):
    """Calls `function()` on each thread of torch's CPU thread team, the calling thread included.

    `function` must be quick and must not raise (it runs in the runtime's threads; an exception there is printed
    and dropped). Returns the calling thread's result.

    Example:
    >>> import threading
    >>> threads = set()
    >>> _ = on_every_thread(lambda: threads.add(threading.get_ident()))
    >>> threading.get_ident() in threads
    True
    """
    threads = torch.get_num_threads()
    parallel = _gomp_parallel() if threads > 1 else None
    if parallel is None:
        return function()
    caller, results = threading.get_ident(), {}

    def body(_):
        result = function()
        if threading.get_ident() == caller:
            results["caller"] = result

    callback = _CALLBACK(body)  # kept alive by this frame until the parallel region has ended
    parallel(callback, None, threads, 0)
    return results.get("caller")


@functools.lru_cache(maxsize=1)
def _gomp_parallel():
    """`GOMP_parallel` of the OpenMP runtime already loaded in this process (torch's own), or None."""
    path = _loaded_runtime()
    if path is None:
        return None
    try:
        function = ctypes.CDLL(path).GOMP_parallel  # CDLL releases the GIL during the call: the team can take it
    except (OSError, AttributeError):
        return None
    function.argtypes = [_CALLBACK, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
    function.restype = None
    return function


def _loaded_runtime():
    """The path of the OpenMP library mapped into this process (Linux's /proc), or None."""
    if "openmp" not in torch.__config__.parallel_info().lower():
        return None
    try:
        with open(f"/proc/{os.getpid()}/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/" in line}
    except OSError:
        return None
    for runtime in _RUNTIMES:
        for path in sorted(paths):
            if os.path.basename(path).startswith(runtime) and ".so" in path:
                return path
    return None
