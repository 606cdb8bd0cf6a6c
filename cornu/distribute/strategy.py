"""Which processes train together: `DataParallel` over `torch.distributed`, found from `torchrun`'s environment.

`fit`, `evaluate` and `predict` ask `current()` for the active distribution. Outside `torchrun` (and without
`set_distribution`) that is `LOCAL`, whose hooks hand everything back unchanged, so a single process pays nothing.
Under `torchrun --nproc_per_node=N` (the environment holds `WORLD_SIZE`, `RANK`, `LOCAL_RANK`, `MASTER_ADDR`) the same
script gets a `DataParallel` without any code change; the process group is started lazily, at the first
`fit`/`evaluate`/`predict`, with gloo on the CPU and nccl on CUDA.
"""

import atexit
import contextlib
import os

import torch
import torch.distributed as dist

__all__ = [
    "LOCAL",
    "DataParallel",
    "FullyShardedDataParallel",
    "current",
    "distribution",
    "is_chief",
    "set_distribution",
]


class _Local:
    """One process: every hook is the identity (what `fit` sees when nothing is distributed)."""

    rank, world_size, local_rank, is_chief = 0, 1, 0, True

    def shard(self, data, training=False):
        return data

    def callbacks(self, callbacks, verbose):
        return callbacks, verbose

    def training(self, model):
        return contextlib.nullcontext()

    def build_optimizer(self, optimizer, params):
        optimizer.build(params)

    def synced(self, metrics):
        return contextlib.nullcontext()

    def gather(self, outputs, data):
        return outputs

    def __repr__(self):
        return "<cornu.distribute.LOCAL>"


LOCAL = _Local()


class DataParallel(_Local):
    """Data parallelism over `torch.distributed`: each process trains a full copy of the model on its share of
    every batch, and the gradients are summed across processes before the optimizer step.

    `batch_size` is the GLOBAL batch, as with Keras's multi-replica distributions: with 2 processes and
    `batch_size=64`, each process computes on 32 samples, and the step applies the gradient of the mean loss over
    all 64 (each process's gradient is weighted by its share of the batch, so a short last batch is exact too).
    The results are those of one process with the same `batch_size` and seed, up to float rounding:

    - data: every epoch the shuffle permutation is drawn as in one process and broadcast from rank 0 (so ranks
      agree even when unseeded); each global batch is split in rank order (rank 0 takes the first samples).
    - weights: broadcast from rank 0 when `fit` starts (after `BackupAndRestore` has restored them); gradients are
      all-reduced in one flat buffer per dtype inside `optimizer.apply`, so the single-process step is untouched.
      Non-trainable weights and buffers (`BatchNormalization`'s moving statistics) are broadcast from rank 0 at
      each epoch's end.
    - logs: metric states (sums and counts) are all-reduced before each epoch's logs are read, so `History`,
      `EarlyStopping` and `ReduceLROnPlateau` see the same global values on every rank. Batch logs (progress bar,
      batch hooks) are the rank's own running values.
    - callbacks: only rank 0 (the chief) prints and writes: on other ranks `verbose` is 0 and `ProgbarLogger`,
      `ModelCheckpoint`, `CSVLogger` and `TensorBoard` are dropped; `BackupAndRestore` only restores there.
    - `evaluate` and `predict` split every batch the same way and return the full results, in order, on every rank.

    Limits (each a difference from one process, or a rule to follow):

    - `BatchNormalization` normalizes with each rank's own part of the batch (no synchronized batch norm), so its
      results differ from one process's.
    - Random layers draw from each rank's generators: seeded alike, the ranks draw the same `Dropout` masks for
      their parts. `BackupAndRestore` saves rank 0's generators and every rank restores them, so a resumed run is
      exact when the ranks were seeded alike (`cornu.backend.set_random_seed(n)` in the script, on every rank).
    - Every rank restores `BackupAndRestore`'s backup itself, so with several machines `backup_dir` must be on
      storage that all of them read (on one machine any folder will do); ranks that resume at different epochs
      stop `fit` with an error saying so.
    - With several machines and `--max-restarts`, launch `torchrun` with `TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1`:
      torch's shared rendezvous store can hand a restarted rank a dead peer's address (pytorch/pytorch#135712);
      on one machine cornu gives each attempt its own keys.
    - A callback that sets `model.stop_training` during an epoch must do so on every rank at the same batch (batch
      logs are per rank); at an epoch's end a stop on any rank stops all.
    - Generators, `Sequence`s and `DataLoader`s are read whole by every rank, which keeps its part of each batch:
      they must yield the same batches on every rank (seed their shuffling alike).
    - The gradients are all-reduced once the backward pass is over, not overlapped with it as
      `DistributedDataParallel`'s buckets are (the cost model is in `benchmarks/README.md`).
    - `fit`, `evaluate` and `predict` are collective: call them on every rank, never under `if is_chief():` (that
      rank would wait for the others). `train_on_batch`, `test_on_batch` and `predict_on_batch` are not split:
      each rank runs the batch it is given.

    Args:
        backend: `"gloo"`, `"nccl"`, or `None` for nccl when CUDA is there, else gloo. Defaults to `None`.

    Example:
    >>> strategy = DataParallel(backend="gloo")
    >>> strategy.backend, strategy.world_size >= 1
    ('gloo', True)
    """

    step_weight = None  # this rank's share of the current global batch, set by the sharded data
    trailing_empty = 0  # steps of following batches with no sample on this rank, taken with the current one

    def __init__(self, backend=None):
        if backend not in (None, "gloo", "nccl"):
            raise ValueError(f"Unknown torch.distributed backend. Received: backend={backend!r}. Use 'gloo' or 'nccl'.")
        self.backend = backend or ("nccl" if torch.cuda.is_available() else "gloo")

    def empty_step(self):
        """Replaced during `fit` by the step a rank takes when it has no sample of a batch."""

    @property
    def rank(self):
        return dist.get_rank() if dist.is_initialized() else int(os.environ.get("RANK", 0))

    @property
    def world_size(self):
        return dist.get_world_size() if dist.is_initialized() else int(os.environ.get("WORLD_SIZE", 1))

    @property
    def local_rank(self):
        return int(os.environ.get("LOCAL_RANK", 0))

    @property
    def is_chief(self):
        return self.rank == 0

    def initialize(self):
        """Starts the process group from the environment (`env://`), once; returns `self`."""
        if dist.is_initialized():
            return self
        missing = [name for name in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE") if name not in os.environ]
        if missing:
            raise RuntimeError(
                f"DataParallel needs the environment torchrun sets; missing: {', '.join(missing)}. Launch the script "
                "with `torchrun --nproc_per_node=2 script.py`, or call torch.distributed.init_process_group first."
            )
        if self.backend == "nccl":
            torch.cuda.set_device(self.local_rank)
        store, rank, world_size = next(dist.rendezvous("env://"))
        if int(os.environ.get("LOCAL_WORLD_SIZE", 0)) == world_size:
            # torchrun keeps one TCP store across the restarts of --max-restarts, so a restarted rank could read the
            # address its killed predecessor published there and fail to connect (pytorch/pytorch#135712): each
            # attempt gets its own keys. Only on one machine: each machine's agent counts its own restarts.
            store = dist.PrefixStore(f"cornu/attempt_{os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')}/", store)
        dist.init_process_group(self.backend, store=store, rank=rank, world_size=world_size)
        # Started here, so ended here: a group left to the interpreter's teardown can abort the process at exit
        # ("terminate called without an active exception"), which torchrun reports as a failed worker.
        atexit.register(_destroy_process_group)
        return self

    @property
    def comm_device(self):
        """Where tensors must be for the collectives: the rank's GPU for nccl, else the CPU."""
        return torch.device("cuda", torch.cuda.current_device()) if self.backend == "nccl" else torch.device("cpu")

    # hooks called by the training loop
    def shard(self, data, training=False):
        from cornu.distribute.sharding import ShardedData

        return None if data is None else ShardedData(data, self, training=training)

    def callbacks(self, callbacks, verbose):
        from cornu.distribute.collectives import for_this_rank

        return for_this_rank(self, callbacks), verbose if self.is_chief else 0

    def training(self, model):
        from cornu.distribute.collectives import training

        return training(self, model)

    def synced(self, metrics):
        from cornu.distribute.collectives import synced_metrics

        return synced_metrics(self, metrics)

    def gather(self, outputs, data):
        from cornu.distribute.collectives import gather_outputs

        return gather_outputs(self, outputs, data)

    def __repr__(self):
        return f"<DataParallel backend={self.backend!r} rank={self.rank} world_size={self.world_size}>"


class FullyShardedDataParallel(DataParallel):
    """`DataParallel` whose optimizer state is split across the processes (ZeRO stages 1 and 2, in cornu's step).

    Each trainable variable has one owner rank (the largest first, each to the least-loaded rank, so the shares
    differ by at most one variable). Only the owner's optimizer holds that variable's slots (Adam's `momentum` and
    `velocity`, SGD's `momentum`), EMA average and gradient accumulator. Each step, the gradients are summed onto
    their owner (`torch.distributed.reduce`, one flat buffer per owner and dtype), the owner's optimizer updates its
    variables, and each variable is broadcast from its owner, so every rank ends the step with the same full
    weights. The data, logs, callbacks, `evaluate` and `predict` are exactly `DataParallel`'s, and so are the
    results: those of one process with the same global `batch_size` and seed, up to float rounding.

    Everything the optimizer does works as in one process: `global_clipnorm` uses the norm over every rank's
    gradients (the squared norms are all-reduced); `clipnorm`, `clipvalue`, weight decay, constraints,
    `gradient_accumulation_steps` and EMA (`use_ema`) act on each rank's own variables; `iterations` is the same
    on every rank. `finalize_variable_values` is a collective (call it on every rank).

    Saving: rank 0 receives the other ranks' optimizer state (into CPU memory) at each epoch's end, at each batch's
    end when a callback saves every `save_freq` batches, and when `fit` returns. So `ModelCheckpoint`,
    `BackupAndRestore` and a `model.save(...)` on rank 0 after `fit` write the whole optimizer state, in the layout
    one process writes; loading (and `BackupAndRestore`'s restore on every rank) keeps each rank's own part.

    What is sharded, and what is not (the memory model, for Adam in float32 with `P` weights on `N` ranks):

    - the weights are NOT sharded: every rank holds all of them (`4P` bytes), and the activations of its part of
      the batch, as with `DataParallel`. A model whose weights and activations do not fit one device needs
      parameter sharding (ZeRO-3), which this class does not do.
    - the gradients: cornu's step takes them all at once (`torch.autograd.grad`), so each rank still holds the full
      gradient (`4P`) until the step ends; after the reduction a rank keeps only its own variables' sums (the
      reduction buffers are about `4P/N`, not `4P`).
    - the optimizer state is sharded: Adam's 2 slots are `8P/N` per rank instead of `8P`.

    Per rank that is about `P * (4 + 4 + 8 / N)` bytes for Adam (`P * (4 + 4 + 4 / N)` for SGD with momentum),
    against `16P` (`12P`) with `DataParallel`: 25% less on 2 ranks, 44% less on 8. The traffic per step is that
    of `DataParallel`'s all-reduce (a reduce plus a broadcast); each gathering on rank 0 sends `(N - 1) / N` of the
    optimizer state once.

    Limits (besides `DataParallel`'s):

    - The first `fit` builds the optimizer whole once (as one process does, before the distribution is consulted)
      and drops the other ranks' state before the first step: the peak at that moment is the whole state. To skip
      it, call `strategy.build_optimizer(model.optimizer, model.trainable_weights)` after `compile`, on every rank.
    - The optimizer steps inside `fit` only: `train_on_batch` or a custom loop calling `optimizer.apply` raise an
      error naming the fix (compile with a new optimizer to train outside `fit`).
    - On ranks other than 0 the optimizer cannot be saved (`get_weights` raises an error saying to save from
      rank 0); a `model.save` on rank 0 between two steps outside the moments above raises the same way.
    - `LossScaleOptimizer` (the `"mixed_float16"` policy) is refused: its skip decision needs every gradient on
      every rank. Use `"mixed_bfloat16"`, or `DataParallel`.
    - Under `torchrun`, `fit` uses `DataParallel` unless `set_distribution(FullyShardedDataParallel())` is called.

    Args:
        backend: `"gloo"`, `"nccl"`, or `None` for nccl when CUDA is there, else gloo. Defaults to `None`.

    Example:
    >>> strategy = FullyShardedDataParallel(backend="gloo")
    >>> strategy.backend, isinstance(strategy, DataParallel)
    ('gloo', True)
    >>> from cornu.distribute.zero import assign_owners
    >>> assign_owners([30, 6, 18, 3], 2)  # the owner of each variable, by size: rank 0 holds 30, rank 1 holds 27
    [0, 1, 1, 1]
    """

    def callbacks(self, callbacks, verbose):
        from cornu.distribute.zero import StateGatherer

        # a saver by batch (every rank has the same list, before rank 0's writers are kept): gather after each step
        self.gather_each_step = any(isinstance(getattr(cb, "save_freq", None), int) for cb in callbacks or ())
        callbacks, verbose = super().callbacks(callbacks, verbose)
        return [StateGatherer()] + callbacks, verbose  # first: the state is whole before anything saves

    def training(self, model):
        from cornu.distribute.zero import training

        return training(self, model)

    def build_optimizer(self, optimizer, params):
        """Builds `optimizer` on this rank's share of `params` only (a collective-free, once-only step): called
        before the first `fit`, it avoids the moment when the whole state exists (see Limits)."""
        from cornu.distribute.zero import shard_optimizer

        shard_optimizer(optimizer, params, self.initialize())

    def __repr__(self):
        return f"<FullyShardedDataParallel backend={self.backend!r} rank={self.rank} world_size={self.world_size}>"


_state = {"explicit": None, "auto": None}


def set_distribution(value):
    """Makes `value` (a `DataParallel`, or `None` to go back to detecting `torchrun`) the active distribution.

    Example:
    >>> set_distribution(None)
    >>> distribution() is None
    True
    """
    if value is not None and not isinstance(value, DataParallel):
        raise ValueError(
            f"set_distribution expects a cornu.distribute.DataParallel or None. Received: value={value!r}. "
            "Pass e.g. cornu.distribute.DataParallel()."
        )
    _state["explicit"] = value


def distribution():
    """The distribution set by `set_distribution`, else the one `torchrun`'s environment implies, else `None`.

    Example:
    >>> distribution() is None or distribution().world_size > 1
    True
    """
    if _state["explicit"] is not None:
        return _state["explicit"]
    if int(os.environ.get("WORLD_SIZE", 1)) > 1 or (dist.is_initialized() and dist.get_world_size() > 1):
        if _state["auto"] is None:
            _state["auto"] = DataParallel()
        return _state["auto"]
    return None


def current():
    """The active distribution with its process group started, or `LOCAL` (identity hooks) in one process."""
    value = distribution()
    if value is None:
        return LOCAL
    return value.initialize()  # the rank's GPU is cornu's default device already (cornu.backend.get_device)


def _destroy_process_group():
    if dist.is_initialized():
        dist.destroy_process_group()


def is_chief():
    """Whether this process is rank 0 (or the only one): the one that should print and write files.

    Example:
    >>> is_chief()
    True
    """
    value = distribution()
    return value is None or value.is_chief
