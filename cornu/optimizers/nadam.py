"""Nadam (Dozat, 2016): Adam with Nesterov momentum and Keras's momentum schedule `b1 (1 - 0.5 * 0.96**t)`."""

import math

import torch

from cornu.optimizers.base import Optimizer, _host_number

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """Adam whose step looks one momentum update ahead.

    With `u_t = beta_1 * (1 - 0.5 * 0.96**t)` and `P_t = u_1 * ... * u_t` (saved as `u_product`):
    `m_hat = u_{t+1} m / (1 - P_{t+1}) + (1 - u_t) g / (1 - P_t)`, `v_hat = v / (1 - beta_2**t)`,
    `w -= lr * m_hat / (sqrt(v_hat) + epsilon)`. `P_t` is a host-side number, advanced once per update.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to `0.001`.
        beta_1: Defaults to `0.9`.
        beta_2: Defaults to `0.999`.
        epsilon: Defaults to `1e-7`.
        **kwargs: The base `Optimizer`'s arguments (`clipnorm`, `weight_decay`, `use_ema`, `name`, ...).

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = Nadam(learning_rate=0.1)
    >>> opt.apply([torch.tensor([2.0])], [w])
    >>> round(w.item(), 4), round(opt.variables[-1].item(), 4)  # u_product = 0.9 * (1 - 0.5 * 0.96)
    (0.8937, 0.468)
    """

    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._u_product, self._u_product_step = 1.0, 0

    def _momentum_at(self, t):
        return self.beta_1 * (1.0 - 0.5 * 0.96**t)

    def update(self, params, grads, slots, lr, step):
        if step != self._u_product_step:  # once per step, whatever the number of device/dtype groups
            self._u_product *= self._momentum_at(step)
            self._u_product_step = step
        u_t, u_next = self._momentum_at(step), self._momentum_at(step + 1)
        product, product_next = self._u_product, self._u_product * u_next
        m, v = slots["momentum"], slots["velocity"]
        torch._foreach_lerp_(m, grads, 1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - self.beta_2)
        denominator = torch._foreach_sqrt(v)
        torch._foreach_div_(denominator, math.sqrt(1 - self.beta_2**step))
        torch._foreach_add_(denominator, self.epsilon)
        torch._foreach_addcdiv_(params, m, denominator, value=-lr * u_next / (1 - product_next))
        torch._foreach_addcdiv_(params, grads, denominator, value=-lr * (1 - u_t) / (1 - product))

    def _extra_state(self):
        if not self.built:
            return []
        dtype = self._params[0].dtype if self._params else torch.float32
        return [_host_number(self, "_u_product", dtype)]

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
