"""Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms"): the sign of an interpolated momentum."""

import torch

from cornu.optimizers.base import Optimizer

__all__ = ["Lion"]


class Lion(Optimizer):
    """`w -= lr * sign(b1 m + (1-b1) g)`, then `m = b2 m + (1-b2) g`.

    Every coordinate moves by exactly `lr` (or 0), so Lion's learning rate is usually 3-10x smaller than Adam's.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to `0.001`.
        beta_1: Interpolation for the update's direction, in `(0, 1]`. Defaults to `0.9`.
        beta_2: Decay of the momentum. Defaults to `0.99`.
        **kwargs: The base `Optimizer`'s arguments (`clipnorm`, `weight_decay`, `use_ema`, `name`, ...).

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 1.0]))
    >>> Lion(learning_rate=0.1).apply([torch.tensor([5.0, -0.01])], [w])
    >>> w.tolist()
    [0.8999999761581421, 1.100000023841858]
    """

    slot_names = ("momentum",)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(
                f"Lion's `beta_1` must be in (0, 1]; at 0 it degenerates to SignSGD. Received: beta_1={beta_1}"
            )
        self.beta_1, self.beta_2 = beta_1, beta_2

    def update(self, params, grads, slots, lr, step):
        m = slots["momentum"]
        direction = torch._foreach_lerp(m, grads, 1 - self.beta_1)
        torch._foreach_sign_(direction)
        torch._foreach_add_(params, direction, alpha=-lr)
        torch._foreach_lerp_(m, grads, 1 - self.beta_2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
