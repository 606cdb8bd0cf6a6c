"""Stochastic gradient descent, with optional (Nesterov) momentum, as Keras defines it."""

import torch

from cornu.optimizers.base import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent: `w -= lr * g`; with momentum, Keras's velocity form `m = momentum * m - lr * g`, then
    `w += m` (or `w += momentum * m - lr * g` when `nesterov`).

    Keras's velocity already contains the learning rate, so changing `learning_rate` mid-run affects only new
    gradients; `torch.optim.SGD` (which scales its buffer by the current rate) differs there.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to `0.01`.
        momentum: Float in `[0, 1]`. Defaults to `0.0`.
        nesterov: Whether to use Nesterov momentum. Defaults to `False`.
        **kwargs: The base `Optimizer`'s arguments (`clipnorm`, `weight_decay`, `use_ema`, `name`, ...).

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.apply([torch.tensor([1.0])], [w])
    >>> round(w.item(), 6)  # 1 - 0.1 - (0.9 * 0.1 + 0.1)
    0.71
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float in [0, 1]. Received: momentum={momentum!r}")
        self.momentum, self.nesterov = float(momentum), nesterov
        self.slot_names = ("momentum",) if self.momentum != 0 else ()

    def update(self, params, grads, slots, lr, step):
        if not self.momentum:
            torch._foreach_add_(params, grads, alpha=-lr)
            return
        m = slots["momentum"]
        torch._foreach_mul_(m, self.momentum)
        torch._foreach_add_(m, grads, alpha=-lr)
        if self.nesterov:
            torch._foreach_add_(params, grads, alpha=-lr)
            torch._foreach_add_(params, m, alpha=self.momentum)
        else:
            torch._foreach_add_(params, m)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
