"""Keras 1/2 optimizer spellings: `lr=`, `decay=` and `optimizer.lr`, in Keras 3's terms.

Keras 2's `decay` divided the learning rate by `1 + decay * iterations`, where `iterations` counts the updates made
before the current one (the first update uses `lr` itself). Keras 3 dropped the argument; the same numbers come from
`InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)`, which is what cornu builds (Keras 3 would silently ignore it).

Example:
>>> schedule = inverse_time_decay(0.1, 0.5)
>>> [schedule(step) for step in range(3)]  # 0.1 / (1 + 0.5 * step)
[0.1, 0.06666666666666667, 0.05]
"""

import inspect

__all__ = ["inverse_time_decay", "decay_to_schedule", "translate_optimizer_arguments", "LearningRateHandle"]


def inverse_time_decay(learning_rate, decay):
    """Keras 2's `decay` as a Keras 3 schedule: `learning_rate / (1 + decay * iterations)`.

    Args:
        learning_rate: The rate of the first update, a float.
        decay: The divisor's growth per update, a float >= 0.

    Returns:
        An `InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=decay)`.

    Example:
    >>> inverse_time_decay(1.0, 0.01)(100)  # the seed's "Learning rate=1; Decay=0.01" after 100 updates
    0.5
    """
    from cornu.optimizers.schedules import InverseTimeDecay

    schedule = InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=decay)
    schedule._keras2_decay = True  # `optimizer.lr` is then the base rate, as Keras 2's `lr` variable was
    return schedule


def decay_to_schedule(old, value, kwargs, owner):
    """The table's rewrite of `decay=`: a schedule in `learning_rate` (or nothing, for `decay=0`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"Keras 2's `decay` is a float >= 0. Received: decay={value!r}.")
    learning_rate = kwargs.pop("learning_rate", _default_learning_rate(owner))
    if value == 0:  # Keras 2's default: no decay, so the plain rate is the same optimizer
        return {"learning_rate": learning_rate}, None
    if not isinstance(learning_rate, (int, float)):
        raise ValueError(
            f"`decay={value!r}` (Keras 2) decays a constant learning rate, but learning_rate={learning_rate!r}. "
            "Put the decay in that schedule instead, or pass a float learning_rate."
        )
    line = (
        f"learning_rate=cornu.optimizers.schedules.InverseTimeDecay({learning_rate!r}, decay_steps=1, "
        f"decay_rate={value!r})"
    )
    return {"learning_rate": inverse_time_decay(learning_rate, value)}, line


def translate_optimizer_arguments(optimizer, learning_rate, kwargs):
    """What `Optimizer.__init__` calls with its `learning_rate` and leftover keywords: Keras 1/2 spellings become
    Keras 3's (`lr=` -> `learning_rate`, `decay=` -> a schedule), each warned about once.

    The subclass has already bound `learning_rate` (to its default when the caller wrote `lr=`), so a rate that
    differs from that default is one the caller wrote, and writing both is refused.

    Returns:
        `(learning_rate, kwargs)` with the old keywords gone.

    Example:
    >>> import warnings
    >>> from cornu.optimizers import SGD
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     translate_optimizer_arguments(SGD(), 0.01, {"lr": 0.5})
    (0.5, {})
    """
    from cornu.legacy.translate import translate

    cls = type(optimizer)
    given = {} if _same_number(learning_rate, _default_learning_rate(cls)) else {"learning_rate": learning_rate}
    kwargs = translate(cls, {**given, **kwargs})
    return kwargs.pop("learning_rate", learning_rate), kwargs


class LearningRateHandle:
    """What Keras 2's `optimizer.lr` was (a variable) for `K.get_value`/`K.set_value` and arithmetic.

    It reads and writes the optimizer's `learning_rate`, so `K.set_value(model.optimizer.lr, 0.001)` changes the
    rate of the next update, as it did in Keras 2. With Keras 2's `decay=`, it is the base rate that the decay
    divides (Keras 2's `lr` variable), not the decayed rate of the next update.

    Example:
    >>> from cornu.optimizers import SGD
    >>> opt = SGD(learning_rate=0.1)
    >>> handle = LearningRateHandle(opt)
    >>> handle.assign(0.05); opt.learning_rate, float(handle) * 2
    (0.05, 0.1)
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer

    def numpy(self):
        schedule = self._keras2_schedule()
        return schedule.initial_learning_rate if schedule is not None else self.optimizer.learning_rate

    def assign(self, value):
        schedule = self._keras2_schedule()
        if schedule is not None:  # Keras 2 kept decaying from the new base rate
            schedule.initial_learning_rate = float(value)
        else:
            self.optimizer.learning_rate = float(value)

    def _keras2_schedule(self):
        schedule = getattr(self.optimizer, "_learning_rate", None)
        return schedule if getattr(schedule, "_keras2_decay", False) else None

    def __float__(self):
        return float(self.numpy())

    def __format__(self, spec):
        return format(float(self), spec)

    def __repr__(self):
        return f"<learning rate of {self.optimizer.name}: {float(self)!r}>"

    def __eq__(self, other):
        return float(self) == other

    __hash__ = None

    def __mul__(self, other):
        return float(self) * other

    __rmul__ = __mul__

    def __truediv__(self, other):
        return float(self) / other

    def __add__(self, other):
        return float(self) + other

    __radd__ = __add__

    def __sub__(self, other):
        return float(self) - other

    def __lt__(self, other):
        return float(self) < other

    def __gt__(self, other):
        return float(self) > other


def _lr_get(optimizer):
    from cornu.legacy.translate import warn_once

    warn_once(("Optimizer", "lr attribute"), "`optimizer.lr` is the Keras 2 name of `optimizer.learning_rate`.")
    return LearningRateHandle(optimizer)


def _lr_set(optimizer, value):
    from cornu.legacy.translate import warn_once

    warn_once(
        ("Optimizer", "lr attribute"),
        f"`optimizer.lr` is the Keras 2 name of `optimizer.learning_rate`; "
        f"write `optimizer.learning_rate = {value!r}`.",
    )
    optimizer.learning_rate = value


LR_PROPERTY = property(_lr_get, _lr_set, doc="Keras 2's `optimizer.lr`: a handle on `learning_rate` (warns once).")


def _default_learning_rate(owner):
    """The `learning_rate` default of an optimizer class's constructor (the first one in the MRO that has one)."""
    for klass in getattr(owner, "__mro__", ()):
        init = vars(klass).get("__init__")
        if init is None:
            continue
        parameter = inspect.signature(init).parameters.get("learning_rate")
        if parameter is not None and parameter.default is not inspect.Parameter.empty:
            return parameter.default
    return 0.001  # Keras 3's Optimizer has no default; 0.001 is what most of its subclasses use


def _same_number(a, b):
    return isinstance(a, (int, float)) and not isinstance(a, bool) and a == b
