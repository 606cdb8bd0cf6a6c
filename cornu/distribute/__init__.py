"""Training on several processes with `torch.distributed`: launch the same script with `torchrun`.

`torchrun --nproc_per_node=2 train.py` runs `fit`, `evaluate` and `predict` data-parallel with no code change
(see `DataParallel` for what is shared and how `batch_size` is read); `set_distribution(DataParallel())` does the
same explicitly. `set_distribution(FullyShardedDataParallel())` also shards the optimizer's state and the reduced
gradients across the processes (ZeRO stages 1 and 2).
"""

from cornu.distribute.strategy import (
    LOCAL,
    DataParallel,
    FullyShardedDataParallel,
    current,
    distribution,
    is_chief,
    set_distribution,
)

__all__ = [
    "LOCAL",
    "DataParallel",
    "FullyShardedDataParallel",
    "current",
    "distribution",
    "is_chief",
    "set_distribution",
]
