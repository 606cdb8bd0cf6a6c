"""Weight initializers with Keras 3's names, defaults, fan rules and configs, drawing with torch.

An initializer is called as `init(shape, dtype=None)` and returns a new tensor on the CPU; the layer moves it to
its device. Random initializers built with an integer `seed` return the same values on every call (as Keras 3's
do); unseeded ones draw from torch's global generator, so `cornu.backend.set_random_seed` makes them repeatable.

Keras's random values themselves cannot be reproduced (Keras seeds its own generators differently); the
distributions, fans and limits are Keras's.

Example:
>>> GlorotUniform(seed=1)((2, 3)).shape
torch.Size([2, 3])
"""

import math
import numbers

import numpy as np
import torch

from cornu.backend import make_generator, torch_dtype
from cornu.utils.identifiers import deserialize_object, get_object, serialize_object
from cornu.utils.naming import to_snake_case

__all__ = [
    "Initializer",
    "Constant",
    "Zeros",
    "Ones",
    "Identity",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "GlorotUniform",
    "GlorotNormal",
    "HeUniform",
    "HeNormal",
    "LecunUniform",
    "LecunNormal",
    "Orthogonal",
    "compute_fans",
    "get",
    "serialize",
    "deserialize",
    "constant",
    "zeros",
    "ones",
    "identity",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
]

# Standard deviation of a unit normal truncated to [-2, 2]: VarianceScaling divides by it so that the truncated
# draws keep the intended variance (the constant Keras uses).
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


class Initializer:
    """Base class: subclasses implement `__call__(shape, dtype=None)` and, if they take arguments, `get_config()`.

    Example:
    >>> class Halves(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return torch.full(shape, 0.5, dtype=torch_dtype(dtype))
    >>> Halves()((2,)).tolist()
    [0.5, 0.5]
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement `__call__(self, shape, dtype=None)`.")

    def get_config(self):
        """The constructor arguments, as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """A new initializer built from `get_config()`'s output."""
        return cls(**config)

    def clone(self):
        """A new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Constant(Initializer):
    """Fills the tensor with `value` (a number, or an array that broadcasts to the shape).

    Args:
        value: Number or array-like. Defaults to `0.0`.

    Example:
    >>> Constant(3.0)((2,)).tolist()
    [3.0, 3.0]
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dtype = torch_dtype(dtype)
        return torch.as_tensor(self.value, dtype=dtype) * torch.ones(_shape(shape), dtype=dtype)

    def get_config(self):
        value = self.value
        if isinstance(value, (np.ndarray, torch.Tensor, np.generic)):
            value = value.tolist()
        return {"value": value}


class Zeros(Initializer):
    """Fills the tensor with 0.

    Example:
    >>> Zeros()((2,)).tolist()
    [0.0, 0.0]
    """

    def __call__(self, shape, dtype=None):
        return torch.zeros(_shape(shape), dtype=torch_dtype(dtype))


class Ones(Initializer):
    """Fills the tensor with 1.

    Example:
    >>> Ones()((2,)).tolist()
    [1.0, 1.0]
    """

    def __call__(self, shape, dtype=None):
        return torch.ones(_shape(shape), dtype=torch_dtype(dtype))


class Identity(Initializer):
    """`gain` times the identity matrix (ones on the main diagonal of a 2D, possibly non-square, shape).

    Args:
        gain: Float, the diagonal value. Defaults to `1.0`.

    Example:
    >>> Identity(2.0)((2, 3)).tolist()
    [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity initializer needs a 2D shape. Received: shape={shape} of rank {len(shape)}. "
                "Use it for Dense kernels or recurrent kernels, e.g. shape=(64, 64)."
            )
        return self.gain * torch.eye(*shape, dtype=torch_dtype(dtype))

    def get_config(self):
        # Keras 3.15 leaves `gain` out of Identity's config (it is lost on reload); cornu keeps it.
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Base of the random initializers: owns the `seed` (an int, or `None` for torch's global generator)."""

    def __init__(self, seed=None):
        if seed is not None and (not isinstance(seed, numbers.Integral) or isinstance(seed, bool)):
            raise ValueError(f"`seed` must be an integer or None. Received: seed={seed!r}")
        self.seed = seed

    def _generator(self):
        # A fresh generator per call: a seeded initializer gives the same values every time, as in Keras 3.
        return make_generator(self.seed)

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Draws from a normal distribution `N(mean, stddev**2)`.

    Args:
        mean: Float, the mean. Defaults to `0.0`.
        stddev: Float, the standard deviation. Defaults to `0.05`.
        seed: Optional integer, for values that repeat on every call. Defaults to `None`.

    Example:
    >>> bool(RandomNormal(seed=0)((3,)).equal(RandomNormal(seed=0)((3,))))
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _normal(shape, dtype, self.mean, self.stddev, self._generator())

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Draws from `N(mean, stddev**2)` restricted to `[mean - 2 * stddev, mean + 2 * stddev]`.

    The spread of the result is therefore about `0.88 * stddev`, as in Keras.

    Args:
        mean: Float, the mean. Defaults to `0.0`.
        stddev: Float, the standard deviation before truncation. Defaults to `0.05`.
        seed: Optional integer, for values that repeat on every call. Defaults to `None`.

    Example:
    >>> bool(TruncatedNormal(stddev=1.0)((1000,)).abs().max() <= 2.0)
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _truncated_normal(shape, dtype, self.mean, self.stddev, self._generator())

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Draws from a uniform distribution on `[minval, maxval)`.

    Args:
        minval: Float, the lower bound. Defaults to `-0.05`.
        maxval: Float, the upper bound. Defaults to `0.05`.
        seed: Optional integer, for values that repeat on every call. Defaults to `None`.

    Example:
    >>> bool(RandomUniform(0.0, 1.0)((100,)).min() >= 0.0)
    True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval = minval, maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _uniform(shape, dtype, self.minval, self.maxval, self._generator())

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(RandomInitializer):
    """Draws with variance `scale / n`, where `n` is the fan-in, the fan-out or their mean (`mode`).

    With `distribution="truncated_normal"` the draws are a normal truncated at two standard deviations, its
    stddev divided by 0.8796... so the variance is still `scale / n`; `"untruncated_normal"` draws a plain normal
    with stddev `sqrt(scale / n)`; `"uniform"` draws on `[-limit, limit]` with `limit = sqrt(3 * scale / n)`.
    Fans follow `compute_fans` (a conv kernel `(kh, kw, in, out)` has fan-in `kh * kw * in`).

    Args:
        scale: Positive float. Defaults to `1.0`.
        mode: One of `"fan_in"`, `"fan_out"`, `"fan_avg"`. Defaults to `"fan_in"`.
        distribution: One of `"truncated_normal"`, `"untruncated_normal"`, `"uniform"` (`"normal"` means
            `"truncated_normal"`). Defaults to `"truncated_normal"`.
        seed: Optional integer, for values that repeat on every call. Defaults to `None`.
        input_axes: Optional sequence of axes whose sizes multiply to the fan-in. Defaults to `None`.
        output_axes: Optional sequence of axes whose sizes multiply to the fan-out. Defaults to `None`.

    Example:
    >>> limit = math.sqrt(3 * 2.0 / 6)
    >>> bool(VarianceScaling(2.0, distribution="uniform")((6, 4)).abs().max() <= limit)
    True
    """

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        if not isinstance(scale, numbers.Real) or scale <= 0:
            raise ValueError(f"`scale` must be a positive float. Received: scale={scale!r}")
        if mode not in _MODES:
            raise ValueError(f"Invalid `mode`: {mode!r}. Use one of {_MODES}.")
        distribution = str(distribution).lower()
        distribution = "truncated_normal" if distribution == "normal" else distribution
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"Invalid `distribution`: {distribution!r}. Use one of {_DISTRIBUTIONS}.")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        generator = self._generator()
        if self.distribution == "truncated_normal":
            return _truncated_normal(shape, dtype, 0.0, math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV, generator)
        if self.distribution == "untruncated_normal":
            return _normal(shape, dtype, 0.0, math.sqrt(variance), generator)
        limit = math.sqrt(3.0 * variance)
        return _uniform(shape, dtype, -limit, limit, generator)

    def get_config(self):
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A named VarianceScaling whose scale, mode and distribution are fixed: its config is the seed and axes."""

    _preset = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        scale, mode, distribution = self._preset
        super().__init__(scale, mode, distribution, seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: `U(-limit, limit)` with `limit = sqrt(6 / (fan_in + fan_out))`.

    Keras's default kernel initializer. Args: `seed`, `input_axes`, `output_axes` as in `VarianceScaling`.

    Example:
    >>> bool(GlorotUniform()((3, 3)).abs().max() <= 1.0)
    True
    """

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with stddev `sqrt(2 / (fan_in + fan_out))`.

    Args: `seed`, `input_axes`, `output_axes` as in `VarianceScaling`.

    Example:
    >>> GlorotNormal(seed=0)((4, 4)).dtype
    torch.float32
    """

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He uniform: `U(-limit, limit)` with `limit = sqrt(6 / fan_in)`; suits ReLU networks.

    Args: `seed`, `input_axes`, `output_axes` as in `VarianceScaling`.

    Example:
    >>> bool(HeUniform()((6, 2)).abs().max() <= 1.0)
    True
    """

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with stddev `sqrt(2 / fan_in)`; suits ReLU networks.

    Args: `seed`, `input_axes`, `output_axes` as in `VarianceScaling`.

    Example:
    >>> HeNormal(seed=0)((2, 2)).shape
    torch.Size([2, 2])
    """

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: `U(-limit, limit)` with `limit = sqrt(3 / fan_in)`.

    Args: `seed`, `input_axes`, `output_axes` as in `VarianceScaling`.

    Example:
    >>> bool(LecunUniform()((3, 2)).abs().max() <= 1.0)
    True
    """

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with stddev `sqrt(1 / fan_in)`; pairs with `selu`.

    Args: `seed`, `input_axes`, `output_axes` as in `VarianceScaling`.

    Example:
    >>> LecunNormal(seed=0)((2, 2)).shape
    torch.Size([2, 2])
    """

    _preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """A random orthogonal matrix times `gain` (Saxe et al., 2014).

    The shape is read as a matrix `(prod(shape[:-1]), shape[-1])`; its rows (or columns, whichever are fewer)
    are orthonormal. It comes from the QR decomposition of a normal draw, signs fixed so the result is uniform.

    Args:
        gain: Float, the multiplier. Defaults to `1.0`.
        seed: Optional integer, for values that repeat on every call. Defaults to `None`.

    Example:
    >>> q = Orthogonal(seed=0)((3, 3))
    >>> torch.allclose(q @ q.T, torch.eye(3), atol=1e-5)
    True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer needs a shape of rank 2 or more. Received: shape={shape} "
                f"of rank {len(shape)}. For a bias use 'zeros'."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        dtype = torch_dtype(dtype)
        # QR runs in float32 at least: torch has no half-precision QR.
        work = torch.float64 if dtype == torch.float64 else torch.float32
        draw = torch.randn((max(rows, cols), min(rows, cols)), dtype=work, generator=self._generator())
        q, r = torch.linalg.qr(draw)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).to(dtype)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


def compute_fans(shape, input_axes=None, output_axes=None):
    """`(fan_in, fan_out)` of a weight shape, by Keras's rule.

    A vector has both fans equal to its length; a matrix `(in, out)`; a conv kernel `(..., in, out)` multiplies
    both by its receptive field (the product of the leading spatial sizes). With `input_axes` and `output_axes`
    the fans are the products of those axes' sizes.

    Example:
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


# Keras's lower-case names of the classes (`keras.initializers.glorot_uniform` is the class itself).
constant, zeros, ones, identity = Constant, Zeros, Ones, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal

_CLASSES = (
    Initializer,
    Constant,
    Zeros,
    Ones,
    Identity,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
    LecunUniform,
    LecunNormal,
    Orthogonal,
)
_TABLE = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{to_snake_case(cls.__name__): cls for cls in _CLASSES},
    # Keras's extra names (older spellings kept for compatibility).
    "IdentityInitializer": Identity,
    "OrthogonalInitializer": Orthogonal,
    "normal": RandomNormal,
    "uniform": RandomUniform,
    "zero": Zeros,
    "one": Ones,
}
_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


def serialize(initializer):
    """Keras's config dict of the initializer: `{"module", "class_name", "config", "registered_name"}`;
    `None` gives `None`.

    Example:
    >>> serialize(Ones())["class_name"]
    'Ones'
    """
    return serialize_object(initializer, "keras.initializers", "Initializer")


def deserialize(config, custom_objects=None):
    """An initializer from a name or a config dict written by `serialize` (or by Keras).

    Args:
        config: A name (`"he_normal"`) or a dict with `"class_name"` and `"config"`.
        custom_objects: Optional dict of extra `name -> class`, searched first. Defaults to `None`.

    Example:
    >>> deserialize({"class_name": "Constant", "config": {"value": 2.0}})((1,)).tolist()
    [2.0]
    """
    return deserialize_object("initializer", config, _TABLE, custom_objects)


def get(identifier):
    """The initializer an identifier names.

    Args:
        identifier: `None` (returned as `None`), a name (`"glorot_uniform"`, `"GlorotUniform"`, `"zeros"`), a
            config dict, an initializer class (instantiated with defaults), a callable `fn(shape, dtype=None)`,
            or an array/tensor (its values, for exactly its shape).

    Example:
    >>> type(get("he_normal")).__name__
    'HeNormal'
    """
    if isinstance(identifier, (torch.Tensor, np.ndarray, np.generic)):
        return _from_values(identifier)
    return get_object(
        "initializer",
        identifier,
        deserialize,
        "Pass a name such as 'glorot_uniform', an Initializer, or a function fn(shape, dtype=None).",
    )


def _from_values(values):
    values = torch.as_tensor(values)

    def initialize(shape, dtype=None):
        if tuple(shape) != tuple(values.shape):
            raise ValueError(
                f"This initializer holds values of shape {tuple(values.shape)}, but shape={tuple(shape)} was "
                "requested. Pass an array of the weight's shape."
            )
        return values.to(torch_dtype(dtype)).clone()

    return initialize


def _shape(shape):
    # Keras takes a tuple of ints; an int or a torch.Size is accepted too. None dims cannot be initialized.
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if any(d is None or int(d) < 0 for d in shape):
        raise ValueError(f"Cannot initialize a weight of shape {shape}: every dimension must be a known size.")
    return tuple(int(d) for d in shape)


def _float_dtype(dtype):
    dtype = torch_dtype(dtype)
    if not dtype.is_floating_point:
        raise ValueError(f"Random initializers need a float dtype. Received: dtype={dtype}. Use 'float32'.")
    return dtype


def _draw(shape, dtype, fill):
    # Half-precision draws are made in float32 and cast, so a seed gives the same numbers in every float dtype.
    dtype = _float_dtype(dtype)
    work = torch.float64 if dtype == torch.float64 else torch.float32
    return fill(torch.empty(_shape(shape), dtype=work)).to(dtype)


def _normal(shape, dtype, mean, stddev, generator):
    return _draw(shape, dtype, lambda t: t.normal_(mean, stddev, generator=generator))


def _uniform(shape, dtype, minval, maxval, generator):
    return _draw(shape, dtype, lambda t: t.uniform_(minval, maxval, generator=generator))


def _truncated_normal(shape, dtype, mean, stddev, generator):
    # Keras truncates at two standard deviations. Drawing normals and redrawing the ~4.6% that fall outside gives
    # exactly that distribution, ~15x faster than torch's inverse-CDF trunc_normal_ (which dominated the build
    # time of large models such as EfficientNet).
    low, high = mean - 2.0 * stddev, mean + 2.0 * stddev

    def fill(t):
        t.normal_(mean, stddev, generator=generator)
        outside = (t < low) | (t > high)
        while bool(outside.any()):  # once per model build, not per step: the host sync is harmless here
            t[outside] = torch.empty(int(outside.sum()), dtype=t.dtype).normal_(mean, stddev, generator=generator)
            outside = (t < low) | (t > high)
        return t

    return _draw(shape, dtype, fill)
