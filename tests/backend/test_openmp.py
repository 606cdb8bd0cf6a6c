"""Settings on every thread of torch's OpenMP team: subnormal flushing must reach the workers, not only the caller."""

import threading

import pytest
import torch

from cornu import backend
from cornu.backend.openmp import _gomp_parallel, on_every_thread

SUBNORMAL, ONE = 1e-310, 1.0  # a subnormal double: Python's float arithmetic runs on the same SSE unit and flags


@pytest.fixture
def team():
    """Two threads, on a torch whose CPU kernels run on an OpenMP runtime (torch's Linux wheels do)."""
    if _gomp_parallel() is None:
        pytest.skip("torch here does not run on an OpenMP runtime")
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _flushes():
    """Whether the calling thread flushes subnormals (read from its own flags, through arithmetic)."""
    return SUBNORMAL * ONE == 0.0


def test_runs_once_on_each_thread_of_the_team(team):
    threads = []
    result = on_every_thread(lambda: threads.append(threading.get_ident()) or "done")
    assert result == "done" and len(set(threads)) == len(threads) == 2
    assert threading.get_ident() in threads


def test_fit_flushes_subnormals_on_the_worker_threads_too(team):
    if not torch.set_flush_denormal(False):
        pytest.skip("this CPU cannot flush subnormals")

    def flags():
        seen = []
        on_every_thread(lambda: seen.append(_flushes()))
        return seen

    assert flags() == [False, False]
    with backend.denormals_flushed():
        assert flags() == [True, True]  # the worker too: torch's own switch sets the caller's flags alone
    assert flags() == [False, False]
    torch.set_flush_denormal(True)
    try:
        assert sorted(flags()) == [False, True]  # what the module is for: the worker kept its own flags
    finally:
        torch.set_flush_denormal(False)
