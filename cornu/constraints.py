"""Weight constraints with Keras 3's names, formulas and configs.

A constraint maps a weight to its projection (e.g. rescaled so each column's norm is at most 2); the trainer
applies it after every optimizer step. Norms are taken along `axis`: for a Dense kernel `(in, out)`,
`axis=0` constrains each unit's incoming weight vector; for a Conv2D kernel `(kh, kw, in, out)` use
`axis=[0, 1, 2]`. Like Keras, norms get `epsilon()` added before dividing.

Example:
>>> NonNeg()(torch.tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
"""

import torch
import torch.nn.functional as F

from cornu.backend import epsilon
from cornu.utils.identifiers import deserialize_object, get_object, serialize_object

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "get",
    "serialize",
    "deserialize",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "unit_norm",
]


class Constraint:
    """Base class: subclasses implement `__call__(w)`, returning the projected weight. The base returns `w`.

    Example:
    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return w.clamp(-1, 1)
    >>> Clip()(torch.tensor([3.0])).tolist()
    [1.0]
    """

    def __call__(self, w):
        return w

    def get_config(self):
        """The constructor arguments, as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """A new constraint built from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescales each slice along `axis` whose L2 norm exceeds `max_value` down to `max_value`.

    `w * clip(norm, 0, max_value) / (epsilon() + norm)`.

    Args:
        max_value: Float, the largest norm allowed. Defaults to `2`.
        axis: Integer or list of integers, the axes the norm is taken over. Defaults to `0`.

    Example:
    >>> [round(v, 4) for v in MaxNorm(1.0)(torch.tensor([[3.0], [4.0]])).flatten().tolist()]
    [0.6, 0.8]
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w, norms = _norms(w, self.axis)
        desired = torch.clamp(norms, 0, self.max_value)
        return w * (desired / (epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Replaces negative weights by 0.

    Example:
    >>> NonNeg()(torch.tensor([-0.5, 0.5])).tolist()
    [0.0, 0.5]
    """

    def __call__(self, w):
        return F.relu(_tensor(w))


class UnitNorm(Constraint):
    """Divides each slice along `axis` by its L2 norm (plus `epsilon()`), so norms become 1.

    Args:
        axis: Integer or list of integers, the axes the norm is taken over. Defaults to `0`.

    Example:
    >>> [round(v, 4) for v in UnitNorm()(torch.tensor([[3.0], [4.0]])).flatten().tolist()]
    [0.6, 0.8]
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w, norms = _norms(w, self.axis)
        return w / (epsilon() + norms)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each slice's L2 norm toward `[min_value, max_value]` by the fraction `rate`.

    The new norm is `rate * clip(norm, min_value, max_value) + (1 - rate) * norm`; `rate=1.0` clips outright.

    Args:
        min_value: Float, the smallest norm wanted. Defaults to `0.0`.
        max_value: Float, the largest norm wanted. Defaults to `1.0`.
        rate: Float in `[0, 1]`, how far to move in one application. Defaults to `1.0`.
        axis: Integer or list of integers, the axes the norm is taken over. Defaults to `0`.

    Example:
    >>> [round(v, 4) for v in MinMaxNorm(1.0, 2.0)(torch.tensor([[0.3], [0.4]])).flatten().tolist()]
    [0.6, 0.8]
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w, norms = _norms(w, self.axis)
        desired = self.rate * torch.clamp(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


# Keras's lower-case names of the classes (`keras.constraints.max_norm` is the class `MaxNorm`).
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

_CLASSES = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
_TABLE = {
    **{cls.__name__: cls for cls in _CLASSES},
    "constraint": Constraint,
    "max_norm": MaxNorm,
    "min_max_norm": MinMaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
}


def serialize(constraint):
    """Keras's config dict of the constraint: `{"module", "class_name", "config", "registered_name"}`;
    `None` gives `None`.

    Example:
    >>> serialize(MaxNorm(3))["config"]
    {'max_value': 3, 'axis': 0}
    """
    return serialize_object(constraint, "keras.constraints", "Constraint")


def deserialize(config, custom_objects=None):
    """A constraint from a name or a config dict written by `serialize` (or by Keras).

    Args:
        config: A name (`"max_norm"`) or a dict with `"class_name"` and `"config"`.
        custom_objects: Optional dict of extra `name -> class`, searched first. Defaults to `None`.

    Example:
    >>> deserialize({"class_name": "UnitNorm", "config": {"axis": 1}}).axis
    1
    """
    return deserialize_object("constraint", config, _TABLE, custom_objects)


def get(identifier):
    """The constraint an identifier names.

    Args:
        identifier: `None` (returned as `None`), a name (`"non_neg"`, `"MaxNorm"`), a config dict, a
            constraint class (instantiated with defaults), or a callable `fn(w) -> w`.

    Example:
    >>> get("max_norm").max_value
    2
    """
    return get_object(
        "constraint",
        identifier,
        deserialize,
        "Pass a name such as 'max_norm', a Constraint such as MaxNorm(3), or a function of the weight.",
    )


def _tensor(w):
    return w if isinstance(w, torch.Tensor) else torch.as_tensor(w)


def _norms(w, axis):
    # Keras accepts a list of axes; torch reductions want a tuple.
    w = _tensor(w)
    dim = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return w, torch.linalg.vector_norm(w, ord=2, dim=dim, keepdim=True)
