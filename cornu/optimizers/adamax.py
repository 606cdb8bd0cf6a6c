"""Adamax (Kingma & Ba, 2014, section 7): Adam with the infinity norm in place of the second moment."""

import torch

from cornu.optimizers.base import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """`m = b1 m + (1-b1) g`, `u = max(b2 u, |g|)`, `w -= lr * m / ((1 - b1**t) * (u + epsilon))`.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to `0.001`.
        beta_1: Decay of the mean of gradients. Defaults to `0.9`.
        beta_2: Decay of the infinity norm. Defaults to `0.999`.
        epsilon: Defaults to `1e-7`.
        **kwargs: The base `Optimizer`'s arguments (`clipnorm`, `weight_decay`, `use_ema`, `name`, ...).

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> Adamax(learning_rate=0.1, epsilon=0.0).apply([torch.tensor([-4.0])], [w])
    >>> round(w.item(), 6)  # the first step is lr * sign(g)
    1.1
    """

    slot_names = ("momentum", "norm")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def update(self, params, grads, slots, lr, step):
        m, u = slots["momentum"], slots["norm"]
        torch._foreach_lerp_(m, grads, 1 - self.beta_1)
        torch._foreach_mul_(u, self.beta_2)
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        denominator = torch._foreach_add(u, self.epsilon)
        torch._foreach_addcdiv_(params, m, denominator, value=-lr / (1 - self.beta_1**step))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
