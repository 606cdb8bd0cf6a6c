"""Each rank's share of every batch: a global batch is split in rank order, rank 0 taking the first samples.

Splitting every batch (rather than handing each rank its own run of batches) keeps the number of steps the same on
every rank, which the gradient all-reduce of each training step needs, and makes rank `r`'s part of batch `k` the
samples `k * batch_size + [lo_r, hi_r)` of the (shuffled) order, so `predict` can put the results back in place.
"""

import torch
import torch.distributed as dist

from cornu.utils import tree

__all__ = ["ShardedData", "split_bounds"]


def split_bounds(count, world_size, rank):
    """Rank `rank`'s `[lo, hi)` of `count` samples split into `world_size` parts, the first ones one longer.

    >>> [split_bounds(5, 2, r) for r in (0, 1)], split_bounds(1, 2, 1)
    ([(0, 3), (3, 5)], (1, 1))
    """
    size, extra = divmod(count, world_size)
    lo = rank * size + min(rank, extra)
    return lo, lo + size + (rank < extra)


class ShardedData:
    """The rank's part of `data` (an `ArrayData` or `IterableData`), one part of each global batch per step.

    In training (`training=True`) a rank whose part of a batch is empty (a last batch shorter than the number of
    ranks) still takes part in that step's gradient all-reduce, with a zero gradient, so no rank waits forever. For
    arrays that step is known in advance and taken right after the rank's previous step (`trailing_empty`), so the
    rank's `steps` counts only its own batches, which keeps `steps_per_epoch`'s passes in line across ranks.

    Example:
    >>> from cornu.trainers.data import ArrayData
    >>> class TwoRanks:
    ...     rank, world_size = 1, 2
    >>> data = ShardedData(ArrayData(np.arange(5.0).reshape(5, 1), batch_size=4), TwoRanks())
    >>> [x[:, 0].tolist() for x, _, _ in data.epoch()], data.positions
    ([[2.0, 3.0]], [(2, 4)])
    """

    def __init__(self, data, strategy, training=False):
        from cornu.trainers.data import ArrayData

        self.data, self.strategy, self.training = data, strategy, training
        self.rank, self.world_size = strategy.rank, strategy.world_size
        self.in_memory = isinstance(data, ArrayData)
        self.steps = data.steps
        if self.in_memory:  # this rank's batches: a last batch shorter than world_size leaves some ranks out
            self.steps = sum(1 for bounds in self._bounds(data.steps) if bounds[2] < bounds[3])
        self.num_samples = getattr(data, "num_samples", None)
        self.batch_size = getattr(data, "batch_size", None)
        self.positions = []  # (lo, hi) global sample positions of this rank's batches in the last unshuffled pass
        if training and self.in_memory and data.batch_size % self.world_size:
            size = data.batch_size
            raise ValueError(
                f"batch_size is the global batch, split over {self.world_size} processes, so it must be divisible by "
                f"{self.world_size}. Received: batch_size={size}. Use batch_size={size - size % self.world_size or 1}"
                f" or {size + self.world_size - size % self.world_size}."
            )

    def peek(self):
        return self.data.peek()

    def epoch(self, shuffle=False, steps=None, generator=None):
        """Yields this rank's `(x, y, sample_weight)` part of each batch of one pass."""
        if self.in_memory:
            parts = self._array_parts(shuffle, steps, generator)
        else:
            parts = self._split_parts(self.data.epoch(shuffle=shuffle, steps=steps, generator=generator))
        self.positions = []
        for batch, position, share, trailing in parts:
            if batch is None:
                if self.training:
                    self.strategy.empty_step()
                continue
            if position is not None:
                self.positions.append(position)
            # read by the gradient all-reduce of the step that takes this batch
            self.strategy.step_weight, self.strategy.trailing_empty = share, trailing
            yield batch

    def _bounds(self, count):
        """`(start, length, lo, hi)` of each of the first `count` global batches of an in-memory pass."""
        data = self.data
        for step in range(count):
            start = step * data.batch_size
            length = min(data.batch_size, data.num_samples - start)
            yield (start, length) + split_bounds(length, self.world_size, self.rank)

    def _array_parts(self, shuffle, steps, generator):
        from cornu.trainers.data import _batch_shuffle, _gather
        from cornu.trainers.out_of_core import prefetched

        data = self.data
        order = None
        if shuffle == "batch":
            order = _batch_shuffle(data.num_samples, data.batch_size, generator)
        elif shuffle:
            order = torch.randperm(data.num_samples, generator=generator)  # the draw one process would make
        if order is not None:
            order = self._from_chief(order).to(data._index_device())
        count = data.steps if steps is None else min(steps, data.steps)
        leaves = tree.flatten((data.x, data.y, data.sample_weight))

        bounds = list(self._bounds(count))
        empty = [lo == hi for _, _, lo, hi in bounds]

        def parts():
            for step, (start, length, lo, hi) in enumerate(bounds):
                if lo == hi:
                    if all(empty[:step]):  # no batch of this rank before it to take its step with
                        yield None, None, 0.0, 0
                    continue
                trailing = next((i for i, e in enumerate(empty[step + 1 :]) if not e), len(empty) - step - 1)
                index = None if order is None else order[start + lo : start + hi]
                batch = [_gather(leaf, start + lo, start + hi, index, data.device) for leaf in leaves]
                position = (start + lo, start + hi) if order is None else None
                yield (
                    tree.pack_like((data.x, data.y, data.sample_weight), batch),
                    position,
                    (hi - lo) / length,
                    trailing,
                )

        return prefetched(parts()) if data.on_disk else parts()

    def _split_parts(self, batches):
        offset = 0
        for batch in batches:
            length = len(tree.flatten(batch[0])[0])
            lo, hi = split_bounds(length, self.world_size, self.rank)
            part = None
            if lo < hi:
                part = tree.map_structure(lambda t, cut=slice(lo, hi): None if t is None else t[cut], batch)
            yield part, (offset + lo, offset + hi), (hi - lo) / max(length, 1), 0
            offset += length

    def _from_chief(self, order):
        """Rank 0's permutation on every rank: ranks agree on the order even when their generators were not
        seeded alike (each still draws its own, so its generator advances as in one process)."""
        device = getattr(self.strategy, "comm_device", torch.device("cpu"))
        shared = order.to(device)
        if dist.is_initialized():
            dist.broadcast(shared, src=0)
        return shared
