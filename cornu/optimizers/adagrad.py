"""Adagrad (Duchi et al., 2011): per-coordinate rates from the sum of all past squared gradients."""

import torch

from cornu.optimizers.base import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """`a += g**2`, `w -= lr * g / sqrt(a + epsilon)`, with `a` starting at `initial_accumulator_value`.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to `0.001`.
        initial_accumulator_value: The accumulators' starting value (non-negative). Defaults to `0.1`.
        epsilon: Defaults to `1e-7`.
        **kwargs: The base `Optimizer`'s arguments (`clipnorm`, `weight_decay`, `use_ema`, `name`, ...).

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=0.0).apply([torch.tensor([2.0])], [w])
    >>> round(w.item(), 6)  # 1 - 0.1 * 2 / sqrt(4)
    0.9
    """

    slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon
        self.slot_initial_values = {"accumulator": float(initial_accumulator_value)}

    def update(self, params, grads, slots, lr, step):
        a = slots["accumulator"]
        torch._foreach_addcmul_(a, grads, grads)
        denominator = torch._foreach_add(a, self.epsilon)
        torch._foreach_sqrt_(denominator)
        torch._foreach_addcdiv_(params, grads, denominator, value=-lr)

    def get_config(self):
        config = super().get_config()
        config.update(initial_accumulator_value=self.initial_accumulator_value, epsilon=self.epsilon)
        return config
