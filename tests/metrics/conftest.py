"""Shared by the metric tests: a guard that fails on any read of a tensor value back to Python."""

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode


class NoHostSync(TorchDispatchMode):
    """Fails on any op that reads a tensor value back to Python (`.item()`, `bool(t)`, `float(t)`, `nonzero`)."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in (torch.ops.aten._local_scalar_dense.default, torch.ops.aten.nonzero.default):
            raise AssertionError(f"host sync in update_state: {func}")
        return func(*args, **(kwargs or {}))


@pytest.fixture
def no_host_sync():
    return NoHostSync
