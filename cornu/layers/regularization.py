"""Regularization layers: `Dropout` and its spatial forms, `GaussianNoise`, `GaussianDropout` and
`ActivityRegularization`.

The random layers act only in training mode (`training=True`, as `fit` calls them) and return their input
unchanged in inference. With a `seed`, a layer draws from its own `torch.Generator`, so its masks repeat from run to
run; without one it uses torch's global generator (seeded by `cornu.backend.set_random_seed`).
"""

import math

import torch
import torch.nn.functional as F

from cornu import backend, regularizers
from cornu.layers.base import Layer
from cornu.utils.shapes import format_shape

__all__ = [
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianNoise",
    "GaussianDropout",
    "ActivityRegularization",
    "dropout",
]


def dropout(inputs, rate, noise_shape=None, generator=None):
    """Zeros each entry with probability `rate` and scales the rest by `1 / (1 - rate)`.

    Args:
        inputs: Input tensor.
        rate: Float in `[0, 1]`; `1` zeros everything (as Keras does).
        noise_shape: Optional shape of the keep/drop mask, broadcast over `inputs` (`None` entries take the
            input's size). Defaults to `None` (one draw per entry).
        generator: Optional `torch.Generator`. Defaults to torch's global generator.

    Example:
    >>> dropout(torch.ones(2, 3), 0.0).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    if rate == 0:
        return inputs
    if rate >= 1:
        return torch.zeros_like(inputs)
    if noise_shape is None and generator is None and inputs.device.type == "cuda":
        return F.dropout(inputs, rate, training=True)  # torch's fused kernel
    shape = tuple(inputs.shape) if noise_shape is None else _concrete_noise_shape(inputs, noise_shape)
    keep = keep_mask(shape, 1.0 - rate, generator, inputs.device)
    return torch.where(keep, inputs / (1.0 - rate), 0.0)  # Keras's form: the kept entries divided, not multiplied


def keep_mask(shape, keep_probability, generator=None, device=None):
    """A boolean mask of `shape`, each entry True with probability `keep_probability`: `uniform[0, 1) < p`.

    Drawn as float32 uniforms and compared, rather than with `bernoulli_`: on the CPU torch's `bernoulli_` costs
    3.5× as much (2.3 ms against 0.66 ms for a 128 × 1600 mask, the MNIST convnet's dropout: ~8% of its step).

    >>> keep_mask((2, 3), 1.0).tolist()
    [[True, True, True], [True, True, True]]
    """
    return torch.rand(shape, generator=generator, device=device) < keep_probability


class _RandomLayer(Layer):
    """A layer that draws noise in training mode: holds the seed and a generator per device."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"{type(self).__name__}'s seed must be an integer or None. Received: seed={seed!r}")
        self.seed = seed
        self.supports_masking = True
        self.built = True  # no weights
        self._generators = {}

    def _generator(self, device):
        if self.seed is None:
            return None
        key = str(device)
        if key not in self._generators:
            self._generators[key] = backend.make_generator(self.seed, device=device)
        return self._generators[key]

    def compute_output_shape(self, input_shape):
        return input_shape


class Dropout(_RandomLayer):
    """Sets inputs to 0 with probability `rate` during training, scaling the rest by `1 / (1 - rate)`.

    In inference (the default when a layer is called, and in `evaluate`/`predict`) it returns its input.

    Args:
        rate: Float in `[0, 1]`, the fraction of inputs to drop (Keras accepts `1`: everything is dropped).
        noise_shape: Optional tuple, the shape of the drop mask broadcast over the input, e.g.
            `(batch, 1, features)` to drop the same features at every timestep; `None` entries take the input's
            size. Defaults to `None`.
        seed: Optional integer, for reproducible masks. Defaults to `None`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> Dropout(0.5)(np.ones((1, 2)), training=False).tolist()
    [[1.0, 1.0]]
    >>> sorted(set(Dropout(0.5, seed=1)(np.ones((1, 8)), training=True).flatten().tolist()))
    [0.0, 2.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Dropout's rate must be a float between 0 and 1. Received: rate={rate!r}")
        self.rate = rate
        self.noise_shape = _check_noise_shape(noise_shape)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        return dropout(inputs, self.rate, self._noise_shape(inputs), self._generator(inputs.device))

    def _noise_shape(self, inputs):
        return self.noise_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


class _SpatialDropout(Dropout):
    _rank = None

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.built = False  # build checks the input's rank

    def build(self, input_shape):
        if len(input_shape) != self._rank:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects {self._rank}D inputs, but received inputs of "
                f"shape {format_shape(input_shape)}."
            )

    def get_config(self):
        # Keras's spatial dropouts take (and save) only these arguments. Keras saves `self.dtype` (the variable
        # dtype), losing a mixed policy; cornu saves the policy's name, which both libraries read back.
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype_policy.name}


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole feature channels of `(batch, steps, channels)` sequences: one draw per sample and channel.

    Args:
        rate: Float in `[0, 1]`, the fraction of channels to drop.
        seed: Optional integer, for reproducible masks. Defaults to `None`.

    Input shape: `(batch, steps, channels)`. Output shape: same as the input.

    Example:
    >>> out = SpatialDropout1D(0.5, seed=0)(np.ones((1, 3, 4)), training=True)
    >>> bool((out == out[:, :1]).all())
    True
    """

    _rank = 3

    def _noise_shape(self, inputs):
        return (inputs.shape[0], 1, inputs.shape[2])


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps of images: one draw per sample and channel.

    Args:
        rate: Float in `[0, 1]`, the fraction of channels to drop.
        data_format: `"channels_last"` (`(batch, rows, cols, channels)`) or `"channels_first"`. Defaults to
            `cornu.backend.image_data_format()`.
        seed: Optional integer, for reproducible masks. Defaults to `None`.

    Input shape: 4D. Output shape: same as the input.

    Example:
    >>> out = SpatialDropout2D(0.5, seed=0)(np.ones((1, 2, 2, 3)), training=True)
    >>> bool((out == out[:, :1, :1]).all())
    True
    """

    _rank = 4

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = _data_format(data_format)

    def _noise_shape(self, inputs):
        if self.data_format == "channels_first":
            return (inputs.shape[0], inputs.shape[1], 1, 1)
        return (inputs.shape[0], 1, 1, inputs.shape[3])

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout3D(SpatialDropout2D):
    """Dropout of whole 3D feature maps of volumes: one draw per sample and channel.

    Args:
        rate: Float in `[0, 1]`, the fraction of channels to drop.
        data_format: `"channels_last"` (`(batch, d1, d2, d3, channels)`) or `"channels_first"`. Defaults to
            `cornu.backend.image_data_format()`.
        seed: Optional integer, for reproducible masks. Defaults to `None`.

    Input shape: 5D. Output shape: same as the input.

    Example:
    >>> out = SpatialDropout3D(0.5, seed=0)(np.ones((1, 2, 2, 2, 3)), training=True)
    >>> bool((out == out[:, :1, :1, :1]).all())
    True
    """

    _rank = 5

    def _noise_shape(self, inputs):
        if self.data_format == "channels_first":
            return (inputs.shape[0], inputs.shape[1], 1, 1, 1)
        return (inputs.shape[0], 1, 1, 1, inputs.shape[4])


class GaussianNoise(_RandomLayer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` during training.

    Args:
        stddev: Float in `[0, 1]`, the noise's standard deviation.
        seed: Optional integer, for reproducible noise. Defaults to `None`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> GaussianNoise(0.1)(np.ones((1, 2)), training=False).tolist()
    [[1.0, 1.0]]
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or not 0 <= stddev <= 1:
            raise ValueError(f"GaussianNoise's stddev must be a float between 0 and 1. Received: stddev={stddev!r}")
        self.stddev = stddev

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = torch.empty_like(inputs).normal_(0.0, self.stddev, generator=self._generator(inputs.device))
        return inputs + noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_RandomLayer):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation `sqrt(rate / (1 - rate))` in training.

    Args:
        rate: Float in `[0, 1)`, the drop probability the noise imitates. (Keras accepts `1` and then fails with a
            division by zero at the first training call; cornu refuses it here.)
        seed: Optional integer, for reproducible noise. Defaults to `None`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> GaussianDropout(0.5)(np.ones((1, 2)), training=False).tolist()
    [[1.0, 1.0]]
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"GaussianDropout's rate must be a float in [0, 1). Received: rate={rate!r}")
        self.rate = rate

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = torch.empty_like(inputs).normal_(1.0, stddev, generator=self._generator(inputs.device))
        return inputs * noise

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class ActivityRegularization(Layer):
    """Returns its input and adds `l1 * sum(|x|) + l2 * sum(x**2)` (averaged over the batch) to the model's loss.

    Args:
        l1: Float >= 0, the L1 factor. Defaults to `0.0`.
        l2: Float >= 0, the L2 factor. Defaults to `0.0`.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> layer = ActivityRegularization(l1=0.5)
    >>> layer(np.array([[1.0, -3.0], [0.0, 2.0]])).tolist()
    [[1.0, -3.0], [0.0, 2.0]]
    >>> float(layer.losses[0])  # 0.5 * (1 + 3 + 0 + 2) / 2 samples
    1.5
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)  # a saved config of another version may carry it
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1, self.l2 = l1, l2
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {**super().get_config(), "l1": self.l1, "l2": self.l2}
        config.pop("activity_regularizer", None)  # it is l1 and l2 already
        return config


def _check_noise_shape(noise_shape):
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str) or not hasattr(noise_shape, "__iter__"):
        raise ValueError(f"Dropout's noise_shape must be a tuple of integers. Received: noise_shape={noise_shape!r}")
    noise_shape = tuple(noise_shape)
    for dim in noise_shape:
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0):
            raise ValueError(
                f"Dropout's noise_shape must hold positive integers or None. Received: noise_shape={noise_shape!r}"
            )
    return noise_shape


def _concrete_noise_shape(inputs, noise_shape):
    if len(noise_shape) != inputs.ndim:
        raise ValueError(
            f"Dropout's noise_shape {format_shape(noise_shape)} must have one entry per input axis; the input has "
            f"shape {format_shape(inputs.shape)}."
        )
    return tuple(size if dim is None else dim for dim, size in zip(noise_shape, inputs.shape))


def _data_format(data_format):
    data_format = backend.image_data_format() if data_format is None else str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first'. Received: data_format={data_format!r}"
        )
    return data_format
