"""Mixed precision: dtype policies (compute in float16/bfloat16, keep weights in float32) and loss scaling.

`set_global_policy("mixed_bfloat16")` makes the layers created afterwards compute in bfloat16 with float32
weights; `"mixed_float16"` does the same in float16, and `compile` then wraps the optimizer in a
`LossScaleOptimizer`, as Keras does. Keras 3 keeps these Keras 2 names in `keras.mixed_precision`.
"""

from cornu.mixed_precision.loss_scale_optimizer import LossScaleOptimizer
from cornu.mixed_precision.policy import (
    DTypePolicy,
    Policy,
    dtype_policy,
    global_policy,
    set_dtype_policy,
    set_global_policy,
)

__all__ = [
    "DTypePolicy",
    "Policy",
    "LossScaleOptimizer",
    "dtype_policy",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
]
