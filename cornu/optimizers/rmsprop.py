"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum, as Keras defines it."""

import torch

from cornu.optimizers.base import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divides the gradient by a running root mean square: `v = rho * v + (1 - rho) * g**2`,
    `w -= lr * g / sqrt(v + epsilon)`.

    `epsilon` is inside the square root (Keras), not added after it as in `torch.optim.RMSprop`. When `centered`,
    the running mean `a` of the gradient is subtracted: `sqrt(v - a**2 + epsilon)`. With `momentum`, the increments
    accumulate: `m = momentum * m + increment`, `w -= m`.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to `0.001`.
        rho: Decay of the running mean of squares. Defaults to `0.9`.
        momentum: Defaults to `0.0`.
        epsilon: Defaults to `1e-7`.
        centered: Whether to normalise by the gradient's estimated variance instead. Defaults to `False`.
        **kwargs: The base `Optimizer`'s arguments (`clipnorm`, `weight_decay`, `use_ema`, `name`, ...).

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> RMSprop(learning_rate=0.1, epsilon=0.0).apply([torch.tensor([2.0])], [w])
    >>> round(w.item(), 4)  # 1 - 0.1 * 2 / sqrt(0.1 * 4)
    0.6838
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        # Keras's creation order: all velocities, then momentums, then average gradients (not interleaved).
        self.slot_names = ("velocity",) + (("momentum",) if momentum > 0 else ()) + (("average_gradient",) * centered)

    def slot_blocks(self):
        return tuple((name,) for name in self.slot_names)

    def update(self, params, grads, slots, lr, step):
        rho = self.rho
        v = slots["velocity"]
        torch._foreach_mul_(v, rho)
        torch._foreach_addcmul_(v, grads, grads, value=1 - rho)
        denominator = torch._foreach_add(v, self.epsilon)
        if self.centered:
            a = slots["average_gradient"]
            torch._foreach_lerp_(a, grads, 1 - rho)
            torch._foreach_addcmul_(denominator, a, a, value=-1)
        torch._foreach_sqrt_(denominator)
        if self.momentum > 0:
            m = slots["momentum"]
            torch._foreach_mul_(m, self.momentum)
            torch._foreach_addcdiv_(m, grads, denominator, value=lr)
            torch._foreach_sub_(params, m)
        else:
            torch._foreach_addcdiv_(params, grads, denominator, value=-lr)

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, momentum=self.momentum, epsilon=self.epsilon, centered=self.centered)
        return config
