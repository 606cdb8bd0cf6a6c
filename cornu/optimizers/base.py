"""The optimizer base: iterations, learning rate, clipping, weight decay, EMA, slots; subclasses give one rule.

A step (`apply`) runs, in Keras's order: drop `None` gradients, unscale by `loss_scale_factor`, gradient
accumulation, clipping, decoupled weight decay, the rule (`update`), the moving average of the weights (EMA), the
parameters' constraints, and `iterations += 1`. Everything that is a number (iterations, learning rate, bias
corrections) lives on the host as a Python number, so a step never waits for the device; everything per parameter is
a list of tensors grouped by device and dtype in `build`, so a step is a handful of foreach/fused kernel launches.
"""

import inspect
import re
import warnings

import torch

from cornu import backend
from cornu.legacy.optimizers import translate_optimizer_arguments
from cornu.optimizers.schedules import LearningRateSchedule
from cornu.optimizers.schedules import serialize as serialize_schedule
from cornu.utils.identifiers import did_you_mean
from cornu.utils.naming import to_snake_case, unique_name

__all__ = ["Optimizer"]

BASE_ARGUMENTS = (
    "learning_rate",
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
    "name",
)


class _Group:
    """The built parameters of one device and dtype, with their slots, as lists that foreach kernels take."""

    def __init__(self, index, params):
        self.index = index  # positions in the optimizer's built list, to pick this group's gradients
        self.params = params
        self.slots = {}  # slot name -> list of tensors aligned with `params`
        self.decayed = []  # the params that weight decay applies to
        self.step = torch.zeros((), dtype=torch.float32, device=params[0].device)  # for fused kernels
        self.steps = [self.step] * len(params)  # the kernels take one step tensor per param: share one

    def subset(self, keep):
        """A group of the params at positions `keep` (a list of indices into this group), sharing their slots."""
        sub = _Group([self.index[k] for k in keep], [self.params[k] for k in keep])
        sub.slots = {name: [tensors[k] for k in keep] for name, tensors in self.slots.items()}
        decayed = {id(p) for p in self.decayed}
        sub.decayed = [p for p in sub.params if id(p) in decayed]
        sub.step, sub.steps = self.step, [self.step] * len(keep)
        return sub


class Optimizer:
    """Base class of cornu's optimizers: one update rule on lists of tensors, everything else shared.

    A subclass sets `slot_names` (per-parameter state, Keras's names) and writes `update(params, grads, slots, lr,
    step)`, which changes `params` and `slots` in place with foreach kernels. `step` is the 1-based update count
    and `lr` the learning rate, both Python numbers.

    Args:
        learning_rate: A float, a `LearningRateSchedule`, or a callable of no arguments returning a float.
        weight_decay: If set, each step multiplies the weights by `1 - weight_decay * learning_rate` before the
            rule. Defaults to `None`.
        clipnorm: If set, each gradient is rescaled so that its L2 norm is at most this. Defaults to `None`.
        clipvalue: If set, each gradient is clipped to `[-clipvalue, clipvalue]`. Defaults to `None`.
        global_clipnorm: If set, all gradients are rescaled together so that their joint L2 norm is at most this.
            Only one of the three clipping arguments may be set. Defaults to `None`.
        use_ema: Whether to keep an exponential moving average of the weights. Defaults to `False`.
        ema_momentum: The average's momentum: `average = m * average + (1 - m) * weight`. Defaults to `0.99`.
        ema_overwrite_frequency: If set, every this many steps the weights are replaced by their average; if
            `None`, call `finalize_variable_values(params)` at the end. Defaults to `None`.
        loss_scale_factor: If set, gradients are divided by it (the loss was multiplied by it). Defaults to `None`.
        gradient_accumulation_steps: If set (an int >= 2), the weights change every this many calls, with the mean
            of the gradients received since the last change. Defaults to `None`.
        name: The optimizer's name. Defaults to the snake-cased class name, made unique (`"adam"`, `"adam_1"`).

    Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    >>> import cornu.optimizers
    >>> opt = cornu.optimizers.SGD(learning_rate=0.5)
    >>> opt.apply([torch.tensor([1.0, -1.0])], [w])
    >>> w.tolist(), opt.iterations
    ([0.5, 2.5], 1)
    """

    slot_names = ()  # per-parameter slots (Keras's names); `slot_blocks` gives their saved order
    slot_initial_values = {}  # slot name -> initial fill value when not 0

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        if kwargs:  # Keras 1/2 spellings (`lr=`, `decay=`) first; what is left is unknown
            learning_rate, kwargs = translate_optimizer_arguments(self, learning_rate, kwargs)
        if kwargs:
            self._reject_unknown_arguments(kwargs)
        _check_clipping(clipnorm, clipvalue, global_clipnorm)
        _check_ema(use_ema, ema_momentum, ema_overwrite_frequency)
        if gradient_accumulation_steps is not None and (
            not isinstance(gradient_accumulation_steps, int) or gradient_accumulation_steps < 2
        ):
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2 (or None). "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps!r}"
            )
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.weight_decay, self.loss_scale_factor = weight_decay, loss_scale_factor
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum, self.ema_overwrite_frequency = use_ema, ema_momentum, ema_overwrite_frequency
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._learning_rate = _check_learning_rate(learning_rate, type(self).__name__)
        self._iterations = 0  # calls to apply; Keras's `_iterations`
        self._params, self._groups, self._index, self._slots = [], [], {}, {}
        self._averages, self._accumulators, self._constrained = [], [], []
        self._exclude_ids, self._exclude_pattern = set(), None
        self._checked, self._cast_gradients = False, False
        self.built = False

    # ----------------------------------------------------------------------------------------------- lifecycle
    def build(self, var_list):
        """Creates the slots for `var_list` (the trainable parameters), grouped by device and dtype. Idempotent."""
        if self.built:
            return
        params = list(var_list)
        self._params = params
        self._index = {id(p): i for i, p in enumerate(params)}
        if self.use_ema:
            self._averages = [torch.zeros_like(p, memory_format=torch.preserve_format).detach() for p in params]
        self._slots = {}
        if self.gradient_accumulation_steps:
            self._accumulators = [torch.zeros_like(p, memory_format=torch.preserve_format).detach() for p in params]
            self._slots["_accumulator"] = self._accumulators  # grouped with the slots; saved before them
        for name in self.slot_names:
            value = self.slot_initial_values.get(name, 0.0)
            self._slots[name] = [
                torch.full_like(p, value, memory_format=torch.preserve_format).detach() for p in params
            ]
        self._constrained = [p for p in params if getattr(p, "constraint", None) is not None]
        self._groups = self._make_groups(params)
        self.built = True

    def _make_groups(self, params):
        by_key = {}
        for i, p in enumerate(params):
            by_key.setdefault((p.device, p.dtype), []).append(i)
        groups = []
        for index in by_key.values():
            group = _Group(index, [params[i] for i in index])
            group.slots = {name: [tensors[i] for i in index] for name, tensors in self._slots.items()}
            group.decayed = [p for p in group.params if self._use_weight_decay(p)]
            groups.append(group)
        return groups

    def update(self, params, grads, slots, lr, step):
        """The rule: changes `params` and `slots` (lists of tensors) in place for gradients `grads`."""
        raise NotImplementedError(f"Optimizer '{type(self).__name__}' must implement `update`.")

    # -------------------------------------------------------------------------------------------------- a step
    def apply_gradients(self, grads_and_vars):
        """Keras's spelling of `apply`: takes `[(grad, param), ...]` and returns the iteration count."""
        pairs = list(grads_and_vars)  # Keras users pass zip(grads, vars): a one-shot iterator
        self.apply([g for g, _ in pairs], [v for _, v in pairs])
        return self._iterations

    def apply(self, grads, params=None):
        """One update of the built parameters (or of `params`, building on first use) from `grads`.

        Args:
            grads: List of gradient tensors (or `None` for parameters to skip), aligned with `params`.
            params: The parameters the gradients belong to. Defaults to those given to `build`.
        """
        grads = list(grads)
        if not grads:
            return
        positions = self._positions(grads, params)
        with torch.no_grad():
            groups, grads = self._select(grads, positions)
            if groups:
                self._step(groups, grads)
            if self.use_ema:
                self._update_average()
        self._iterations += 1

    def _positions(self, grads, params):
        """Where each gradient's parameter sits in the built list (None: the built order itself)."""
        if params is None:
            if not self.built:
                raise ValueError(
                    f"Optimizer '{self.name}' was given gradients without parameters before it was built. "
                    "Call `optimizer.build(params)` first, or pass `optimizer.apply(grads, params)`."
                )
            if len(grads) != len(self._params):
                raise ValueError(
                    f"Optimizer '{self.name}' was built on {len(self._params)} parameters, but received "
                    f"{len(grads)} gradients. Pass one gradient (or None) per built parameter, in order."
                )
            return None
        params = list(params)
        if len(params) != len(grads):
            raise ValueError(f"Received {len(grads)} gradients for {len(params)} parameters; pass one per parameter.")
        if not self.built:
            self.build(params)
        if params is self._params or (len(params) == len(self._params) and all(map(_same, params, self._params))):
            return None
        try:
            return [self._index[id(p)] for p in params]
        except KeyError:
            raise ValueError(
                f"Optimizer '{self.name}' received a parameter it was not built with. An optimizer updates the "
                "parameters of its first `build`/`apply`; create a new optimizer for other parameters."
            ) from None

    def _select(self, grads, positions):
        """The groups to step and their gradients, in built order; the fast path is all gradients present."""
        if positions is None and not any(g is None for g in grads):
            if len(self._groups) == 1:
                return self._groups, [grads]
            return self._groups, [[grads[i] for i in group.index] for group in self._groups]
        by_position = {}
        for position, grad in zip(range(len(grads)) if positions is None else positions, grads, strict=True):
            if grad is not None:
                by_position[position] = grad
        if not by_position:
            raise ValueError(
                f"Optimizer '{self.name}' received no gradients (all were None). Check that the loss depends on "
                "the trainable parameters and that `loss` was given to `compile()`."
            )
        if len(by_position) < len(grads):
            self._warn_missing(set(range(len(self._params))).difference(by_position))
        groups, group_grads = [], []
        for group in self._groups:
            keep = [k for k, i in enumerate(group.index) if i in by_position]
            if keep:
                sub = group if len(keep) == len(group.index) else group.subset(keep)
                groups.append(sub)
                group_grads.append([by_position[i] for i in sub.index])
        return groups, group_grads

    def _warn_missing(self, positions):
        names = [getattr(self._params[i], "keras_name", None) or f"#{i}" for i in sorted(positions)]
        warnings.warn(
            f"Optimizer '{self.name}': no gradient for parameters {names}; they were left unchanged this step. "
            "If the loss should depend on them, check the model's outputs and the `loss` given to compile().",
            stacklevel=4,
        )

    def _step(self, groups, grads):
        if not self._checked:
            self._check_gradients(groups, grads)
        # autograd may hand back a gradient in another memory layout than its weight (e.g. of a transposed kernel);
        # the fused kernels walk both as flat storage, so such a gradient is copied into the weight's layout first.
        grads = [
            [g if g.stride() == p.stride() else torch.empty_like(p).copy_(g) for g, p in zip(gs, group.params)]
            for group, gs in zip(groups, grads)
        ]
        if self._cast_gradients:  # only for a caller whose first gradients had another dtype/device (Keras casts)
            grads = [
                [g.to(p) for g, p in zip(gs, group.params, strict=True)]
                for group, gs in zip(groups, grads, strict=True)
            ]
        if self.loss_scale_factor is not None:
            grads = [torch._foreach_div(g, self.loss_scale_factor) for g in grads]
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            accumulators = [group.slots["_accumulator"] for group in groups]
            if (self._iterations + 1) % steps != 0:  # host-side count: no device sync
                for acc, g in zip(accumulators, grads, strict=True):
                    torch._foreach_add_(acc, g)
                return
            grads = [
                torch._foreach_div(torch._foreach_add(g, acc), steps)
                for g, acc in zip(grads, accumulators, strict=True)
            ]
            for acc in accumulators:
                torch._foreach_zero_(acc)
        grads = self._clip(grads)
        lr, step = self.learning_rate, self.iterations + 1
        for group, group_grads in zip(groups, grads, strict=True):
            self._step_group(group, group_grads, lr, step)
        if self._constrained:
            self._apply_constraints(groups)

    def _apply_constraints(self, groups):
        # Keras projects only the parameters that were updated in this step.
        stepped = None if groups is self._groups else {id(p) for group in groups for p in group.params}
        for p in self._constrained:
            if stepped is None or id(p) in stepped:
                p.copy_(p.constraint(p))

    def _step_group(self, group, grads, lr, step):
        """Weight decay then the rule; a rule with a fused decayed kernel (AdamW) overrides this."""
        if self.weight_decay is not None and group.decayed:
            torch._foreach_mul_(group.decayed, 1.0 - self.weight_decay * lr)
        self.update(group.params, grads, group.slots, lr, step)

    def _check_gradients(self, groups, grads):
        """On the first step only (an edge, not the hot path): shapes must match; other dtypes are cast."""
        for group, group_grads in zip(groups, grads, strict=True):
            for p, g in zip(group.params, group_grads, strict=True):
                if g.shape != p.shape:
                    name = getattr(p, "keras_name", None) or f"#{self._index[id(p)]}"
                    raise ValueError(
                        f"Optimizer '{self.name}' received a gradient of shape {tuple(g.shape)} for parameter "
                        f"'{name}' of shape {tuple(p.shape)}. Pass the gradients in the order of the parameters "
                        "given to build() (e.g. [p.grad for p in params])."
                    )
                self._cast_gradients |= g.dtype != p.dtype or g.device != p.device
        self._checked = True

    def _clip(self, grads):
        """Keras's clipping, on each group's list of gradients; returns new tensors (the caller's are kept)."""
        if self.clipnorm and self.clipnorm > 0:
            clipped = []
            for g in grads:
                norms = torch._foreach_norm(g)
                torch._foreach_clamp_min_(norms, self.clipnorm)  # g * c / max(|g|, c)
                clipped.append(torch._foreach_div(torch._foreach_mul(g, self.clipnorm), norms))
            return clipped
        if self.global_clipnorm and self.global_clipnorm > 0:
            device = grads[0][0].device
            norms = [n.to(device) for g in grads for n in torch._foreach_norm(g)]
            total = torch.linalg.vector_norm(torch.stack(norms))
            # Keras's form: a no-op below the threshold, NaN (not a silent pass) when the norm is inf/NaN.
            scale = self.global_clipnorm * torch.clamp(total.reciprocal(), max=1.0 / self.global_clipnorm)
            scale = scale + (total - total)
            return [torch._foreach_mul(g, scale.to(g[0].device)) for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            return [
                torch._foreach_clamp_max(torch._foreach_clamp_min(g, -self.clipvalue), self.clipvalue) for g in grads
            ]
        return grads

    # -------------------------------------------------------------------------------------------------------- EMA
    def _update_average(self):
        # Keras: the first step copies the weights (momentum 0), later steps blend; all built params, every call.
        momentum = self.ema_momentum if self.iterations != 0 else 0.0
        torch._foreach_lerp_(self._averages, self._params, 1.0 - momentum)  # under no_grad: no detach needed
        frequency = self.ema_overwrite_frequency
        if frequency and (self.iterations + 1) % frequency == 0:
            torch._foreach_copy_(self._params, self._averages)

    def finalize_variable_values(self, var_list):
        """Copies the moving averages into `var_list` (the built parameters) when `use_ema=True`; else nothing."""
        if not self.use_ema:
            return
        var_list = list(var_list)
        if len(var_list) != len(self._averages):
            raise ValueError(
                f"finalize_variable_values received {len(var_list)} variables, but optimizer '{self.name}' "
                f"averages {len(self._averages)}. Pass the parameters the optimizer was built with."
            )
        with torch.no_grad():
            for p, average in zip(var_list, self._averages, strict=True):
                p.copy_(average)

    def scale_loss(self, loss):
        """`loss * loss_scale_factor` when a factor is set (the step divides the gradients back), else `loss`."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    # ------------------------------------------------------------------------------------------- weight decay
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempts parameters from weight decay: those in `var_list`, and those whose name contains one of
        `var_names` (a regex search, as Keras does; a cornu weight's name is its Keras name, e.g. `"bias"`).

        Example:
        >>> import torch, cornu.optimizers
        >>> kernel, bias = torch.nn.Parameter(torch.ones(1)), torch.nn.Parameter(torch.ones(1))
        >>> kernel.keras_name, bias.keras_name = "kernel", "bias"
        >>> opt = cornu.optimizers.SGD(learning_rate=0.5, weight_decay=0.2)
        >>> opt.exclude_from_weight_decay(var_names=["bias"])
        >>> opt.apply([torch.zeros(1), torch.zeros(1)], [kernel, bias])
        >>> kernel.item(), bias.item()  # 1 * (1 - 0.5 * 0.2), 1
        (0.8999999761581421, 1.0)
        """
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None
        if self.built:  # Keras re-evaluates per step, so excluding after build works there too
            for group in self._groups:
                group.decayed = [p for p in group.params if self._use_weight_decay(p)]

    def _use_weight_decay(self, param):
        if id(param) in self._exclude_ids:
            return False
        if self._exclude_pattern is not None:
            name = getattr(param, "keras_name", None) or getattr(param, "name", None) or ""
            return self._exclude_pattern.search(str(name)) is None
        return True

    # ------------------------------------------------------------------------------------ numbers on the host
    @property
    def iterations(self):
        """The number of updates made (calls to `apply` divided by `gradient_accumulation_steps`), an int."""
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        steps = self.gradient_accumulation_steps or 1
        self._iterations = int(value) * steps

    @property
    def learning_rate(self):
        """The learning rate now, a Python float (a schedule is evaluated at the current iteration)."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            return float(lr(self._iterations))
        if callable(lr):
            return float(lr())
        return lr

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, LearningRateSchedule) and not callable(value):
            raise TypeError(
                f"Optimizer '{self.name}' was created with a LearningRateSchedule, so its learning rate cannot be "
                f"set to a number (received {value!r}). Assign another schedule, or create the optimizer with "
                "a float `learning_rate` to change it from callbacks."
            )
        self._learning_rate = _check_learning_rate(value, type(self).__name__)

    # ------------------------------------------------------------------------------------------------- saving
    @property
    def variables(self):
        """The optimizer's state in Keras's order: iteration, learning rate (unless a schedule or callable),
        EMA averages, gradient accumulators, then the slots interleaved per parameter. The first two (and any
        other host-side number) are fresh 0-d tensors; the rest are the live slot tensors."""
        return [getter() for getter, _ in self._state()]

    def set_weights(self, weights):
        """Sets the state from a list in the order of `variables` (arrays or tensors)."""
        state = self._state()
        if len(weights) != len(state):
            raise ValueError(
                f"Optimizer '{self.name}' has {len(state)} variables, but set_weights received {len(weights)}. "
                "Build the optimizer on the same parameters (`optimizer.build(params)`) before loading its state."
            )
        with torch.no_grad():
            for (_, setter), value in zip(state, weights, strict=True):
                setter(value)

    def get_weights(self):
        """The state as numpy arrays, in the order of `variables`."""
        return [v.detach().cpu().numpy() for v in self.variables]

    def save_own_variables(self, store):
        """Writes the state into `store` under `"0"`, `"1"`, ... (the layout of Keras's `.keras` files)."""
        for i, weights in enumerate(self.get_weights()):
            store[str(i)] = weights

    def load_own_variables(self, store):
        """Reads the state written by `save_own_variables` (or by Keras); warns and skips on a count mismatch."""
        if len(store.keys()) != len(self._state()):
            warnings.warn(
                f"Skipping the state of optimizer '{self.name}': it has {len(self._state())} variables but the "
                f"file has {len(store.keys())}. Build it (`optimizer.build(model.trainable_weights)`) first.",
                stacklevel=2,
            )
            return
        self.set_weights([store[str(i)] for i in range(len(store.keys()))])

    def _state(self):
        """(getter, setter) pairs, one per saved variable, in Keras's order."""
        state = [_host_number(self, "_iterations", torch.int64)]
        if not callable(self._learning_rate):
            state.append(_host_number(self, "_learning_rate", backend.torch_dtype(None)))
        tensors = list(self._averages) + list(self._accumulators)
        for block in self.slot_blocks():
            for i in range(len(self._params)):
                tensors.extend(self._slots[name][i] for name in block)
        state.extend((lambda t=t: t, lambda value, t=t: t.copy_(torch.as_tensor(value))) for t in tensors)
        return state + self._extra_state()

    def slot_blocks(self):
        """The slots' saved order: blocks in sequence, each interleaved per parameter (Keras's creation order)."""
        return (self.slot_names,)

    def _extra_state(self):
        """(getter, setter) pairs saved after the slots (Nadam's `u_product`)."""
        return []

    # ---------------------------------------------------------------------------------------------- configs
    def get_config(self):
        """The constructor arguments (Keras's keys); a schedule appears as its serialized dict."""
        lr = self._learning_rate
        return {
            "name": self.name,
            "learning_rate": serialize_schedule(lr) if isinstance(lr, LearningRateSchedule) else lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds an optimizer (without state) from `get_config()`'s dict."""
        from cornu.optimizers.schedules import deserialize as deserialize_schedule

        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_schedule(config["learning_rate"])
        return cls(**config)

    def _reject_unknown_arguments(self, kwargs):
        cls = type(self).__name__
        known = set(BASE_ARGUMENTS)
        for klass in type(self).__mro__:
            if "__init__" in vars(klass):
                known.update(n for n in inspect.signature(klass.__init__).parameters if n not in ("self", "kwargs"))
        key, value = next(iter(kwargs.items()))
        if key == "lr":
            fix = f" Use learning_rate={value!r}."
        elif key == "decay":
            fix = (
                f" Keras 2's `decay` is a schedule in Keras 3: use learning_rate=cornu.optimizers.schedules."
                f"InverseTimeDecay(initial_learning_rate, decay_steps=1, decay_rate={value!r})."
            )
        else:
            fix = did_you_mean(key, sorted(known)) or f" Accepted arguments: {', '.join(sorted(known))}."
        raise ValueError(f"`{key}` is not an argument of {cls} (received {key}={value!r}).{fix}")

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, learning_rate={self._learning_rate!r}>"


def _same(a, b):
    return a is b


def _host_number(optimizer, attribute, dtype):
    """(getter, setter) for a Python number kept on the optimizer, seen as a 0-d tensor when saved."""

    def get():
        return torch.tensor(getattr(optimizer, attribute), dtype=dtype)

    def set_(value):
        number = torch.as_tensor(value).reshape(()).item()
        setattr(optimizer, attribute, int(number) if dtype == torch.int64 else float(number))

    return get, set_


def _check_learning_rate(learning_rate, cls):
    if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
        return learning_rate
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) and not _is_real(learning_rate):
        raise ValueError(
            f"{cls}'s `learning_rate` must be a float, a LearningRateSchedule, or a callable returning the rate. "
            f"Received: learning_rate={learning_rate!r}. For example: learning_rate=0.001."
        )
    return float(learning_rate)


def _is_real(value):
    """numpy / 0-d torch scalars count as numbers (read once, in a constructor or between steps)."""
    try:
        import numpy as np

        if isinstance(value, np.generic | np.ndarray) and np.ndim(value) == 0 and np.isrealobj(value):
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(value, torch.Tensor) and value.ndim == 0 and value.dtype.is_floating_point


def _check_clipping(clipnorm, clipvalue, global_clipnorm):
    if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError(
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
            f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}. Keep one of them."
        )


def _check_ema(use_ema, ema_momentum, ema_overwrite_frequency):
    if not use_ema:
        return
    if not 0 <= ema_momentum <= 1:
        raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
    if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
        raise ValueError(
            "`ema_overwrite_frequency` must be an integer >= 1 or None. "
            f"Received: ema_overwrite_frequency={ema_overwrite_frequency}"
        )
