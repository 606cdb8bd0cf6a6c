"""Running values kept as tensors, and batch logs that are read back from the device only when asked for."""

from collections.abc import MutableMapping

import torch

from cornu.callbacks.logs import Logs

__all__ = ["RunningMean", "LazyLogs", "Logs"]


class RunningMean:
    """The sample-weighted mean of per-batch values (Keras weights each batch's loss by its size).

    >>> mean = RunningMean("loss"); mean.update(torch.tensor(1.0), 2); mean.update(torch.tensor(4.0), 1)
    >>> float(mean.result())
    2.0
    """

    def __init__(self, name):
        self.name = name
        self.total, self.count = None, 0

    def update(self, value, count):
        if self.total is None:
            self.total = value * count  # a new tensor, this tracker's own: later updates add into it in place
        else:
            self.total.add_(value, alpha=count)  # one kernel a step instead of two
        self.count += count

    def result(self):
        if self.total is None:
            return torch.tensor(0.0)
        return self.total / self.count

    def reset(self):
        self.total, self.count = None, 0

    reset_state = reset


class LazyLogs(MutableMapping):
    """A dict of the current metric values, computed (one host sync) on first access.

    Batch-level callbacks get one of these, so a loop whose callbacks never read batch logs never waits. Like
    the dict Keras passes, a callback may add or change entries (they are not seen by the loop).
    """

    def __init__(self, compute):
        self._compute, self._values = compute, None

    def _resolved(self):
        if self._values is None:
            self._values = Logs()
            for name, value in sorted(self._compute().items()):
                self._values[name] = value.item() if isinstance(value, torch.Tensor) and value.numel() == 1 else value
        return self._values

    def __getitem__(self, key):
        return self._resolved()[key]

    def __setitem__(self, key, value):
        self._resolved()[key] = value

    def __delitem__(self, key):
        del self._resolved()[key]

    def __iter__(self):
        return iter(self._resolved())

    def __len__(self):
        return len(self._resolved())

    def __repr__(self):
        return repr(self._resolved())
