"""What the ranks exchange: gradients every step, weights at the start, metric states and buffers at epoch ends,
predictions at the end of `predict`.

The gradient all-reduce runs inside `optimizer.apply`, which `training()` shadows on the optimizer instance for the
length of `fit`. The single-process step (forward, `autograd.grad`, `apply`) is thus the same code, with no branch;
`DistributedDataParallel` is not used because it reduces gradients from `.grad` in backward hooks, and cornu's step
takes them with `torch.autograd.grad` instead. One flat buffer per dtype is all-reduced per step (the bucketing DDP
does, with a single bucket).
"""

import contextlib

import numpy as np
import torch
import torch.distributed as dist

from cornu.callbacks.callback import Callback
from cornu.trainers.logs import RunningMean
from cornu.utils import tree

__all__ = ["GradientReducer", "broadcast_module", "for_this_rank", "gather_outputs", "synced_metrics", "training"]


class GradientReducer:
    """Stands in for `optimizer.apply`: sums `weight * grad` over the ranks, then calls the real `apply`.

    `weight` is the rank's share of the global batch (`strategy.step_weight`), so the sum is the gradient of the
    mean loss over the global batch, as one process would compute it; a loss term that every rank adds whole
    (a regularizer) is counted once, since the shares sum to 1.
    """

    def __init__(self, strategy, apply, params):
        self.strategy, self.apply, self.params = strategy, apply, params
        self.present = None  # which gradients the last step had (None ones: weights outside the graph)

    def __call__(self, grads, params=None):
        trailing, self.strategy.trailing_empty = self.strategy.trailing_empty, 0
        result = self._reduce_and_apply(grads, params)
        for _ in range(trailing):  # the steps of the next batches, where this rank has no sample (see ShardedData)
            self.empty_step()
        return result

    def _reduce_and_apply(self, grads, params):
        grads = list(grads)
        self.present = [i for i, g in enumerate(grads) if g is not None]
        weight = self.strategy.step_weight
        by_dtype = {}
        for i in self.present:
            by_dtype.setdefault(grads[i].dtype, []).append(i)
        for indices in by_dtype.values():
            flat = torch.cat([grads[i].reshape(-1) for i in indices]).mul_(weight)
            dist.all_reduce(flat)
            for i, chunk in zip(indices, flat.split([grads[i].numel() for i in indices])):
                grads[i] = chunk.view_as(grads[i])
        return self.apply(grads, params)

    def empty_step(self):
        """This rank's step when it has no sample of the batch: a zero gradient, in the others' all-reduce."""
        present = set(range(len(self.params)) if self.present is None else self.present)
        zeros = [torch.zeros_like(p) if i in present else None for i, p in enumerate(self.params)]
        self.strategy.step_weight = 0.0
        self._reduce_and_apply(zeros, self.params)


@contextlib.contextmanager
def training(strategy, model):
    """For the length of `fit`: weights from rank 0, then gradients all-reduced in `model.optimizer.apply`."""
    broadcast_module(model)
    optimizer = model.optimizer
    params = model.trainable_weights
    shadowed = optimizer.__dict__.get("apply")
    reducer = GradientReducer(strategy, optimizer.apply, params)
    optimizer.apply = reducer
    strategy.step_weight, strategy.empty_step = 1.0 / strategy.world_size, reducer.empty_step if params else _no_step
    try:
        yield reducer
    finally:
        if shadowed is None:
            del optimizer.apply
        else:
            optimizer.apply = shadowed
        strategy.empty_step = _no_step


def _no_step():
    pass


def broadcast_module(model):
    """Rank 0's parameters and buffers on every rank (in place)."""
    with torch.no_grad():
        for tensor in list(model.parameters()) + list(model.buffers()):
            dist.broadcast(tensor.data, src=0)


@contextlib.contextmanager
def synced_metrics(strategy, metrics):
    """Inside, every metric's state is the sum over the ranks (its `aggregation`); the rank's own state is put back
    after, so reading the logs twice never counts twice."""
    saved, seen = [], set()
    for metric in metrics:
        if isinstance(metric, RunningMean):
            saved.append((metric, metric.total, metric.count))
            _sync_running_mean(metric, strategy.comm_device)
            continue
        for variable in metric.variables:
            if id(variable) in seen:  # a sub-metric shared by two metrics: summed once
                continue
            seen.add(id(variable))
            kept = variable.detach().clone()
            saved.append((variable, kept, None))
            _sync_variable(variable, strategy.world_size)
    try:
        yield
    finally:
        for owner, first, second in saved:
            if isinstance(owner, RunningMean):
                owner.total, owner.count = first, second
            else:
                owner.copy_(first)


def _sync_running_mean(metric, device):
    total = 0.0 if metric.total is None else float(metric.total)  # once per epoch: the sync is fine here
    pair = torch.tensor([total, float(metric.count)], dtype=torch.float64, device=device)
    dist.all_reduce(pair)
    dtype = torch.float32 if metric.total is None else metric.total.dtype
    metric.total, metric.count = pair[0].to(dtype), int(pair[1])


def _sync_variable(variable, world_size):
    aggregation = getattr(variable, "aggregation", "sum")
    with torch.no_grad():
        if aggregation in ("sum", "mean"):
            dist.all_reduce(variable)
            if aggregation == "mean":
                variable.div_(world_size)
        else:  # "only_first_replica", "none": rank 0's value
            dist.broadcast(variable, src=0)


class _EpochSync(Callback):
    """At each epoch's end: the non-trainable weights (moving statistics) and buffers from rank 0, and
    `stop_training` if any rank set it."""

    def __init__(self, strategy):
        super().__init__()
        self.strategy = strategy

    def on_train_begin(self, logs=None):
        # after BackupAndRestore (this callback is the last): every rank must resume at the same epoch
        epochs = [None] * self.strategy.world_size
        dist.all_gather_object(epochs, self.model._initial_epoch)
        if len(set(epochs)) > 1:
            seen = ", ".join(f"rank {r}: {e}" for r, e in enumerate(epochs))
            raise RuntimeError(
                f"The ranks resume fit at different epochs ({seen}; None is no backup): some could not read "
                "BackupAndRestore's backup. With several machines, give "
                "backup_dir a folder on storage that every machine reads, the same path on each."
            )

    def on_epoch_end(self, epoch, logs=None):
        state = [p for p in self.model.parameters() if not p.requires_grad] + list(self.model.buffers())
        with torch.no_grad():
            for tensor in state:
                dist.broadcast(tensor.data, src=0)
        flag = torch.tensor([float(bool(self.model.stop_training))], device=self.strategy.comm_device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        self.model.stop_training = bool(flag.item())


class _RestoreOnly(Callback):
    """A `BackupAndRestore` on a rank other than 0: it restores the backup when `fit` starts and writes nothing."""

    def __init__(self, backup):
        super().__init__()
        self.backup = backup

    def set_model(self, model):
        super().set_model(model)
        self.backup.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        self.backup.set_params(params)

    def on_train_begin(self, logs=None):
        self.backup.on_train_begin(logs)


def for_this_rank(strategy, callbacks):
    """The callbacks this rank runs: all of them on rank 0; elsewhere none that prints or writes files."""
    from cornu.callbacks import BackupAndRestore, CSVLogger, ModelCheckpoint, ProgbarLogger, TensorBoard

    callbacks = list(callbacks or [])
    if not strategy.is_chief:
        writers = (CSVLogger, ModelCheckpoint, ProgbarLogger, TensorBoard)
        callbacks = [
            _RestoreOnly(cb) if isinstance(cb, BackupAndRestore) else cb
            for cb in callbacks
            if not isinstance(cb, writers)
        ]
    return callbacks + [_EpochSync(strategy)]


def gather_outputs(strategy, outputs, data):
    """`predict`'s per-batch outputs of every rank, put back in sample order: one batch holding all samples."""
    positions = getattr(data, "positions", None)
    payload = None
    if outputs:
        joined = [torch.cat([leaf for leaf in column]) for column in zip(*[tree.flatten(b) for b in outputs])]
        index = np.concatenate([np.arange(lo, hi) for lo, hi in positions])
        payload = (index, tree.pack_like(outputs[0], [_numpy(t) for t in joined]))
    gathered = [None] * strategy.world_size
    dist.all_gather_object(gathered, payload)
    parts = [p for p in gathered if p is not None]
    if not parts:
        return []
    total = sum(len(index) for index, _ in parts)
    columns = []
    for i, leaf in enumerate(tree.flatten(parts[0][1])):
        full = np.empty((total,) + leaf.shape[1:], dtype=leaf.dtype)
        for index, structure in parts:
            full[index] = tree.flatten(structure)[i]
        columns.append(torch.from_numpy(full))
    return [tree.pack_like(parts[0][1], columns)]


def _numpy(tensor):
    tensor = tensor.detach()
    return (tensor.float() if tensor.dtype is torch.bfloat16 else tensor).cpu().numpy()
