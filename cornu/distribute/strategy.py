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
    """Reserved for sharded parameters and optimizer state (ZeRO-3 / FSDP); not available in this release.

    cornu's step takes gradients with `torch.autograd.grad` and applies them with its own optimizer, and
    `torch.distributed.fsdp` reduce-scatters gradients from `.grad` in backward hooks that this step never
    fires, so FSDP cannot simply be wrapped around the model. Until cornu shards its optimizer itself, a model
    that does not fit one GPU can be trained with PyTorch's own loop (a cornu model is a `torch.nn.Module`:
    `torch.distributed.fsdp.fully_shard(model)` and a `torch.optim` optimizer work on it).

    Example:
    >>> try:
    ...     FullyShardedDataParallel()
    ... except NotImplementedError as error:
    ...     print(str(error).split(":")[0])
    FullyShardedDataParallel is not available yet
    """

    def __init__(self, backend=None):
        raise NotImplementedError(
            "FullyShardedDataParallel is not available yet: cornu does not shard parameters or optimizer state. "
            "Use cornu.distribute.DataParallel() when the model fits one device, or train with "
            "torch.distributed.fsdp.fully_shard(model) and a torch.optim optimizer in a plain PyTorch loop."
        )


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
