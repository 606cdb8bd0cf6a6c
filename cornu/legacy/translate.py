"""`translate(owner, kwargs)`: Keras 1/2 keyword arguments in Keras 3's spelling, with a warning once per spelling.

The constructors call it before binding their arguments (`legacy_arguments` wraps a class's `__init__`,
`legacy_method` a method such as `fit`), so layers, models and optimizers only ever see modern names. The
warning is a `DeprecationWarning` pointing at the caller's line, and it says what to write instead:

    `nb_epoch` is the Keras 1 name of `epochs`; write `epochs=20`.

Only names in `cornu.legacy.table` are touched, and never one that the class's own signature declares (a custom
layer may well have its own `output_dim` or `bias` argument). Nothing here runs in a training step.

Example:
>>> import warnings
>>> reset_warnings()  # each spelling warns once per process; start afresh
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     translate("Model.fit", {"nb_epoch": 20, "batch_size": 100})
{'batch_size': 100, 'epochs': 20}
>>> print(caught[0].message)
`nb_epoch` is the Keras 1 name of `epochs`; write `epochs=20`.
"""

import functools
import inspect
import os
import sys
import warnings

from cornu.legacy.table import DROPPED, KERAS_2, MODERN, OLD_NAMES, RENAMED, REWRITTEN

__all__ = ["translate", "legacy_arguments", "legacy_method", "warn_once", "reset_warnings"]

_CORNU_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_WARNED = set()  # the rows already warned about in this process
_DECLARED = {}  # class -> the argument names its constructors declare (cached: classes do not change)


def translate(owner, kwargs, declared=()):
    """Returns `kwargs` with each Keras 1/2 spelling of `owner`'s arguments replaced by Keras 3's.

    Args:
        owner: The class being built (its name and its base classes' names are matched against the table), an
            instance of it, or a name such as `"Model.fit"`.
        kwargs: The keyword arguments as the caller wrote them. Not changed; a new dict is returned when any
            name was translated.
        declared: Argument names that the callee itself declares and that are therefore modern for it.

    Returns:
        The keyword arguments in Keras 3's spelling.

    Raises:
        TypeError: when both an old name and its new name are given.

    Example:
    >>> import warnings
    >>> warnings.simplefilter("ignore")
    >>> translate("Dense", {"output_dim": 500, "activation": "relu"})
    {'activation': 'relu', 'units': 500}
    """
    if not kwargs or OLD_NAMES.isdisjoint(kwargs):
        return kwargs
    names, declared = _owner_names(owner), set(declared) | _declared(owner)
    out = dict(kwargs)
    found = [(old, _row(names, old)) for old in kwargs if old in OLD_NAMES and old not in declared]
    # Renames first: a rewrite such as `decay` reads the translated `learning_rate`.
    for old, (kind, key, spec) in sorted((f for f in found if f[1]), key=lambda f: f[1][0] != "renamed"):
        if old not in out:  # taken by an earlier rewrite (nb_row takes nb_col)
            continue
        value = out.pop(old)
        if kind == "renamed":
            new, convert = spec
            _refuse_both(owner, old, new, out)
            out[new] = convert(value) if convert is not None else value
            message = f"`{old}` is the {_generation(old)} name of `{new}`; write `{new}={_shown(out[new])}`."
        elif kind == "rewritten":
            updates, line = spec(old, value, out, owner)
            for new in updates:
                _refuse_both(owner, old, new, out)
            out.update(updates)
            message = _rewrite_message(old, value, line)
            key = key if line is not None else (*key, "no effect")  # decay=0 must not silence decay=1e-6
        else:
            message = f"`{old}` is a {_generation(old)} argument of {key[0]} that changes nothing ({spec}); remove it."
        warn_once(key, message)
    return out


def legacy_arguments(cls):
    """Wraps `cls.__init__` (when `cls` defines one) so that Keras 1/2 keywords are translated before it binds them.

    Meant for `__init_subclass__` of the base classes, so every subclass (and every user's subclass) is covered;
    `Dense(output_dim=500)` then reaches `Dense.__init__` as `units=500`. Wrapping twice is a no-op.

    Example:
    >>> import warnings
    >>> class Dense:
    ...     def __init__(self, units):
    ...         self.units = units
    >>> _ = legacy_arguments(Dense)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     Dense(output_dim=3).units
    3
    """
    init = vars(cls).get("__init__")
    if init is None or getattr(init, "_cornu_legacy", False):
        return cls

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if kwargs and not OLD_NAMES.isdisjoint(kwargs):
            kwargs = translate(type(self), kwargs)
        init(self, *args, **kwargs)

    __init__._cornu_legacy = True
    cls.__init__ = __init__
    return cls


def legacy_method(owner):
    """Decorator for a method whose Keras 1/2 keywords have rows under `owner` (e.g. `"Model.fit"`).

    Example:
    >>> import warnings
    >>> @legacy_method("Model.fit")
    ... def fit(x=None, epochs=1):
    ...     return epochs
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fit(nb_epoch=20)
    20
    """

    def decorate(method):
        declared = frozenset(inspect.signature(method).parameters)

        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            if kwargs and not OLD_NAMES.isdisjoint(kwargs):
                kwargs = translate(owner, kwargs, declared)
            return method(*args, **kwargs)

        wrapper._cornu_legacy = True
        return wrapper

    return decorate


def warn_once(key, message):
    """Issues `message` as a `DeprecationWarning` at the user's line, the first time `key` is seen in this process."""
    if key in _WARNED:
        return
    _WARNED.add(key)
    warnings.warn(message, DeprecationWarning, stacklevel=_user_stacklevel())


def reset_warnings():
    """Forgets which spellings were warned about, so each warns again (for tests and notebooks)."""
    _WARNED.clear()


def _row(names, old):
    """(kind, (owner, old), spec) of the most specific row for `old`, or None (also for Keras 3's own names)."""
    for name in names:
        key = (name, old)
        if key in MODERN:
            return None
        if key in RENAMED:
            return "renamed", key, RENAMED[key]
        if key in REWRITTEN:
            return "rewritten", key, REWRITTEN[key]
        if key in DROPPED:
            return "dropped", key, DROPPED[key]
    return None


def _owner_names(owner):
    if isinstance(owner, str):
        return (owner,)
    cls = owner if isinstance(owner, type) else type(owner)
    return tuple(klass.__name__ for klass in cls.__mro__)


def _declared(owner):
    """The argument names the owner's constructors declare explicitly (so they are that class's own, modern)."""
    if isinstance(owner, str):
        return set()
    cls = owner if isinstance(owner, type) else type(owner)
    if cls not in _DECLARED:
        names = set()
        for klass in cls.__mro__:
            init = vars(klass).get("__init__")
            if init is not None and klass is not object:
                try:
                    names.update(inspect.signature(init).parameters)
                except (TypeError, ValueError):  # builtins without a signature
                    pass
        _DECLARED[cls] = names - {"self", "args", "kwargs"}
    return _DECLARED[cls]


def _refuse_both(owner, old, new, kwargs):
    if new in kwargs:
        name = owner if isinstance(owner, str) else getattr(owner, "__name__", type(owner).__name__)
        raise TypeError(
            f"{name} received both `{old}` ({_generation(old)}) and `{new}`, which mean the same. Keep only "
            f"`{new}={kwargs[new]!r}`."
        )


def _shown(value):
    """The value as the user would type it: a literal as itself, anything else (a tensor, a layer) as `...`."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, (tuple, list)) and all(v is None or isinstance(v, (bool, int, float, str)) for v in value):
        return repr(value)
    return "..."


def _generation(old):
    return "Keras 2" if old in KERAS_2 else "Keras 1"


def _rewrite_message(old, value, line):
    if line is None:
        return f"`{old}={value!r}` is a {_generation(old)} argument that changes nothing here; remove it."
    return f"`{old}` is a {_generation(old)} argument; write `{line}`."


def _user_stacklevel():
    """The `stacklevel` that points `warnings.warn` (called by our caller) at the first frame outside cornu."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_CORNU_ROOT):
        frame, level = frame.f_back, level + 1
    return level
