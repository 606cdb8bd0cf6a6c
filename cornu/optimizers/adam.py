"""Adam and AdamW (Kingma & Ba, 2014; Loshchilov & Hutter, 2019) on torch's fused Adam kernels.

Keras and torch place epsilon differently. Keras (with `t` the step, `c1 = 1 - beta_1**t`, `c2 = 1 - beta_2**t`):

    w -= lr * sqrt(c2) / c1 * m / (sqrt(v) + eps_keras)

torch's fused kernel (`torch._fused_adam_`, as `torch.optim.Adam(fused=True)` calls it):

    w -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps_torch)
       = lr * sqrt(c2) / c1 * m / (sqrt(v) + eps_torch * sqrt(c2))

so the two are the same update exactly when `eps_torch = eps_keras / sqrt(c2)`: a host-side number per step.
The kernel reads the step `t` from its `state_steps` tensors (it does not advance them) and `lr` as a float, so
each step fills one 0-d step tensor per group and passes the learning rate as a Python number: nothing syncs.
The same holds with `amsgrad` (the kernel's running max of `v` plays Keras's `velocity_hat`), and for AdamW, whose
kernel multiplies the weights by `1 - lr * weight_decay` first, which is Keras's decoupled weight decay.
"""

import math

import torch

from cornu.optimizers.base import Optimizer

__all__ = ["Adam", "AdamW"]

_FUSED_DEVICES = ("cpu", "cuda", "mps")


class Adam(Optimizer):
    """Adam: running means of the gradient (`m`) and of its square (`v`), bias-corrected, with Keras's epsilon.

    `epsilon` is added to `sqrt(v)` before the bias correction, as in Keras, so `torch.optim.Adam(eps=...)` with
    the same number is a slightly different optimizer; cornu calls torch's fused kernel with the per-step
    epsilon that makes it Keras's (see this module's docstring).

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to `0.001`.
        beta_1: Decay of the mean of gradients. Defaults to `0.9`.
        beta_2: Decay of the mean of squared gradients. Defaults to `0.999`.
        epsilon: Defaults to `1e-7`.
        amsgrad: Whether to divide by the running maximum of `v` (AMSGrad). Defaults to `False`.
        **kwargs: The base `Optimizer`'s arguments (`clipnorm`, `weight_decay`, `use_ema`, `name`, ...).

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    >>> Adam(learning_rate=0.1).apply([torch.tensor([3.0, -0.5])], [w])
    >>> [round(x, 4) for x in w.tolist()]  # the first step moves each weight by about lr
    [0.9, -0.9]
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        self.slot_names = ("momentum", "velocity") + (("velocity_hat",) if amsgrad else ())

    def slot_blocks(self):
        return (("momentum", "velocity"),) + ((("velocity_hat",),) if self.amsgrad else ())

    def _step_group(self, group, grads, lr, step):
        device = group.params[0].device.type
        if device not in _FUSED_DEVICES or any(g.is_sparse for g in grads[:1]):
            return super()._step_group(group, grads, lr, step)
        decay = self.weight_decay or 0.0
        fuse_decay = decay != 0.0 and len(group.decayed) == len(group.params)
        if decay and group.decayed and not fuse_decay:  # some params excluded: decay those apart
            torch._foreach_mul_(group.decayed, 1.0 - decay * lr)
        group.step.fill_(step)
        kernel = torch._fused_adamw_ if fuse_decay else torch._fused_adam_
        kernel(
            group.params,
            grads,
            group.slots["momentum"],
            group.slots["velocity"],
            group.slots.get("velocity_hat", []),
            group.steps,
            lr=lr,
            beta1=self.beta_1,
            beta2=self.beta_2,
            weight_decay=decay if fuse_decay else 0.0,
            eps=self.epsilon / math.sqrt(1.0 - self.beta_2**step),  # Keras's epsilon, moved past the correction
            amsgrad=self.amsgrad,
            maximize=False,
        )

    def update(self, params, grads, slots, lr, step):
        """Keras's formula with foreach kernels: the reference, and the path for devices without a fused kernel."""
        m, v = slots["momentum"], slots["velocity"]
        torch._foreach_lerp_(m, grads, 1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - self.beta_2)
        if self.amsgrad:
            torch._foreach_maximum_(slots["velocity_hat"], v)
            v = slots["velocity_hat"]
        alpha = lr * math.sqrt(1 - self.beta_2**step) / (1 - self.beta_1**step)
        denominator = torch._foreach_sqrt(v)
        torch._foreach_add_(denominator, self.epsilon)
        torch._foreach_addcdiv_(params, m, denominator, value=-alpha)

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon, amsgrad=self.amsgrad)
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay: each step first multiplies the weights by `1 - lr * weight_decay`.

    It is `Adam(weight_decay=...)` with a default decay of `0.004`; `exclude_from_weight_decay` exempts weights.

    Args:
        learning_rate: A float, a schedule or a callable. Defaults to `0.001`.
        weight_decay: Float. Defaults to `0.004`.
        beta_1: Defaults to `0.9`.
        beta_2: Defaults to `0.999`.
        epsilon: Defaults to `1e-7`.
        amsgrad: Defaults to `False`.
        **kwargs: The base `Optimizer`'s arguments (`clipnorm`, `use_ema`, `name`, ...).

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([2.0]))
    >>> AdamW(learning_rate=0.1, weight_decay=0.5).apply([torch.tensor([0.0])], [w])
    >>> w.item()  # a zero gradient: only the decay, 2 * (1 - 0.1 * 0.5)
    1.899999976158142
    """

    def __init__(
        self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs
    ):
        if weight_decay is None:
            raise ValueError(
                "AdamW's `weight_decay` must be a float. Received: weight_decay=None. "
                "Use Adam() for no weight decay, or e.g. AdamW(weight_decay=0.004)."
            )
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs)
