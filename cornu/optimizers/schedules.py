"""Learning rate schedules: functions of the integer step, evaluated on the host as Python floats.

An optimizer calls its schedule with its iteration count before each step, so a schedule never puts a number on the
device or waits for one. The formulas and defaults are Keras's (`keras.optimizers.schedules`).
"""

import math

from cornu.utils.identifiers import lookup

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "serialize",
    "deserialize",
]


class LearningRateSchedule:
    """Base class of schedules: `schedule(step)` returns the learning rate at integer `step` as a float.

    A subclass implements `__call__(step)` and `get_config()` (its constructor arguments).

    Example:
    >>> class Halving(LearningRateSchedule):
    ...     def __call__(self, step):
    ...         return 0.1 * 0.5**step
    ...     def get_config(self):
    ...         return {}
    >>> Halving()(2)
    0.025
    """

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must implement `__call__(step)`.")

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must implement `get_config()` to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Rebuilds the schedule from `get_config()`'s dict."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`, the exponent floored if `staircase`.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Positive; the rate is multiplied by `decay_rate` every `decay_steps` steps.
        decay_rate: The factor per `decay_steps`.
        staircase: Whether to decay in whole steps of `decay_steps`. Defaults to `False`.
        name: Defaults to `"ExponentialDecay"`.

    Example:
    >>> ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)(20)
    0.025
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, name

    def __call__(self, step):
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate * self.decay_rate**p)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` for `boundaries[i-1] < step <= boundaries[i]`,
    and `values[-1]` after the last boundary.

    Args:
        boundaries: Increasing steps, one fewer than `values`.
        values: The rates between the boundaries.
        name: Defaults to `"PiecewiseConstant"`.

    Example:
    >>> schedule = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> schedule(100), schedule(101), schedule(500)
    (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "`boundaries` must have one element fewer than `values`. Received: "
                f"boundaries={boundaries} (length {len(boundaries)}), values={values} (length {len(values)})."
            )
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values, strict=False):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From `initial_learning_rate` to `end_learning_rate` over `decay_steps` along `(1 - step/decay_steps)**power`.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Positive; the steps to reach `end_learning_rate`.
        end_learning_rate: The final rate. Defaults to `0.0001`.
        power: The polynomial's power. Defaults to `1.0`.
        cycle: Whether to restart past `decay_steps` (with a longer period, a multiple of `decay_steps`) instead
            of staying at `end_learning_rate`. Defaults to `False`.
        name: Defaults to `"PolynomialDecay"`.

    Example:
    >>> round(PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0)(5), 6)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.end_learning_rate = (
            initial_learning_rate,
            decay_steps,
            end_learning_rate,
        )
        self.power, self.cycle, self.name = power, cycle, name

    def __call__(self, step):
        decay_steps = float(self.decay_steps)
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / self.decay_steps)
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return float(
            (self.initial_learning_rate - self.end_learning_rate) * (1 - p) ** self.power + self.end_learning_rate
        )

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`, the quotient floored if `staircase`.

    This is also what Keras 2's `decay=` argument meant (with `decay_steps=1`).

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Positive; how often `decay_rate` is added to the divisor.
        decay_rate: The divisor's growth per `decay_steps`.
        staircase: Whether to decay in whole steps of `decay_steps`. Defaults to `False`.
        name: Defaults to `"InverseTimeDecay"`.

    Example:
    >>> InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)(2)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, name

    def __call__(self, step):
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate / (1 + self.decay_rate * p))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Half a cosine from the rate down to `alpha` times it over `decay_steps`, after an optional linear warmup.

    Without `warmup_target`, the rate goes from `initial_learning_rate` down; with it, the rate first rises
    linearly from `initial_learning_rate` to `warmup_target` over `warmup_steps`, then decays from `warmup_target`.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Positive; the length of the cosine.
        alpha: The final rate as a fraction of the decayed-from rate. Defaults to `0.0`.
        name: Defaults to `"CosineDecay"`.
        warmup_target: The rate at the end of the warmup, or `None` for no warmup. Defaults to `None`.
        warmup_steps: The warmup's length. Defaults to `0`.

    Example:
    >>> schedule = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=10)
    >>> schedule(5), schedule(10), round(schedule(15), 6), schedule(20)
    (0.5, 1.0, 0.5, 0.0)
    """

    def __init__(
        self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None, warmup_steps=0
    ):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.alpha = initial_learning_rate, decay_steps, alpha
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def _decay(self, step, decay_from):
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return decay_from * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        if self.warmup_target is None:
            return float(self._decay(min(step, self.decay_steps), self.initial_learning_rate))
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            rise = self.warmup_target - self.initial_learning_rate
            return float(rise * step / self.warmup_steps + self.initial_learning_rate)
        return float(self._decay(step - self.warmup_steps, self.warmup_target))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): each period is `t_mul` times longer and starts `m_mul` times lower.

    Args:
        initial_learning_rate: The rate at step 0.
        first_decay_steps: Positive; the length of the first period.
        t_mul: Each period's length relative to the previous one. Defaults to `2.0`.
        m_mul: Each period's starting rate relative to the previous one. Defaults to `1.0`.
        alpha: The final rate of a period as a fraction of its starting rate. Defaults to `0.0`.
        name: Defaults to `"SGDRDecay"`.

    Example:
    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0, m_mul=0.5)
    >>> schedule(0), round(schedule(5), 6), schedule(10)
    (1.0, 0.5, 0.5)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        _check_positive("first_decay_steps", first_decay_steps)
        self.initial_learning_rate, self.first_decay_steps = initial_learning_rate, first_decay_steps
        self._t_mul, self._m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def _period(self, fraction):
        """(restart index, fraction of the current period done) for `fraction` first periods elapsed."""
        t_mul = self._t_mul
        if t_mul == 1.0:
            restart = math.floor(fraction)
            return restart, fraction - restart
        restart = math.floor(math.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
        elapsed = (1.0 - t_mul**restart) / (1.0 - t_mul)  # the first `restart` periods, in first periods
        return restart, (fraction - elapsed) / t_mul**restart

    def __call__(self, step):
        restart, fraction = self._period(step / self.first_decay_steps)
        cosine = 0.5 * self._m_mul**restart * (1.0 + math.cos(math.pi * fraction))
        return float(self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


def serialize(schedule):
    """`{"module": "keras.optimizers.schedules", "class_name": ..., "config": ..., "registered_name": None}`.

    Example:
    >>> serialize(ExponentialDecay(0.1, 10, 0.5))["class_name"]
    'ExponentialDecay'
    """
    return {
        "module": "keras.optimizers.schedules",
        "class_name": type(schedule).__name__,
        "config": schedule.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """The schedule described by `serialize`'s dict (or a Keras config of one of the schedules here).

    Example:
    >>> deserialize(serialize(InverseTimeDecay(0.1, 1, 0.5)))(2)
    0.05
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"A schedule config is a dict with 'class_name' and 'config' keys. Received: {config!r}. "
            "Use the output of cornu.optimizers.schedules.serialize(schedule)."
        )
    table = {cls.__name__: cls for cls in _SCHEDULES}
    table.update(custom_objects or {})
    cls = lookup("learning rate schedule", config["class_name"], table)
    return cls.from_config(dict(config.get("config", {})))


def _check_positive(name, value):
    if not value > 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value!r}")


_SCHEDULES = (
    ExponentialDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    InverseTimeDecay,
    CosineDecay,
    CosineDecayRestarts,
)
