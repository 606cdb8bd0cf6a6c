"""Dynamic loss scaling for float16 training: the loss is multiplied by a large scale before the gradients are
taken, so that small gradients do not flush to zero in float16, and the gradients are divided by it again before the
wrapped optimizer sees them.

The scale follows Keras's rule: a step whose gradients hold an inf or NaN is skipped (the wrapped optimizer is not
called, so its iteration count does not move) and halves the scale; `dynamic_growth_steps` finite steps in a row
double it. Deciding to skip needs one host read of a "found inf" flag per step, the same read that
`torch.amp.GradScaler` makes for optimizers without a fused skip; everything else stays on the device.
"""

import torch

from cornu.optimizers.base import Optimizer

__all__ = ["LossScaleOptimizer"]

# Keras refuses the base optimizer's arguments on the wrapper, but reads their default values from old configs.
_BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Wraps an optimizer with dynamic loss scaling (what `compile` does under the `"mixed_float16"` policy).

    Training multiplies the loss by `loss_scale` (`scale_loss`); `apply` divides the gradients by it, skips the
    step and halves the scale if any gradient is not finite, and doubles the scale after `dynamic_growth_steps`
    finite steps in a row.

    Args:
        inner_optimizer: The cornu optimizer to wrap (its own `loss_scale_factor` is turned off).
        initial_scale: The first loss scale. Defaults to `2.0**15`.
        dynamic_growth_steps: Finite steps in a row after which the scale doubles. Defaults to `2000`.
        name: The optimizer's name. Defaults to `"loss_scale_optimizer"` (made unique).

    Example:
    >>> import torch, cornu.optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = LossScaleOptimizer(cornu.optimizers.SGD(learning_rate=0.5), initial_scale=4.0, dynamic_growth_steps=2)
    >>> opt.apply([torch.tensor([float("inf")])], [w])  # skipped: the scale halves
    >>> w.tolist(), opt.loss_scale, opt.iterations
    ([1.0], 2.0, 0)
    >>> opt.apply([torch.tensor([2.0])], [w])  # the gradient of a loss scaled by 2: unscaled to 1.0
    >>> w.tolist(), opt.loss_scale, opt.iterations
    ([0.5], 2.0, 1)
    >>> opt.apply([torch.tensor([2.0])], [w])  # second finite step in a row: the scale doubles afterwards
    >>> w.tolist(), opt.loss_scale
    ([0.0], 4.0)
    """

    def __init__(self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs):
        _check_arguments(inner_optimizer, initial_scale, dynamic_growth_steps, kwargs)
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        inner_optimizer.loss_scale_factor = None  # else the gradients would be unscaled twice
        self._scale = self.initial_scale  # host numbers: read each step, written only after the one flag read
        self._counter = 0

    def build(self, var_list):
        """Builds the wrapped optimizer on `var_list`."""
        self.inner_optimizer.build(var_list)
        self.built = True

    # ---------------------------------------------------------------------------------------------------- a step
    def apply(self, grads, params=None):
        """Unscales `grads` and lets the wrapped optimizer step, or skips the step if a gradient is not finite."""
        grads = list(grads)
        if not self.built and params is not None:  # without params the wrapped optimizer says what to do
            self.build(params)
        present = [g for g in grads if g is not None]
        if not present:  # the wrapped optimizer explains what is wrong
            return self.inner_optimizer.apply(grads, params)
        with torch.no_grad():
            unscaled = torch._foreach_div(present, self._scale)  # a division, as Keras: exact for any scale
            finite = _all_finite(unscaled)
        if not finite:
            self._counter, self._scale = 0, self._scale * 0.5
            return None
        it = iter(unscaled)
        self.inner_optimizer.apply([None if g is None else next(it) for g in grads], params)
        if self._counter == self.dynamic_growth_steps - 1:
            self._counter, self._scale = 0, self._scale * 2.0
        else:
            self._counter += 1
        return None

    def scale_loss(self, loss):
        """`loss * loss_scale`: what the gradients are taken of."""
        return loss * self._scale

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    # ------------------------------------------------------------------------------------------ numbers on the host
    @property
    def loss_scale(self):
        """The current loss scale, a Python float."""
        return self._scale

    @property
    def dynamic_scale(self):
        """The current loss scale as a 0-d float32 tensor (Keras keeps it in a variable of this name)."""
        return torch.tensor(self._scale, dtype=torch.float32)

    @property
    def step_counter(self):
        """Finite steps since the scale last changed, as a 0-d int32 tensor (Keras's variable of this name)."""
        return torch.tensor(self._counter, dtype=torch.int32)

    @property
    def iterations(self):
        """The wrapped optimizer's update count (skipped steps do not count)."""
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value):
        self.inner_optimizer.iterations = value

    @property
    def learning_rate(self):
        """The wrapped optimizer's learning rate (setting it sets the wrapped optimizer's)."""
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    # ------------------------------------------------------------------------------------------------- saving
    def _state(self):
        """Keras's order: the wrapper's own iteration and learning rate (both stay 0), `step_counter`,
        `dynamic_scale`, then the wrapped optimizer's variables."""
        own = super()._state()[:2]

        def set_counter(value):
            self._counter = int(torch.as_tensor(value).reshape(()).item())

        def set_scale(value):
            self._scale = float(torch.as_tensor(value).reshape(()).item())

        own += [(lambda: self.step_counter, set_counter), (lambda: self.dynamic_scale, set_scale)]
        return own + self.inner_optimizer._state()

    def get_config(self):
        """Keras's keys: `name`, `inner_optimizer` (its config dict), `initial_scale`, `dynamic_growth_steps`."""
        from cornu import optimizers

        return {
            "name": self.name,
            "inner_optimizer": optimizers.serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the wrapper and its wrapped optimizer (without state) from `get_config()`'s dict."""
        from cornu import optimizers

        config = dict(config)
        inner = config.pop("inner_optimizer")
        inner = inner if isinstance(inner, Optimizer) else optimizers.deserialize(inner, custom_objects)
        return cls(inner, **config)

    def __repr__(self):
        return f"<LossScaleOptimizer name={self.name}, inner={self.inner_optimizer!r}, loss_scale={self._scale}>"


def _all_finite(tensors):
    """Whether every element of `tensors` (fresh tensors of this step) is finite: one fused pass per device and one
    host read in all. The check kernel also multiplies by its `inv_scale`, here 1.0: the values stay as they are."""
    by_device = {}
    for tensor in tensors:
        by_device.setdefault(tensor.device, []).append(tensor)
    found = []
    for device, group in by_device.items():
        flag = torch.zeros(1, dtype=torch.float32, device=device)
        torch._amp_foreach_non_finite_check_and_unscale_(group, flag, torch.ones((), device=device))
        found.append(flag if device.type == "cpu" else flag.cpu())
    return not bool((found[0] if len(found) == 1 else torch.cat(found)).any())


def _check_arguments(inner_optimizer, initial_scale, dynamic_growth_steps, kwargs):
    if not kwargs.pop("dynamic", True):
        raise ValueError(
            "LossScaleOptimizer has no `dynamic=False` (as in Keras 3). For a fixed scale, set `loss_scale_factor` "
            "on the optimizer itself instead, e.g. Adam(loss_scale_factor=1024.0)."
        )
    for key, default in _BASE_DEFAULTS.items():
        if key in kwargs and kwargs.pop(key) != default:
            raise ValueError(f"LossScaleOptimizer does not take `{key}`. Set `{key}` on the `inner_optimizer`.")
    if kwargs:
        raise ValueError(f"LossScaleOptimizer does not take the arguments {sorted(kwargs)}.")
    if not isinstance(inner_optimizer, Optimizer):
        raise ValueError(
            "LossScaleOptimizer wraps a cornu optimizer instance. Received: "
            f"inner_optimizer={inner_optimizer!r}. For example: LossScaleOptimizer(cornu.optimizers.Adam())."
        )
    if not initial_scale > 0:
        raise ValueError(f"`initial_scale` must be a positive number. Received: initial_scale={initial_scale!r}")
    if isinstance(dynamic_growth_steps, bool) or not isinstance(dynamic_growth_steps, int) or dynamic_growth_steps < 1:
        raise ValueError(
            "`dynamic_growth_steps` must be a positive integer. "
            f"Received: dynamic_growth_steps={dynamic_growth_steps!r}"
        )
