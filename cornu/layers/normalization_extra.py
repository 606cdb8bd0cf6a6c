"""More normalization layers: `GroupNormalization` (Wu & He, 2018), `UnitNormalization` (L2 rows), and the
self-normalizing `AlphaDropout` (Klambauer et al., 2017) that keeps SELU's mean and variance.

`GroupNormalization` runs torch's fused `F.group_norm` (which wants the channels on axis 1) and applies Keras's
per-channel `gamma`/`beta` after it.
"""

import torch
import torch.nn.functional as F

from cornu import constraints, initializers, regularizers
from cornu.layers.base import Layer
from cornu.layers.regularization import _check_noise_shape, _concrete_noise_shape, _RandomLayer
from cornu.utils.shapes import format_shape

__all__ = ["GroupNormalization", "UnitNormalization", "AlphaDropout"]

# SELU's constants (Klambauer et al., 2017): alpha and scale; AlphaDropout sets dropped units to -alpha * scale.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class GroupNormalization(Layer):
    """Normalizes each sample over groups of channels: the channels are split into `groups` and each group's values
    (over every non-batch axis) are scaled to mean 0 and variance 1, then `gamma * x + beta` per channel.

    `groups=-1` gives one channel per group (instance normalization); `groups=1` is layer normalization over all
    axes.

    Args:
        groups: Positive integer dividing the number of channels, or `-1`. Defaults to `32`.
        axis: Integer, the channels axis. Defaults to `-1`.
        epsilon: Float added to the variance. Defaults to `1e-3`.
        center: Whether to add the learned offset `beta`. Defaults to `True`.
        scale: Whether to multiply by the learned `gamma`. Defaults to `True`.
        beta_initializer, gamma_initializer: Default to `"zeros"` and `"ones"`.
        beta_regularizer, gamma_regularizer: Optional penalties. Default to `None`.
        beta_constraint, gamma_constraint: Optional projections after each update. Default to `None`.

    Input shape: any, with a known channels axis. Output shape: same as the input.

    Example:
    >>> out = GroupNormalization(groups=2)(np.array([[1.0, 3.0, 10.0, 10.0]]))
    >>> [round(v, 3) for v in out[0].tolist()]
    [-1.0, 1.0, 0.0, 0.0]
    """

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        if not isinstance(groups, int) or isinstance(groups, bool) or (groups <= 0 and groups != -1):
            raise ValueError(
                f"GroupNormalization's groups must be a positive integer, or -1 for instance normalization. "
                f"Received: groups={groups!r}"
            )
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"GroupNormalization's axis must be an integer. Received: axis={axis!r}")
        super().__init__(**kwargs)
        self.autocast = False  # as in Keras: inputs keep their precision, the statistics are taken in float32
        self.groups, self.axis, self.epsilon = groups, axis, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"GroupNormalization's axis {self.axis} is out of range for inputs of shape "
                f"{format_shape(input_shape)}."
            )
        self._axis = self.axis % rank
        dim = input_shape[self._axis]
        if dim is None:
            raise ValueError(
                f"GroupNormalization needs a known size on axis {self.axis}. Received inputs of shape "
                f"{format_shape(input_shape)}."
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise ValueError(
                f"GroupNormalization's groups ({self.groups}) must divide the number of channels ({dim}). "
                f"Pass a divisor of {dim}, e.g. groups={_largest_divisor(dim, self.groups)}."
            )
        if self.scale:
            self.gamma = self.add_weight(
                (dim,), self.gamma_initializer, name="gamma", regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint, autocast=False,
            )  # fmt: skip
        if self.center:
            self.beta = self.add_weight(
                (dim,), self.beta_initializer, name="beta", regularizer=self.beta_regularizer,
                constraint=self.beta_constraint, autocast=False,
            )  # fmt: skip

    def call(self, inputs):
        x = inputs.movedim(self._axis, 1) if self._axis != 1 else inputs
        # Half types overflow in the group sums: Keras takes the statistics in float32 (torch's kernel wants the
        # weights' dtype) and returns the compute dtype under a mixed policy.
        compute = x if x.dtype in (torch.float32, torch.float64) else x.float()
        weight = self.gamma if self.gamma is not None else self.beta
        if weight is not None and compute.dtype != weight.dtype:
            compute = compute.to(weight.dtype)
        out = F.group_norm(compute, self.groups, self.gamma, self.beta, self.epsilon)
        out = out.to(self._compute_torch_dtype if self.compute_dtype != self.variable_dtype else inputs.dtype)
        return out.movedim(1, self._axis) if self._axis != 1 else out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along `axis`: `x / ||x||` (the inverse norm capped at `1e12`, as in
    Keras, so a zero row stays zero).

    Args:
        axis: Integer or list of integers, the axes to normalize over. Defaults to `-1`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> UnitNormalization()(np.array([[3.0, 4.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and all(isinstance(a, int) for a in axis):
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(f"UnitNormalization's axis must be an int or a list of ints. Received: axis={axis!r}")
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        dims = self.axis if isinstance(self.axis, list) else [self.axis]
        # Half types overflow in the sum of squares (float16 past 65504) and cannot hold the 1e12 cap: under a
        # mixed policy the norm is taken in float32 and the result returned in the compute dtype.
        x = inputs.float() if inputs.dtype in (torch.float16, torch.bfloat16) else inputs
        inverse = torch.rsqrt(x.square().sum(dim=dims, keepdim=True)).clamp(max=1e12)
        return (x * inverse).to(inputs.dtype)

    def compute_output_shape(self, input_shape):
        for axis in self.axis if isinstance(self.axis, list) else [self.axis]:
            if not -len(input_shape) <= axis < len(input_shape):
                raise ValueError(
                    f"UnitNormalization's axis {axis} is out of range for inputs of shape {format_shape(input_shape)}."
                )
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class AlphaDropout(_RandomLayer):
    """Dropout for SELU networks: dropped units are set to SELU's negative saturation `-alpha * scale`, then an
    affine map restores the input's mean and variance (for inputs of mean 0, variance 1). Training only.

    Args:
        rate: Float in `[0, 1]`, the fraction of units to drop.
        noise_shape: Optional shape of the drop mask, broadcast over the input (`None` entries take the input's
            size). Defaults to `None`.
        seed: Optional integer for a reproducible mask. Defaults to `None`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> AlphaDropout(0.5)(np.ones((1, 2)), training=False).tolist()
    [[1.0, 1.0]]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"AlphaDropout's rate must be a float in [0, 1]. Received: rate={rate!r}")
        self.rate = rate
        self.noise_shape = _check_noise_shape(noise_shape)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = tuple(inputs.shape) if self.noise_shape is None else _concrete_noise_shape(inputs, self.noise_shape)
        draws = torch.rand(shape, dtype=inputs.dtype, device=inputs.device, generator=self._generator(inputs.device))
        kept = (draws >= self.rate).to(inputs.dtype)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


def _largest_divisor(dim, groups):
    return max(d for d in range(1, min(dim, groups) + 1) if dim % d == 0)
