"""Weight regularizers with Keras 3's names, formulas and configs.

A regularizer maps a weight tensor to a scalar tensor that the layer adds to the loss. The factors are checked
once, in the constructor; the call itself is a couple of fused torch reductions and never syncs the host.

Example:
>>> L2(0.5)(torch.tensor([1.0, 2.0])).item()
2.5
"""

import math
import numbers

import torch
import torch.nn.functional as F

from cornu.backend import epsilon
from cornu.utils.identifiers import deserialize_object, get_object, serialize_object

__all__ = [
    "Regularizer",
    "L1",
    "L2",
    "L1L2",
    "OrthogonalRegularizer",
    "get",
    "serialize",
    "deserialize",
    "l1",
    "l2",
    "l1_l2",
    "orthogonal_regularizer",
]


class Regularizer:
    """Base class: subclasses implement `__call__(x)` (a scalar tensor) and `get_config()`.

    The base penalizes nothing.

    Example:
    >>> class Sum(Regularizer):
    ...     def __call__(self, x):
    ...         return x.sum()
    ...     def get_config(self):
    ...         return {}
    >>> Sum()(torch.ones(3)).item()
    3.0
    """

    def __call__(self, x):
        # Keras returns the Python number 0.0 here; a zero tensor of x's dtype adds to a loss just the same.
        return torch.zeros((), dtype=x.dtype, device=x.device)

    def get_config(self):
        """The constructor arguments, as a JSON-serializable dict."""
        raise NotImplementedError(f"{type(self).__name__} must implement `get_config()` to be serialized.")

    @classmethod
    def from_config(cls, config):
        """A new regularizer built from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """`l1 * sum(abs(x)) + l2 * sum(square(x))`.

    Args:
        l1: Non-negative float, the L1 factor. Defaults to `0.0` (`None` means 0).
        l2: Non-negative float, the L2 factor. Defaults to `0.0` (`None` means 0).

    Example:
    >>> L1L2(l1=1.0, l2=1.0)(torch.tensor([-1.0, 2.0])).item()
    8.0
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        # Terms with a zero factor are skipped (host-side floats), as Keras does.
        penalty = torch.zeros((), dtype=x.dtype, device=x.device)
        if self.l1:
            penalty = penalty + self.l1 * torch.sum(torch.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * torch.sum(torch.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """`l1 * sum(abs(x))`: pushes weights to exactly zero (sparsity).

    Args:
        l1: Non-negative float, the factor. Defaults to `0.01` (`None` means the default).

    Example:
    >>> L1(0.5)(torch.tensor([-1.0, 3.0])).item()
    2.0
    """

    def __init__(self, l1=0.01):
        self.l1 = _factor(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return self.l1 * torch.sum(torch.abs(x))

    def get_config(self):
        # Keras reports float32(l1) here (0.009999999776482582 for 0.01); cornu keeps the number it was given.
        return {"l1": self.l1}


class L2(Regularizer):
    """`l2 * sum(square(x))`: weight decay added to the loss.

    Args:
        l2: Non-negative float, the factor. Defaults to `0.01` (`None` means the default).

    Example:
    >>> L2(0.5)(torch.tensor([-1.0, 3.0])).item()
    5.0
    """

    def __init__(self, l2=0.01):
        self.l2 = _factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return self.l2 * torch.sum(torch.square(x))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2D weight.

    The rows (`mode="rows"`) or columns are L2-normalized, their pairwise dot products taken, and the penalty is
    `factor * 0.5 * sum(abs(off-diagonal products)) / (n * (n - 1) / 2)` for `n` rows (columns).

    Args:
        factor: Non-negative float, the strength. Defaults to `0.01`.
        mode: `"rows"` or `"columns"`: which vectors should be orthogonal. Defaults to `"rows"`.

    Example:
    >>> OrthogonalRegularizer(1.0)(torch.eye(3)).item()
    0.0
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f"Invalid value for argument `mode`: use 'rows' or 'columns'. Received: mode={mode!r}")
        self.mode = mode

    def __call__(self, inputs):
        if inputs.ndim != 2:
            raise ValueError(
                f"OrthogonalRegularizer needs a 2D weight. Received: inputs.shape={tuple(inputs.shape)}. "
                "Use it as a Dense kernel_regularizer."
            )
        vectors = inputs if self.mode == "rows" else inputs.T
        # F.normalize divides by max(norm, eps), which is Keras's `x * min(rsqrt(sum(x**2)), 1 / eps)`.
        vectors = F.normalize(vectors, p=2.0, dim=1, eps=epsilon())
        size = vectors.shape[0]
        product = vectors @ vectors.T
        off_diagonal = product * (1.0 - torch.eye(size, dtype=product.dtype, device=product.device))
        pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * torch.sum(torch.abs(off_diagonal)) / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras's lower-case names of the classes (`keras.regularizers.l2` is the class `L2`).
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_CLASSES = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
_TABLE = {
    **{cls.__name__: cls for cls in _CLASSES},
    "regularizer": Regularizer,
    "l1": L1,
    "l2": L2,
    "l1l2": L1L2,  # Keras's snake-case of `L1L2`
    "l1_l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def serialize(regularizer):
    """Keras's config dict of the regularizer: `{"module", "class_name", "config", "registered_name"}`;
    `None` gives `None`.

    Example:
    >>> serialize(L2(0.1))["config"]
    {'l2': 0.1}
    """
    return serialize_object(regularizer, "keras.regularizers", "Regularizer")


def deserialize(config, custom_objects=None):
    """A regularizer from a name or a config dict written by `serialize` (or by Keras).

    Args:
        config: A name (`"l2"`) or a dict with `"class_name"` and `"config"`.
        custom_objects: Optional dict of extra `name -> class`, searched first. Defaults to `None`.

    Example:
    >>> deserialize({"class_name": "L1", "config": {"l1": 0.5}}).l1
    0.5
    """
    return deserialize_object("regularizer", config, _TABLE, custom_objects)


def get(identifier):
    """The regularizer an identifier names.

    Args:
        identifier: `None` (returned as `None`), a name (`"l1"`, `"L2"`, `"l1_l2"`), a config dict, a
            regularizer class (instantiated with defaults), or a callable `fn(weight) -> scalar`.

    Example:
    >>> get("l2").l2
    0.01
    """
    return get_object(
        "regularizer",
        identifier,
        deserialize,
        "Pass a name such as 'l2', a Regularizer such as L2(1e-4), or a function of the weight.",
    )


def _factor(value, name):
    # Keras's rule: a finite, non-negative Python number, stored as a float.
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. Received: {name}={value!r}. "
            f"Pass e.g. {name}=0.01."
        )
    return float(value)
