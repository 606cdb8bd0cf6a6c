"""Adadelta (Zeiler, 2012): steps sized by the ratio of running RMS of past steps and of gradients."""

import torch

from cornu.optimizers.base import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """`G = rho G + (1-rho) g**2`, `d = -sqrt(D + eps) / sqrt(G + eps) * g`, `D = rho D + (1-rho) d**2`,
    `w += lr * d`.

    Keras keeps a learning rate (default `0.001`), where the paper's rule has none (`learning_rate=1.0`).

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to `0.001`.
        rho: Decay of both running means. Defaults to `0.95`.
        epsilon: Defaults to `1e-7`.
        **kwargs: The base `Optimizer`'s arguments (`clipnorm`, `weight_decay`, `use_ema`, `name`, ...).

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> Adadelta(learning_rate=1.0, rho=0.0, epsilon=1.0).apply([torch.tensor([3.0])], [w])
    >>> round(w.item(), 6)  # 1 - sqrt(0 + 1) / sqrt(9 + 1) * 3
    0.051317
    """

    slot_names = ("accumulated_grad", "accumulated_delta_var")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def update(self, params, grads, slots, lr, step):
        rho, eps = self.rho, self.epsilon
        grad_sq, delta_sq = slots["accumulated_grad"], slots["accumulated_delta_var"]
        torch._foreach_mul_(grad_sq, rho)
        torch._foreach_addcmul_(grad_sq, grads, grads, value=1 - rho)
        delta = torch._foreach_add(delta_sq, eps)  # becomes the step, negated: sqrt(D + eps) g / sqrt(G + eps)
        torch._foreach_sqrt_(delta)
        torch._foreach_mul_(delta, grads)
        rms_grad = torch._foreach_add(grad_sq, eps)
        torch._foreach_sqrt_(rms_grad)
        torch._foreach_div_(delta, rms_grad)
        torch._foreach_mul_(delta_sq, rho)
        torch._foreach_addcmul_(delta_sq, delta, delta, value=1 - rho)
        torch._foreach_add_(params, delta, alpha=-lr)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
