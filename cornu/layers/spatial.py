"""Spatial reshaping layers: `Cropping1D/2D/3D`, `ZeroPadding1D/2D/3D` and `UpSampling1D/2D/3D`. None has weights.

Arguments are normalised as Keras does (an integer means the same amount on both sides of every axis), so configs
match Keras's. Cropping is a view (no copy); padding and upsampling run on torch's kernels.
"""

import torch.nn.functional as F

from cornu.layers.base import Layer
from cornu.layers.conv import ops
from cornu.utils.shapes import format_shape

__all__ = [
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
]

_INTERPOLATIONS = ("nearest", "bilinear")


def _pairs(value, rank, name):
    """`value` as `rank` `(before, after)` pairs: an int, a tuple of `rank` ints, or a tuple of `rank` pairs (in
    1D, one `(start, end)` pair)."""
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            pairs = ((value, value),) * rank
        elif rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
            pairs = (tuple(value),)  # in 1D a pair is (start, end)
        elif len(value) == rank and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            pairs = tuple((v, v) for v in value)
        else:
            pairs = tuple(tuple(int(v) for v in pair) for pair in value)
    except (TypeError, ValueError):
        pairs = None
    if pairs is None or len(pairs) != rank or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(
            f"`{name}` must be a non-negative integer, a tuple of {rank} integers, or a tuple of {rank} "
            f"(before, after) pairs. Received: {name}={value!r}"
        )
    return pairs


class _Spatial(Layer):
    """Shared checks: rank, data_format, and the spatial axes' positions."""

    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = ops.check_data_format(data_format)
        first = 1 if self.data_format == "channels_last" else 2
        self._axes = tuple(range(first, first + self.rank))

    def build(self, input_shape):
        ops.check_input_rank(self, input_shape, self.rank)
        self.compute_output_shape(input_shape)  # its errors (e.g. cropping too much) surface at the first call
        self.built = True

    def compute_output_shape(self, input_shape):
        ops.check_input_rank(self, input_shape, self.rank)
        shape = list(input_shape)
        for axis, size in zip(self._axes, self._sizes(input_shape)):
            shape[axis] = size
        return tuple(shape)


class _Cropping(_Spatial):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self._pairs = _pairs(cropping, self.rank, "cropping")
        self.cropping = self._pairs[0] if self.rank == 1 else self._pairs  # Keras's config: one pair in 1D

    def call(self, inputs):
        for axis, (before, after) in zip(self._axes, self._pairs):
            inputs = inputs.narrow(axis, before, inputs.shape[axis] - before - after)
        return inputs

    def _sizes(self, input_shape):
        sizes = []
        for axis, (before, after) in zip(self._axes, self._pairs):
            size = input_shape[axis]
            if size is not None and size - before - after <= 0:
                raise ValueError(
                    f"Layer '{self.name}' crops {before + after} from an axis of size {size} (input shape "
                    f"{format_shape(input_shape)}, cropping={self.cropping}): nothing would be left. "
                    f"Crop less, or crop a larger input."
                )
            sizes.append(None if size is None else size - before - after)
        return sizes

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class Cropping1D(_Cropping):
    """Removes steps from the start and end of each sequence.

    Args:
        cropping: Integer (the same at both ends) or `(start, end)`. Defaults to `(1, 1)`.

    Input shape: `(batch, steps, features)`. Output shape: `(batch, steps - start - end, features)`.

    Example:
    >>> Cropping1D((1, 2))(np.arange(5.0).reshape(1, 5, 1))[0, :, 0].tolist()
    [1.0, 2.0]
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, "channels_last", **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


class Cropping2D(_Cropping):
    """Removes rows and columns at the edges of each image.

    Args:
        cropping: Integer (all four edges), `(rows, cols)` (symmetric), or `((top, bottom), (left, right))`.
            Defaults to `((0, 0), (0, 0))`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `cornu.backend.image_data_format()`.

    Input shape: `(batch, rows, cols, channels)` or channels_first. Output shape: cropped likewise.

    Example:
    >>> Cropping2D(((1, 0), (2, 2)))(np.ones((1, 4, 6, 3))).shape
    torch.Size([1, 3, 2, 3])
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Removes slices at the edges of each volume.

    Args: as `Cropping2D`, with 3 axes. `cropping` defaults to `((1, 1), (1, 1), (1, 1))`.

    Example:
    >>> Cropping3D(1)(np.ones((1, 4, 4, 4, 2))).shape
    torch.Size([1, 2, 2, 2, 2])
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class _ZeroPadding(_Spatial):
    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self._pairs = _pairs(padding, self.rank, "padding")
        self.padding = self._pairs[0] if self.rank == 1 else self._pairs  # Keras's config: one pair in 1D
        self._torch_pad = [p for pair in reversed(self._pairs) for p in pair]  # torch lists the last axis first
        if self.data_format == "channels_last":
            self._torch_pad = [0, 0] + self._torch_pad

    def call(self, inputs):
        return F.pad(inputs, self._torch_pad)

    def _sizes(self, input_shape):
        return [
            None if input_shape[axis] is None else input_shape[axis] + sum(pair)
            for axis, pair in zip(self._axes, self._pairs)
        ]

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Adds zeros at the start and end of each sequence.

    Args:
        padding: Integer (the same at both ends) or `(start, end)`. Defaults to `1`.
        data_format: `"channels_last"` `(batch, steps, features)` or `"channels_first"`. Defaults to
            `cornu.backend.image_data_format()`.

    Input shape: `(batch, steps, features)`. Output shape: `(batch, steps + start + end, features)`.

    Example:
    >>> ZeroPadding1D((1, 2))(np.ones((1, 2, 1)))[0, :, 0].tolist()
    [0.0, 1.0, 1.0, 0.0, 0.0]
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around each image.

    Args:
        padding: Integer (all four edges), `(rows, cols)` (symmetric), or `((top, bottom), (left, right))`.
            Defaults to `(1, 1)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `cornu.backend.image_data_format()`.

    Example:
    >>> ZeroPadding2D(((1, 0), (0, 2)))(np.ones((1, 2, 2, 1)))[0, :, :, 0].tolist()
    [[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]]
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Adds zeros around each volume.

    Args: as `ZeroPadding2D`, with 3 axes. `padding` defaults to `((1, 1), (1, 1), (1, 1))`.

    Example:
    >>> ZeroPadding3D(1)(np.ones((1, 2, 2, 2, 1))).shape
    torch.Size([1, 4, 4, 4, 1])
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _UpSampling(_Spatial):
    def __init__(self, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = ops.as_tuple(size, self.rank, "size")
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"cornu's UpSampling supports interpolation='nearest' or 'bilinear'. "
                f"Received: interpolation={interpolation!r}"
            )

    def call(self, inputs):
        if self.interpolation == "nearest":  # repeating each cell is exact and has a cheap backward
            for axis, factor in zip(self._axes, self.size):
                if factor > 1:
                    inputs = inputs.repeat_interleave(factor, dim=axis)
            return inputs
        x = ops.to_channels_first(inputs, self.data_format, 2)
        outputs = F.interpolate(x, scale_factor=self.size, mode="bilinear", align_corners=False)
        return ops.from_channels_first(outputs, self.data_format, 2)

    def _sizes(self, input_shape):
        return [None if input_shape[a] is None else input_shape[a] * f for a, f in zip(self._axes, self.size)]


class UpSampling1D(_UpSampling):
    """Repeats each step `size` times.

    Args:
        size: Positive integer, the upsampling factor. Defaults to `2`.

    Input shape: `(batch, steps, features)`. Output shape: `(batch, steps * size, features)`.

    Example:
    >>> UpSampling1D(2)(np.array([[[1.0], [2.0]]]))[0, :, 0].tolist()
    [1.0, 1.0, 2.0, 2.0]
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, "channels_last", **kwargs)
        self.size = self.size[0]

    def call(self, inputs):
        return inputs.repeat_interleave(self.size, dim=1)

    def _sizes(self, input_shape):
        return [None if input_shape[1] is None else input_shape[1] * self.size]

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(_UpSampling):
    """Upsamples images by `size`: each pixel repeated (`"nearest"`) or interpolated (`"bilinear"`).

    Args:
        size: Integer or `(rows, cols)` factors. Defaults to `(2, 2)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `cornu.backend.image_data_format()`.
        interpolation: `"nearest"` or `"bilinear"` (half-pixel centres, as Keras). Defaults to `"nearest"`.

    Input shape: `(batch, rows, cols, channels)` or channels_first. Output shape: `(batch, rows * size[0],
    cols * size[1], channels)`.

    Example:
    >>> UpSampling2D()(np.array([[[[1.0], [2.0]]]]))[0, :, :, 0].tolist()
    [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, interpolation, **kwargs)

    def get_config(self):
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }


class UpSampling3D(_UpSampling):
    """Upsamples volumes by repeating each cell `size` times along each axis.

    Args:
        size: Integer or tuple of 3 factors. Defaults to `(2, 2, 2)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `cornu.backend.image_data_format()`.

    Example:
    >>> UpSampling3D()(np.ones((1, 1, 2, 3, 1))).shape
    torch.Size([1, 2, 4, 6, 1])
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
