"""Sharded optimizer state (ZeRO stages 1 and 2) inside cornu's own step, for `FullyShardedDataParallel`.

Each trainable variable gets one owner rank (`assign_owners`). The model's optimizer is re-built on the rank's own
variables only (`shard_optimizer`), so its slots, EMA averages and gradient accumulators exist for those alone. During
`fit`, `ShardedStep` stands in for `optimizer.apply` (as `GradientReducer` does for `DataParallel`): the gradients of
each owner's variables are summed onto that owner (`dist.reduce`, one flat buffer per owner and dtype), the owner's
optimizer steps them, and every variable is then broadcast from its owner, so all ranks keep the same full weights.

The sharded optimizer still shows the whole optimizer's layout (`variables`, `get_weights`, `set_weights`, saving):
the state of the other ranks' variables is gathered onto rank 0 at each epoch's end and when `fit` returns
(`gather_state`), which is when `ModelCheckpoint`, `BackupAndRestore` and a `model.save` after `fit` read it. Loading
(`set_weights`, `BackupAndRestore` restoring on every rank) keeps each rank's own part of a whole state.
"""

import contextlib

import torch
import torch.distributed as dist

from cornu.callbacks.callback import Callback
from cornu.distribute.collectives import broadcast_module

__all__ = ["ShardedStep", "StateGatherer", "assign_owners", "gather_state", "local_state_bytes", "shard_optimizer"]


def assign_owners(sizes, world_size):
    """The owner rank of each variable, given their sizes: the largest first, each to the least-loaded rank (the
    lowest on ties), so the ranks' shares of the optimizer state differ by at most one variable. Deterministic.

    Example:
    >>> assign_owners([30, 6, 18, 3], 2)  # rank 0: 30; rank 1: 18 + 6 + 3
    [0, 1, 1, 1]
    """
    loads, owners = [0] * world_size, [0] * len(sizes)
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        rank = min(range(world_size), key=lambda r: (loads[r], r))
        owners[i], loads[rank] = rank, loads[rank] + sizes[i]
    return owners


def local_state_bytes(optimizer):
    """Bytes of per-variable state this process's optimizer holds (slots, EMA averages, gradient accumulators).

    Example:
    >>> import torch, cornu.optimizers
    >>> opt = cornu.optimizers.Adam()
    >>> opt.build([torch.nn.Parameter(torch.zeros(10))])
    >>> local_state_bytes(opt)  # momentum and velocity, 10 float32 each
    80
    """
    tensors = [t for ts in optimizer._slots.values() for t in ts] + list(optimizer._averages)
    return sum(t.numel() * t.element_size() for t in tensors)


class _Shards:
    """Who owns which variable, and rank 0's copy of the other ranks' state (the snapshot) once gathered."""

    def __init__(self, params, owners, rank, world_size):
        self.params, self.owners, self.rank, self.world_size = list(params), owners, rank, world_size
        self.owned = [i for i, owner in enumerate(owners) if owner == rank]
        self.local = {i: j for j, i in enumerate(self.owned)}
        self.snapshot, self.snapshot_at = None, None  # rank 0: {entry: cpu tensor} of others' state, at iteration
        self.fresh = False  # gathered since the last step (the same on every rank: steps and gathers are collective)

    def current_snapshot(self, optimizer):
        return self.snapshot if self.snapshot is not None and self.snapshot_at == optimizer._iterations else None

    def matches(self, params, world_size):
        return (
            world_size == self.world_size and len(params) == len(self.params) and all(map(_same, params, self.params))
        )


def _same(a, b):
    return a is b


def shard_optimizer(optimizer, params, strategy):
    """Re-builds `optimizer` on this rank's share of `params` (keeping any state it holds for them) and gives it
    the whole optimizer's saving layout; returns the sharding. A second call with the same `params` does nothing."""
    params = list(params)
    existing = optimizer.__dict__.get("_zero")
    if existing is not None:
        if existing.matches(params, strategy.world_size):
            return existing
        raise ValueError(
            f"Optimizer '{optimizer.name}' was sharded by FullyShardedDataParallel over other variables (or another "
            "number of processes). Compile the model with a new optimizer, e.g. model.compile(optimizer='adam', ...)."
        )
    _check_shardable(optimizer)
    owners = assign_owners([p.numel() * p.element_size() for p in params], strategy.world_size)
    zero = _Shards(params, owners, strategy.rank, strategy.world_size)
    with torch.no_grad():
        _keep_own(optimizer, params, zero)
    _install(optimizer, zero)
    return zero


def _check_shardable(optimizer):
    from cornu.mixed_precision.loss_scale_optimizer import LossScaleOptimizer

    if isinstance(optimizer, LossScaleOptimizer):
        raise ValueError(
            "FullyShardedDataParallel cannot shard a LossScaleOptimizer (the 'mixed_float16' policy): its skip "
            "decision needs every gradient on every rank. Use the 'mixed_bfloat16' policy, or "
            "cornu.distribute.DataParallel()."
        )


def _keep_own(optimizer, params, zero):
    """The optimizer's lists cut down to the rank's variables: the other variables' state is dropped (freed)."""
    own = [params[i] for i in zero.owned]
    if not optimizer.built:
        optimizer.build(own)
        return
    if len(optimizer._params) != len(params) or not all(map(_same, optimizer._params, params)):
        raise ValueError(
            f"Optimizer '{optimizer.name}' was built on other variables than the model's trainable weights, so "
            "FullyShardedDataParallel cannot shard it. Compile the model with a new optimizer."
        )
    for name, tensors in list(optimizer._slots.items()) + [("average", optimizer._averages)]:
        for p, t in zip(params, tensors):
            if t.shape != p.shape or t.dtype != p.dtype:
                raise ValueError(
                    f"FullyShardedDataParallel shards state shaped like the variables, but optimizer "
                    f"'{optimizer.name}' holds {name!r} of shape {tuple(t.shape)} for a variable of shape "
                    f"{tuple(p.shape)}. Use cornu.distribute.DataParallel() with this optimizer."
                )
    optimizer._params = own
    optimizer._index = {id(p): j for j, p in enumerate(own)}
    if optimizer.use_ema:
        optimizer._averages = [optimizer._averages[i] for i in zero.owned]
    optimizer._slots = {name: [tensors[i] for i in zero.owned] for name, tensors in optimizer._slots.items()}
    if optimizer.gradient_accumulation_steps:
        optimizer._accumulators = optimizer._slots["_accumulator"]
    optimizer._constrained = [p for p in own if getattr(p, "constraint", None) is not None]
    optimizer._groups = optimizer._make_groups(own)


# ---------------------------------------------------------------------------------- the whole layout, on a shard
def _install(optimizer, zero):
    """Instance attributes over the class's methods: the whole layout for saving, a cross-rank global norm, and
    a clear error for a step outside `fit`."""
    optimizer._zero = zero
    optimizer._state = lambda: _whole_state(optimizer, zero)
    optimizer.get_weights = lambda: _get_weights(optimizer, zero)
    optimizer._clip = lambda grads: _clip(optimizer, zero, grads)
    optimizer.finalize_variable_values = lambda var_list: _finalize(optimizer, zero, var_list)
    optimizer.apply = lambda grads, params=None: _refuse_step(optimizer)


def _entries(optimizer, zero):
    """(kind, position) of each per-variable saved variable, in the whole optimizer's order (`Optimizer._state`)."""
    count = len(zero.params)
    kinds = (["_average"] if optimizer.use_ema else []) + (
        ["_accumulator"] if optimizer.gradient_accumulation_steps else []
    )
    entries = [(kind, i) for kind in kinds for i in range(count)]
    for block in optimizer.slot_blocks():
        entries.extend((name, i) for i in range(count) for name in block)
    return entries


def _local(optimizer, kind, j):
    return optimizer._averages[j] if kind == "_average" else optimizer._slots[kind][j]


def _whole_state(optimizer, zero):
    shard = type(optimizer)._state(optimizer)
    head = 1 + (not callable(optimizer._learning_rate))
    extra = len(optimizer._extra_state())
    middle = [_entry(optimizer, zero, k, kind, i) for k, (kind, i) in enumerate(_entries(optimizer, zero))]
    return shard[:head] + middle + shard[len(shard) - extra :]


def _entry(optimizer, zero, k, kind, i):
    j = zero.local.get(i)
    if j is not None:
        tensor = _local(optimizer, kind, j)
        return (lambda: tensor), (lambda value: tensor.copy_(torch.as_tensor(value)))
    param = zero.params[i]

    def get():  # rank 0's gathered copy, else a placeholder that holds no memory (count and shapes only)
        snapshot = zero.current_snapshot(optimizer)
        return snapshot[k] if snapshot is not None else torch.empty(param.shape, dtype=param.dtype, device="meta")

    def set_(value):  # another rank keeps this part; the gathered copy no longer matches it
        zero.snapshot = None

    return get, set_


def _get_weights(optimizer, zero):
    whole = len(zero.owned) == len(zero.params) or not _entries(optimizer, zero)
    if not whole and zero.current_snapshot(optimizer) is None:
        raise RuntimeError(
            f"Optimizer '{optimizer.name}' is sharded by FullyShardedDataParallel: rank {zero.rank} holds the state "
            "of its own variables only. The whole state is gathered on rank 0 at each epoch's end and when fit "
            "returns: save from rank 0 after fit (`if cornu.distribute.is_chief(): model.save(path)`)."
        )
    return [v.detach().cpu().numpy() for v in optimizer.variables]


def _refuse_step(optimizer):
    raise RuntimeError(
        f"Optimizer '{optimizer.name}' is sharded by FullyShardedDataParallel: each rank updates its own variables, "
        "inside fit() only, so it cannot step here (train_on_batch, a custom loop). Train with fit(), or compile "
        "the model with a new optimizer to train outside it."
    )


def _clip(optimizer, zero, grads):
    """The global norm over every rank's gradients (all-reduced squared norms); other clipping is per variable."""
    limit = optimizer.global_clipnorm
    if not (limit and limit > 0):
        return type(optimizer)._clip(optimizer, grads)
    device = _comm_device(zero)
    norms = [n.to(device, torch.float32) for g in grads for n in torch._foreach_norm(g)]
    squared = torch.stack(norms).square().sum() if norms else torch.zeros((), device=device)
    dist.all_reduce(squared)
    total = squared.sqrt()
    # the single-process form (Optimizer._clip): a no-op below the limit, NaN when the norm is not finite
    scale = limit * torch.clamp(total.reciprocal(), max=1.0 / limit) + (total - total)
    return [torch._foreach_mul(g, scale.to(g[0].device, g[0].dtype)) for g in grads]


def _comm_device(zero):
    param = zero.params[0] if zero.params else None
    return param.device if param is not None and dist.get_backend() == "nccl" else torch.device("cpu")


def _finalize(optimizer, zero, var_list):
    """The EMA averages into the weights: each owner copies its own, then broadcasts them (call on every rank)."""
    if not optimizer.use_ema:
        return
    var_list = list(var_list)
    if not zero.matches(var_list, zero.world_size):
        raise ValueError(
            f"finalize_variable_values expects the variables optimizer '{optimizer.name}' was sharded over "
            "(model.trainable_weights)."
        )
    with torch.no_grad():
        if optimizer._params:
            torch._foreach_copy_(optimizer._params, optimizer._averages)
        _broadcast_from_owners(zero, _buckets(zero, range(len(zero.params))))


# ------------------------------------------------------------------------------------------------------ a step
def _buckets(zero, positions):
    """Positions grouped by (owner, dtype), in an order every rank agrees on."""
    buckets = {}
    for i in positions:
        buckets.setdefault((zero.owners[i], zero.params[i].dtype), []).append(i)
    return sorted(buckets.items(), key=lambda item: (item[0][0], str(item[0][1])))


def _broadcast_from_owners(zero, buckets):
    for (owner, dtype), index in buckets:
        params = [zero.params[i] for i in index]
        if owner == zero.rank:
            flat = torch.cat([p.detach().reshape(-1) for p in params])
        else:
            flat = torch.empty(sum(p.numel() for p in params), dtype=dtype, device=params[0].device)
        dist.broadcast(flat, src=owner)
        if owner != zero.rank:
            torch._foreach_copy_(
                params, [c.view_as(p) for c, p in zip(flat.split([p.numel() for p in params]), params)]
            )


class ShardedStep:
    """Stands in for `optimizer.apply` during `fit`: gradients summed onto their owners, the owner's step, then every
    variable broadcast from its owner. `weight` is the rank's share of the global batch, as in `GradientReducer`."""

    def __init__(self, strategy, optimizer, zero, gather_each_step=False):
        self.strategy, self.optimizer, self.zero = strategy, optimizer, zero
        self.gather_each_step = gather_each_step  # a callback saves every `save_freq` batches
        self.step_own = type(optimizer).apply.__get__(optimizer)  # the class's step, on the rank's variables
        self.all_buckets = _buckets(zero, range(len(zero.params)))
        self.present, self.reduce_buckets = None, {}  # present gradients (a tuple) -> their buckets

    def __call__(self, grads, params=None):
        trailing, self.strategy.trailing_empty = self.strategy.trailing_empty, 0
        self._reduce_and_step(list(grads))
        for _ in range(trailing):  # the next batches' steps, where this rank has no sample (see ShardedData)
            self.empty_step()

    def empty_step(self):
        """This rank's step when it has no sample of the batch: zero gradients, in the others' reductions."""
        present = set(range(len(self.zero.params)) if self.present is None else self.present)
        zeros = [torch.zeros_like(p) if i in present else None for i, p in enumerate(self.zero.params)]
        self.strategy.step_weight = 0.0
        self._reduce_and_step(zeros)

    def _reduce_and_step(self, grads):
        zero, optimizer = self.zero, self.optimizer
        self.present = tuple(i for i, g in enumerate(grads) if g is not None)
        if not self.present:
            raise ValueError(
                f"Optimizer '{optimizer.name}' received no gradients (all were None). Check that the loss depends "
                "on the trainable parameters and that `loss` was given to `compile()`."
            )
        zero.snapshot, zero.fresh = None, False  # the gathered state is out of date from here on
        self._reduce(grads)
        own = [grads[i] for i in zero.owned]
        completes = not optimizer.gradient_accumulation_steps or (
            (optimizer._iterations + 1) % optimizer.gradient_accumulation_steps == 0
        )
        if any(g is not None for g in own):
            self.step_own(own, optimizer._params)
        else:
            self._idle_step(completes)
        if completes or (optimizer.use_ema and optimizer.ema_overwrite_frequency):
            with torch.no_grad():
                _broadcast_from_owners(zero, self.all_buckets)
        if self.gather_each_step:
            gather_state(optimizer, zero)

    def _reduce(self, grads):
        weight = self.strategy.step_weight
        buckets = self.reduce_buckets.get(self.present)
        if buckets is None:
            buckets = self.reduce_buckets[self.present] = _buckets(self.zero, self.present)
        for (owner, _), index in buckets:
            flat = torch.cat([grads[i].reshape(-1) for i in index]).mul_(weight)
            dist.reduce(flat, dst=owner)
            if owner == self.zero.rank:
                for i, chunk in zip(index, flat.split([grads[i].numel() for i in index])):
                    grads[i] = chunk.view_as(grads[i])

    def _idle_step(self, completes):
        """No gradient of this rank's variables this step: what `apply` does besides the rule (the global norm's
        reduction, EMA, the count), so the ranks stay in step."""
        optimizer = self.optimizer
        if completes and optimizer.global_clipnorm:
            optimizer._clip([])
        if optimizer.use_ema and optimizer._params:
            with torch.no_grad():
                optimizer._update_average()
        optimizer._iterations += 1


# ------------------------------------------------------------------------------------------ gathering on rank 0
def gather_state(optimizer, zero):
    """Rank 0 receives every other rank's part of the optimizer state (to the CPU); a collective: call it on every
    rank at the same point. Skipped when nothing stepped since the last gather."""
    if zero.fresh:
        return
    snapshot = {} if zero.rank == 0 else None
    for k, (kind, i) in enumerate(_entries(optimizer, zero)):
        owner = zero.owners[i]
        if owner == 0:
            continue
        if zero.rank == owner:
            dist.send(_local(optimizer, kind, zero.local[i]).contiguous(), dst=0)
        elif zero.rank == 0:
            param = zero.params[i]
            received = torch.empty(param.shape, dtype=param.dtype, device=_comm_device(zero))
            dist.recv(received, src=owner)
            snapshot[k] = received.cpu()
    zero.fresh = True
    if zero.rank == 0:
        zero.snapshot, zero.snapshot_at = snapshot, optimizer._iterations


class StateGatherer(Callback):
    """First among `fit`'s callbacks: gathers the optimizer state on rank 0 at each epoch's end, before the
    callbacks that save read it. (Saves every `save_freq` batches are served by `ShardedStep`, after each step:
    the ranks do not see the same number of batch ends when the last batch leaves some of them out.)"""

    def on_epoch_end(self, epoch, logs=None):
        zero = self.model.optimizer.__dict__.get("_zero")
        if zero is not None:
            gather_state(self.model.optimizer, zero)


@contextlib.contextmanager
def training(strategy, model):
    """For the length of `fit`: weights from rank 0, the optimizer sharded, `optimizer.apply` the sharded step;
    when `fit` returns normally, the whole optimizer state on rank 0."""
    broadcast_module(model)
    optimizer = model.optimizer
    params = model.trainable_weights
    zero = shard_optimizer(optimizer, params, strategy)
    shadowed = optimizer.__dict__.get("apply")
    step = ShardedStep(strategy, optimizer, zero, getattr(strategy, "gather_each_step", False))
    optimizer.apply = step
    zero.fresh = False
    strategy.step_weight, strategy.empty_step = 1.0 / strategy.world_size, step.empty_step if params else _no_step
    try:
        yield step
        gather_state(optimizer, zero)
    finally:
        optimizer.apply = shadowed
        strategy.empty_step = _no_step


def _no_step():
    pass
